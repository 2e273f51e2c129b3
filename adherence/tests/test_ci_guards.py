"""The guards that keep CI honest: a missing browser or a skipped test cannot pass quietly."""

from __future__ import annotations

import subprocess

from adherence.tests.fresh_process import run_python

BROWSER_TEST = (
    "accounts/tests/test_browser_accounts.py"
    "::test_a_new_user_signs_up_verifies_their_email_signs_out_and_signs_back_in"
)


def pytest_without_chromium(**env: str) -> subprocess.CompletedProcess:
    return run_python(
        "-m",
        "pytest",
        BROWSER_TEST,
        "-p",
        "no:cacheprovider",
        "-q",
        "-rs",
        env={"SECRET_KEY": "test-only", "CHROMIUM": "/nonexistent/chromium", **env},
    )


def test_a_missing_browser_skips_with_the_reason_by_default():
    result = pytest_without_chromium()
    assert result.returncode == 0, result.stdout
    assert "1 skipped" in result.stdout
    assert "Chromium not found at /nonexistent/chromium" in result.stdout


def test_a_missing_browser_fails_when_the_browser_is_required():
    result = pytest_without_chromium(REQUIRE_BROWSER="1")
    assert result.returncode == 1, result.stdout
    assert "REQUIRE_BROWSER=1 makes a missing browser a failure" in result.stdout


def test_any_skipped_test_fails_the_run_when_ci_forbids_skips():
    result = pytest_without_chromium(FAIL_ON_SKIP="1")
    assert result.returncode == 1, result.stdout
    assert "FAIL_ON_SKIP=1 and 1 test(s) were skipped" in result.stdout
