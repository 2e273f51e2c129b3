"""The channels a notification can go by. Each has `send(notification)`, which returns when the
message is handed over and raises DeliveryError when it was not (the worker then retries).

The in-app channel has no sender: its row is the message (see notifications.outbox).
"""

from __future__ import annotations


class DeliveryError(Exception):
    """The message was not delivered. `permanent`: trying again cannot help (no address, gone)."""

    def __init__(self, message: str, *, permanent: bool = False) -> None:
        super().__init__(message)
        self.permanent = permanent


def sender_for(channel: str):
    from notifications.channels import email, push, sms
    from notifications.models import Channel

    # Channel is a StrEnum: the stored string finds its member.
    return {Channel.EMAIL: email.send, Channel.PUSH: push.send, Channel.SMS: sms.send}[channel]  # type: ignore[index]
