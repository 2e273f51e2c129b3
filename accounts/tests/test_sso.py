"""Sign in with SSO is switched on by environment variables alone."""

from __future__ import annotations

from pathlib import Path

from adherence.tests.fresh_process import run_django_script

LOGIN_PAGE = """
from django.conf import settings
from django.core.management import call_command
call_command("migrate", verbosity=0)
page = Client().get("/accounts/login/").content.decode()
print(json.dumps({"page": page, "form_action": settings.SECURE_CSP["form-action"]}))
"""


def login_page_with(env: dict[str, str], tmp_path: Path) -> dict:
    return run_django_script(
        LOGIN_PAGE, env={**env, "DEBUG": "1", "DATABASE_URL": f"sqlite:///{tmp_path}/db.sqlite3"}
    )


def test_the_login_page_offers_sso_when_a_provider_is_configured(tmp_path):
    seen = login_page_with(
        {
            "OIDC_SERVER_URL": "https://id.example.org/realms/clinic",
            "OIDC_CLIENT_ID": "adhere",
            "OIDC_CLIENT_SECRET": "s3cret",
            "OIDC_PROVIDER_NAME": "Clinic account",
        },
        tmp_path,
    )
    assert "Clinic account" in seen["page"]
    assert "/accounts/oidc/sso/login/" in seen["page"]
    assert "s3cret" not in seen["page"]
    assert "https://id.example.org" in seen["form_action"]


def test_without_configuration_there_is_no_sso_button(tmp_path):
    seen = login_page_with({}, tmp_path)
    assert "/accounts/oidc/" not in seen["page"]
