"""Every page without an id in its URL renders, in Adhere's layout, for everyone."""

from __future__ import annotations

import pytest
from django.urls import URLPattern, URLResolver, get_resolver

from accounts.tests.factories import UserFactory
from accounts.tests.helpers import sign_in

pytestmark = pytest.mark.django_db


def paths_without_parameters(patterns=None, prefix: str = "") -> list[str]:
    found = []
    for pattern in patterns if patterns is not None else get_resolver().url_patterns:
        route = str(pattern.pattern)
        if "<" in route or "(?P" in route or route.startswith("^"):
            continue  # takes a parameter (the access matrix covers those) or is a regex
        if isinstance(pattern, URLResolver):
            found += paths_without_parameters(pattern.url_patterns, prefix + route)
        elif isinstance(pattern, URLPattern):
            found.append("/" + prefix + route)
    return sorted(set(found))


PATHS = paths_without_parameters()


def test_the_walk_finds_the_pages_that_matter():
    for path in ("/", "/healthz", "/accounts/login/", "/accounts/2fa/", "/accounts/sessions/", "/admin/"):
        assert path in PATHS


def assert_renders_in_layout(response, path: str) -> None:
    assert response.status_code < 500, f"{path} answered {response.status_code}"
    is_html = response["Content-Type"].startswith("text/html")
    # The admin and the API's documentation pages (Swagger UI, ReDoc) have layouts of their own.
    if response.status_code == 200 and is_html and not path.startswith(("/admin/", "/api/")):
        assert 'class="skip-link"' in response.content.decode(), f"{path} is not in the app's layout"


@pytest.mark.parametrize("path", PATHS)
def test_a_visitor_gets_a_page_or_a_redirect_never_an_error(client, path):
    assert_renders_in_layout(client.get(path), path)


def new_user():
    return UserFactory()


def patient():
    from patients.tests.factories import PatientFactory

    return PatientFactory().user


def caregiver():
    from patients.tests.factories import CareLinkFactory

    return CareLinkFactory().caregiver


@pytest.mark.parametrize("make_user", [new_user, patient, caregiver])
@pytest.mark.parametrize("path", PATHS)
def test_a_signed_in_user_gets_a_page_or_a_redirect_never_an_error(client, path, make_user):
    sign_in(client, make_user().email)
    assert_renders_in_layout(client.get(path), path)
