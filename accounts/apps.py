from __future__ import annotations

from django.apps import AppConfig


class AccountsConfig(AppConfig):
    """The user model (email as login) and session safety.

    An app of its own because accounts are neither patients nor caregivers:
    one user may be both, and staff are neither.
    """

    name = "accounts"
    verbose_name = "Accounts"

    def ready(self) -> None:
        from allauth.mfa.signals import authenticator_added, authenticator_removed, authenticator_reset
        from django.contrib.auth.signals import user_logged_in

        from accounts.signals import end_other_sessions, start_activity_clock

        user_logged_in.connect(start_activity_clock, dispatch_uid="accounts.start_activity_clock")

        for signal in (authenticator_added, authenticator_removed, authenticator_reset):
            signal.connect(end_other_sessions, dispatch_uid=f"accounts.end_other_sessions.{id(signal)}")
