from __future__ import annotations

import io
import logging
from contextlib import contextmanager
from urllib.parse import quote

import pytest
from django.urls import URLPattern, URLResolver, get_resolver, include, path, reverse

from adherence import urls as project_urls
from adherence.logging import SECRET_ROUTE_PARAMETERS, redact, secret_routes


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        (
            '"GET /accounts/confirm-email/MQ:1tAbCd:x9Yz_QwErTy/ HTTP/1.1" 200 3120',
            '"GET /accounts/confirm-email/[redacted]/ HTTP/1.1" 200 3120',
        ),
        (
            '"GET /accounts/password/reset/key/1-cabc12-0f1e2d3c4b5a69788796a5b4c3d2e1f0/ HTTP/1.1" 302 0',
            '"GET /accounts/password/reset/key/[redacted]-[redacted]/ HTTP/1.1" 302 0',
        ),
        (
            '"GET /dose-link/eJyrVkpRslIyNDAwUqoFAB2pA9k:1tX:sig_Nature/ HTTP/1.1" 200 1024',
            '"GET /dose-link/[redacted]/ HTTP/1.1" 200 1024',
        ),
        # Without its final slash (CommonMiddleware's redirect is logged too).
        ('"GET /dose-link/abc:def HTTP/1.1" 301 0', '"GET /dose-link/[redacted] HTTP/1.1" 301 0'),
        ("Not Found: /invitations/some-invitation-key/", "Not Found: /invitations/[redacted]/"),
        (
            "link https://adhere.example.org/dose-link/abc:def/ sent",
            "link https://adhere.example.org/dose-link/[redacted]/ sent",
        ),
        (
            '"GET /accounts/login/?next=/dose-link/abc:def/ HTTP/1.1" 302 0',
            '"GET /accounts/login/?next=/dose-link/[redacted]/ HTTP/1.1" 302 0',
        ),
        (
            '"GET /accounts/oidc/sso/login/callback/?code=AUTHCODE&state=xyz HTTP/1.1" 302 0',
            '"GET /accounts/oidc/sso/login/callback/?code=[redacted]&state=xyz HTTP/1.1" 302 0',
        ),
        # Nothing else changes.
        ('"GET /accounts/login/?next=/ HTTP/1.1" 200 2', '"GET /accounts/login/?next=/ HTTP/1.1" 200 2'),
        (
            '"GET /patients/3/history/?month=2026-03 HTTP/1.1" 200 9',
            '"GET /patients/3/history/?month=2026-03 HTTP/1.1" 200 9',
        ),
        ('"GET /api/v1/doses/abc/ HTTP/1.1" 404 9', '"GET /api/v1/doses/abc/ HTTP/1.1" 404 9'),
    ],
)
def test_it_blanks_the_key_in_a_mailed_link_and_nothing_else(line, expected):
    assert redact(line) == expected


def test_a_percent_encoded_link_in_next_is_blanked_too():
    line = f'"GET /accounts/login/?next={quote("/dose-link/abc:def/", safe="")} HTTP/1.1" 302 0'
    written = redact(line)
    assert "abc" not in written
    assert quote("/dose-link/[redacted]/", safe="") in written


@contextmanager
def console_output(logger_name: str):
    """What the console handler configured by settings.LOGGING (with its filter) writes."""
    handler = logging.getLogger("django.server").handlers[0]
    stream = io.StringIO()
    previous = handler.setStream(stream)
    logger = logging.getLogger(logger_name)
    added = handler not in logger.handlers
    if added:
        logger.addHandler(handler)
    try:
        yield stream
    finally:
        if added:
            logger.removeHandler(handler)
        handler.setStream(previous)


def test_the_request_log_never_prints_a_verification_key():
    with console_output("django.server") as stream:
        logging.getLogger("django.server").info(
            '"%s" %s %s', "GET /accounts/confirm-email/MQ:1tAbCd:secretpart/ HTTP/1.1", "200", "3120"
        )
    written = stream.getvalue()
    assert "secretpart" not in written
    assert "/accounts/confirm-email/[redacted]/" in written


def _routes(patterns, prefix=""):
    for pattern in patterns:
        if isinstance(pattern, URLResolver):
            namespace = f"{pattern.namespace}:" if pattern.namespace else ""
            yield from _routes(pattern.url_patterns, prefix + namespace)
        elif isinstance(pattern, URLPattern) and pattern.name:
            yield prefix + pattern.name, set(pattern.pattern.regex.groupindex)


SIGNED_LINK_ROUTES = sorted(
    name for name, parameters in _routes(get_resolver().url_patterns) if parameters & SECRET_ROUTE_PARAMETERS
)


def test_every_signed_link_route_is_found_from_the_urlconf():
    # The mailed links people get; a new one is picked up by its parameter's name.
    assert {
        "notifications:dose_link",
        "patients:invitation",
        "account_confirm_email",
        "account_reset_password_from_key",
    } <= set(SIGNED_LINK_ROUTES)
    assert len(secret_routes()) == len(SIGNED_LINK_ROUTES)


@pytest.mark.parametrize("route", SIGNED_LINK_ROUTES)
def test_each_signed_link_route_is_redacted_in_the_request_log_and_the_error_log(route):
    parameters = dict(_routes(get_resolver().url_patterns))[route]
    kwargs = {name: f"Leak{name.capitalize()}9z" for name in parameters}
    link = reverse(route, kwargs=kwargs)
    with console_output("django.server") as stream:
        logging.getLogger("django.server").info('"%s" %s %s', f"GET {link} HTTP/1.1", "200", "512")
        logging.getLogger("django.request").warning("Not Found: %s", link)
        logging.getLogger("django.server").info(
            '"%s" %s %s', f"GET /accounts/login/?next={quote(link, safe='')} HTTP/1.1", "200", "512"
        )
    written = stream.getvalue()
    assert written.count("[redacted]") >= 2
    for name, value in kwargs.items():
        if name in SECRET_ROUTE_PARAMETERS:
            assert value not in written


def _new_signed_link(request, token):  # pragma: no cover (never called: only resolved)
    raise AssertionError


urlpatterns = [
    path("", include(project_urls)),
    path("shared-with-pharmacist/<str:token>/", _new_signed_link, name="pharmacist_link"),
]


def test_a_signed_link_route_added_later_is_covered_without_listing_it(settings):
    settings.ROOT_URLCONF = __name__
    assert redact('"GET /shared-with-pharmacist/s3cret/ HTTP/1.1" 200 9') == (
        '"GET /shared-with-pharmacist/[redacted]/ HTTP/1.1" 200 9'
    )
    assert any("shared-with-pharmacist" in route for route in secret_routes())
