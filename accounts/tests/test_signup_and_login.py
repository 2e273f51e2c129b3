from __future__ import annotations

import pytest
from django.core import mail

from accounts.models import User
from accounts.tests.factories import PASSWORD, UserFactory
from accounts.tests.helpers import link_in_last_mail, sign_in, signed_in_email

pytestmark = pytest.mark.django_db


def sign_up(client, email="new.patient@example.org", password=PASSWORD, confirm=PASSWORD):
    return client.post("/accounts/signup/", {"email": email, "password1": password, "password2": confirm})


def test_signing_up_sends_a_verification_link_and_signs_in_only_after_it(client):
    response = sign_up(client)
    assert response.status_code == 302
    assert response["Location"] == "/accounts/confirm-email/"
    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == ["new.patient@example.org"]
    assert mail.outbox[0].subject.startswith("Adhere: ")

    # Not verified yet: not signed in.
    assert signed_in_email(client) is None

    link = link_in_last_mail("/accounts/confirm-email/")
    confirm_page = client.get(link)
    assert "new.patient@example.org" in confirm_page.content.decode(), "a GET must only show the button"
    assert not User.objects.get(email="new.patient@example.org").emailaddress_set.get().verified

    client.post(link)
    assert User.objects.get(email="new.patient@example.org").emailaddress_set.get().verified
    assert signed_in_email(client) == "new.patient@example.org"


def test_sign_up_with_bad_input_says_what_is_wrong_and_keeps_the_email(client):
    response = sign_up(client, email="someone@example.org", password="short", confirm="short")
    page = response.content.decode()
    assert response.status_code == 200
    assert 'value="someone@example.org"' in page
    assert "This password is too short. It must contain at least 10 characters." in page

    response = sign_up(client, email="someone@example.org", confirm="something else entirely")
    assert "You must type the same password each time." in response.content.decode()
    assert not User.objects.filter(email="someone@example.org").exists()


def test_an_address_that_is_taken_gets_no_second_account_and_no_hint(client):
    # Saying "taken" would tell a stranger who uses Adhere; the owner is told instead.
    UserFactory(email="taken@example.org")
    response = sign_up(client, email="Taken@Example.org")
    assert response["Location"] == "/accounts/confirm-email/"
    assert User.objects.filter(email__iexact="taken@example.org").count() == 1
    assert mail.outbox[-1].to == ["taken@example.org"]
    assert "already" in mail.outbox[-1].body


def test_a_wrong_password_is_refused_in_words(client):
    UserFactory(email="ann@example.org")
    response = sign_in(client, "ann@example.org", "not the password")
    assert response.status_code == 200
    assert "The email address and/or password you specified are not correct." in response.content.decode()


def test_failed_logins_are_rate_limited(client):
    UserFactory(email="ann@example.org")
    for _ in range(5):
        sign_in(client, "ann@example.org", "guess")
    response = sign_in(client, "ann@example.org", PASSWORD)
    assert "Too many failed login attempts" in response.content.decode()
    assert signed_in_email(client) is None


def test_a_forgotten_password_is_reset_from_the_mailed_link(client):
    UserFactory(email="ann@example.org")
    client.post("/accounts/password/reset/", {"email": "ann@example.org"})
    link = link_in_last_mail("/accounts/password/reset/key/")
    form_page = client.get(link, follow=True)
    # The key leaves the address bar before the form is shown.
    assert "set-password" in form_page.redirect_chain[-1][0]
    client.post(
        form_page.redirect_chain[-1][0],
        {"password1": "a brand new passphrase", "password2": "a brand new passphrase"},
    )
    assert User.objects.get(email="ann@example.org").check_password("a brand new passphrase")


def test_changing_the_password_ends_every_other_session(client):
    from django.test import Client

    UserFactory(email="ann@example.org")
    phone, laptop = client, Client()
    sign_in(phone, "ann@example.org")
    sign_in(laptop, "ann@example.org")
    assert signed_in_email(laptop) == "ann@example.org"

    phone.post(
        "/accounts/password/change/",
        {
            "oldpassword": PASSWORD,
            "password1": "a brand new passphrase",
            "password2": "a brand new passphrase",
        },
    )
    assert signed_in_email(phone) == "ann@example.org", "the session that changed it stays"
    assert signed_in_email(laptop) is None


def test_admin_sign_in_goes_through_the_app_login_with_its_limits(client):
    response = client.get("/admin/")
    assert response.status_code == 302
    login = client.get(response["Location"], follow=True)
    assert login.redirect_chain[-1][0].startswith("/accounts/login/")
