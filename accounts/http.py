"""Request types for views, so that `request.user` and `request.htmx` have their real types.

Annotations only: Django hands every view a plain HttpRequest. HtmxMiddleware sets
`htmx` on every request; behind `login_required`, `user` is a signed-in account.
"""

from __future__ import annotations

from django.http import HttpRequest
from django_htmx.middleware import HtmxDetails

from accounts.models import User


class HtmxRequest(HttpRequest):
    htmx: HtmxDetails


class SignedInRequest(HtmxRequest):
    """The request of a `login_required` view."""

    user: User
