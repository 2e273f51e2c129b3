from __future__ import annotations

from allauth.account.forms import LoginForm as AllauthLoginForm
from django.conf import settings

from accounts.idle import KEEP_SIGNED_IN_KEY


class LoginForm(AllauthLoginForm):
    """allauth's login form, with "keep me signed in" said plainly."""

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        if "remember" in self.fields:
            self.fields[
                "remember"
            ].label = f"Keep me signed in on this device for {settings.REMEMBER_DEVICE_DAYS} days"
            self.fields["remember"].help_text = "Only on your own phone or computer, never on a shared one."

    def login(self, request, redirect_url=None):
        response = super().login(request, redirect_url)
        # Read by accounts.idle; kept through an MFA step because the session
        # is carried over (cycled, not flushed) when the login completes.
        request.session[KEEP_SIGNED_IN_KEY] = bool(self.cleaned_data.get("remember"))
        return response
