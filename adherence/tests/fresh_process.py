"""Run Adhere in a fresh Python process with an environment the test chooses.

Settings are read once, at import, so a test of another configuration
(production, Redis, SSO, a database that is down) starts a new process
instead of patching settings in this one.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

# Set for or by this test run; a fresh process gets only what the test gives it.
NOT_INHERITED = {
    "DEBUG",
    "SECRET_KEY",
    "DATABASE_URL",
    "REDIS_URL",
    "DJANGO_ALLOW_ASYNC_UNSAFE",
    "REQUIRE_BROWSER",
    "FAIL_ON_SKIP",
}

# What a script needs before it can use Django's test client.
DJANGO_PRELUDE = """
import django, json
django.setup()
from django.test import Client
from django.test.utils import setup_test_environment
setup_test_environment()
"""


def run_python(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess:
    inherited = {
        name: value
        for name, value in os.environ.items()
        if name not in NOT_INHERITED and not name.startswith("OIDC_")
    }
    return subprocess.run(
        [sys.executable, *args],
        cwd=ROOT,
        env={**inherited, "DJANGO_SETTINGS_MODULE": "adherence.settings", **env},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def run_django_script(script: str, *, env: dict[str, str]) -> dict:
    """Run DJANGO_PRELUDE + script, which prints one JSON object last; return it."""
    result = run_python("-c", DJANGO_PRELUDE + script, env=env)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1])
