"""Which address a request came from, trusting X-Forwarded-For only as far as our own proxies.

Any client can send `X-Forwarded-For: 1.2.3.4`; only the entries that proxies we run
appended are true. With NUM_PROXIES = n (settings), the client is the n-th address from
the right of X-Forwarded-For; with 0 (the default without BEHIND_TLS_PROXY) the header is
ignored and the client is REMOTE_ADDR. The REST API's anonymous throttle, allauth's login
rate limits and the sessions list all identify the client with this one rule.
"""

from __future__ import annotations

import ipaddress

from django.conf import settings
from django.http import HttpRequest


def client_ip(request: HttpRequest) -> str:
    """The address of the client, as far as the configured proxies vouch for it."""
    remote = request.META.get("REMOTE_ADDR") or ""
    proxies: int = settings.NUM_PROXIES
    forwarded = request.headers.get("x-forwarded-for")
    if proxies <= 0 or not forwarded:
        return remote
    hops = [hop.strip() for hop in forwarded.split(",")]
    # Fewer entries than proxies: the request did not come through all of them (or was sent
    # to the app directly); the left-most entry is the furthest any proxy of ours saw.
    candidate = hops[-min(proxies, len(hops))]
    try:
        return str(ipaddress.ip_address(candidate))
    except ValueError:
        return remote  # not an address: a proxy of ours would not have written it
