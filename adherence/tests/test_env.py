from __future__ import annotations

import pytest
from django.core.exceptions import ImproperlyConfigured

from adherence.env import env_bool, env_int, env_list


def test_it_reads_booleans_in_the_usual_spellings(monkeypatch):
    for raw, expected in [
        ("1", True),
        ("yes", True),
        ("On", True),
        ("0", False),
        ("false", False),
        ("", False),
    ]:
        monkeypatch.setenv("FLAG", raw)
        assert env_bool("FLAG", not expected) is expected


def test_it_uses_the_default_when_unset(monkeypatch):
    monkeypatch.delenv("FLAG", raising=False)
    assert env_bool("FLAG", True) is True
    assert env_int("NUMBER", 30) == 30
    assert env_list("HOSTS", ["a"]) == ["a"]


def test_it_names_the_variable_when_a_boolean_is_not_one(monkeypatch):
    monkeypatch.setenv("DEBUG", "maybe")
    with pytest.raises(ImproperlyConfigured, match="DEBUG must be one of"):
        env_bool("DEBUG", False)


def test_it_rejects_numbers_out_of_range_in_words(monkeypatch):
    monkeypatch.setenv("REMEMBER_DEVICE_DAYS", "90")
    with pytest.raises(ImproperlyConfigured, match="REMEMBER_DEVICE_DAYS must be at most 30; got 90"):
        env_int("REMEMBER_DEVICE_DAYS", 30, minimum=1, maximum=30)
    monkeypatch.setenv("REMEMBER_DEVICE_DAYS", "thirty")
    with pytest.raises(ImproperlyConfigured, match="must be a whole number"):
        env_int("REMEMBER_DEVICE_DAYS", 30)


def test_it_splits_lists_on_commas_and_drops_blanks(monkeypatch):
    monkeypatch.setenv("ALLOWED_HOSTS", " adhere.example.org, ,www.adhere.example.org ")
    assert env_list("ALLOWED_HOSTS", []) == ["adhere.example.org", "www.adhere.example.org"]
