from __future__ import annotations

import re

from django.core import mail
from django.test import Client

from accounts.tests.factories import PASSWORD


def sign_in(client: Client, email: str, password: str = PASSWORD, *, remember: bool = False):
    """Sign in through allauth's login form, as a person would."""
    data = {"login": email, "password": password}
    if remember:
        data["remember"] = "on"
    return client.post("/accounts/login/", data)


def signed_in_email(client: Client) -> str | None:
    """Whom the home page greets: the signed-in user's email, or None."""
    user = client.get("/", follow=True).context["user"]
    return user.email if user.is_authenticated else None


def link_in_last_mail(path_prefix: str) -> str:
    """The path of the first link in the newest email that starts with path_prefix."""
    body = mail.outbox[-1].body
    match = re.search(r"https?://[^/\s]+(" + re.escape(path_prefix) + r"[^\s]+)", body)
    assert match, f"No link starting with {path_prefix} in:\n{body}"
    return match.group(1)
