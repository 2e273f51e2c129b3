"""Sign in with SSO is switched on by environment variables alone."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

LOGIN_PAGE = """
import django, json
django.setup()
from django.conf import settings
from django.test import Client
from django.test.utils import setup_test_environment
setup_test_environment()
from django.core.management import call_command
call_command("migrate", verbosity=0)
page = Client().get("/accounts/login/").content.decode()
print(json.dumps({"page": page, "form_action": settings.SECURE_CSP["form-action"]}))
"""


def login_page_with(env: dict[str, str], tmp_path: Path) -> dict:
    clean = {k: v for k, v in os.environ.items() if not k.startswith("OIDC_") and k != "DATABASE_URL"}
    result = subprocess.run(
        [sys.executable, "-c", LOGIN_PAGE],
        cwd=ROOT,
        env={**clean, **env, "DEBUG": "1", "DATABASE_URL": f"sqlite:///{tmp_path}/db.sqlite3"},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1])


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
