"""Print a new VAPID key pair for web push, as lines ready for the environment.

VAPID_PUBLIC_KEY is what browsers get as `applicationServerKey` (the P-256
point, uncompressed); VAPID_PRIVATE_KEY is the raw private number, the form
py_vapid's `Vapid.from_string` reads. Both are base64url without padding.
"""

from __future__ import annotations

import base64

from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat
from django.core.management.base import BaseCommand


def new_key_pair() -> tuple[str, str]:
    """A new (public, private) VAPID key pair."""
    private_key = ec.generate_private_key(ec.SECP256R1())
    public = private_key.public_key().public_bytes(Encoding.X962, PublicFormat.UncompressedPoint)
    private = private_key.private_numbers().private_value.to_bytes(32, "big")
    return _base64url(public), _base64url(private)


def _base64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


class Command(BaseCommand):
    help = "Print a new VAPID key pair for web push (VAPID_PUBLIC_KEY and VAPID_PRIVATE_KEY)."

    def handle(self, *args, **options) -> None:
        public, private = new_key_pair()
        self.stdout.write(f"VAPID_PUBLIC_KEY={public}")
        self.stdout.write(f"VAPID_PRIVATE_KEY={private}")
        # Browsers subscribe against the public key: a new pair makes every existing
        # subscription fail, and people must turn notifications on again.
        self.stderr.write(
            "Keep VAPID_PRIVATE_KEY secret. Changing the pair later ends every device's push subscription."
        )
