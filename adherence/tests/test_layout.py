from __future__ import annotations

import pytest

from accounts.tests.factories import UserFactory
from accounts.tests.helpers import sign_in

pytestmark = pytest.mark.django_db


def test_an_anonymous_visitor_learns_what_adhere_is_and_where_to_start(client):
    page = client.get("/", follow=True).content.decode()
    assert page.index('class="skip-link" href="#main"') < page.index("<header")
    assert '<main id="main"' in page
    assert 'href="/accounts/signup/"' in page
    assert 'href="/accounts/login/"' in page
    assert "missed" in page


def test_a_signed_in_user_has_an_account_menu_with_a_sign_out_that_posts(client):
    user = UserFactory(email="ann@example.org")
    sign_in(client, user.email)
    page = client.get("/", follow=True).content.decode()
    assert "ann@example.org" in page
    for link in ("/accounts/email/", "/accounts/password/change/", "/accounts/2fa/", "/accounts/sessions/"):
        assert f'href="{link}"' in page, link
    assert '<form method="post" action="/accounts/logout/">' in page
    assert "/admin/" not in page, "the admin link is for staff"


def test_staff_find_the_admin_in_their_menu(client):
    staff = UserFactory(is_staff=True)
    sign_in(client, staff.email)
    assert 'href="/admin/"' in client.get("/", follow=True).content.decode()


def test_pages_of_a_signed_in_user_are_never_stored_by_the_browser(client):
    user = UserFactory()
    sign_in(client, user.email)
    for path in ("/", "/accounts/email/", "/accounts/sessions/"):
        assert client.get(path)["Cache-Control"] == "no-store", path


def test_the_page_tells_the_browser_when_idle_logoff_comes(client):
    user = UserFactory()
    sign_in(client, user.email)
    assert 'data-idle-logoff="1800"' in client.get("/", follow=True).content.decode()
    patient_on_own_phone = UserFactory()
    client.post("/accounts/logout/")
    sign_in(client, patient_on_own_phone.email, remember=True)
    assert "data-idle-logoff" not in client.get("/", follow=True).content.decode()
