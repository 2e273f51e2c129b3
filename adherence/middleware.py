from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse


class NoStoreMiddleware:
    """Tell browsers and proxies not to keep copies of pages.

    Almost every page Adhere renders shows someone's health data or account,
    so dynamic responses are `no-store` unless a view decided otherwise.
    Static files never reach this (whitenoise answers them earlier, with
    long-lived caching of their hashed names).
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if not response.has_header("Cache-Control"):
            response["Cache-Control"] = "no-store"
        return response
