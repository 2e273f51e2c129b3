from __future__ import annotations

import pytest
from django.db import IntegrityError

from accounts.models import User

pytestmark = pytest.mark.django_db


def test_it_knows_people_by_email_and_has_no_user_name():
    user = User.objects.create_user("Ann@Example.ORG", "a long password")
    assert user.email == "ann@example.org"
    assert not hasattr(user, "username") or user.username is None
    assert user.check_password("a long password")
    assert str(user) == "ann@example.org"


def test_one_address_in_other_letter_case_is_the_same_person():
    User.objects.create_user("ann@example.org")
    with pytest.raises(IntegrityError):
        User.objects.create(email="ANN@example.org")


def test_it_makes_superusers_for_the_admin():
    admin = User.objects.create_superuser("admin@example.org", "a long password")
    assert admin.is_staff
    assert admin.is_superuser
