"""Project-wide pytest setup: test-only settings, factories' users, the browser."""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from django.conf import settings

# Playwright's sync API keeps an event loop running in the test's thread;
# Django would take that for async code and refuse ORM calls from the test.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-quic",
    "--disable-sync",
]
ARTIFACTS = Path(__file__).resolve().parent / "test-artifacts"


def pytest_configure(config: pytest.Config) -> None:
    # Tests run over plain HTTP on localhost: production's HTTPS redirect and
    # Secure cookies would lock the test client and the browser out. The
    # production values are checked by adherence/tests/test_deploy.py.
    settings.SECURE_SSL_REDIRECT = False
    settings.SESSION_COOKIE_SECURE = False
    settings.CSRF_COOKIE_SECURE = False
    # No collectstatic in tests: serve files as they are, unhashed.
    settings.STORAGES["staticfiles"] = {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"}
    settings.WHITENOISE_USE_FINDERS = True
    settings.WHITENOISE_AUTOREFRESH = True
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    _let_flush_empty_the_audit_trail()


def _let_flush_empty_the_audit_trail() -> None:
    """Tests that commit (live server, transaction=True) end with `flush`, which the audit
    trail's triggers would refuse: empty the trail first, under the purge permit the
    triggers honour. Only the test suite does this."""
    from django.core.management.commands import flush

    original = flush.Command.handle

    def handle(self, **options):
        from django.db import connections, transaction

        connection = connections[options.get("database") or "default"]
        with transaction.atomic(using=connection.alias), connection.cursor() as cursor:
            cursor.execute("INSERT INTO audit_auditpurgepermit (enabled) VALUES (%s)", [True])
            cursor.execute("DELETE FROM audit_auditseal")
            cursor.execute("DELETE FROM audit_auditentry")
        # The permit stays until flush empties every table, itself included: on PostgreSQL
        # that is one TRUNCATE of all tables, which the triggers check before it runs.
        return original(self, **options)

    flush.Command.handle = handle


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    """With FAIL_ON_SKIP=1 (CI), a skipped test fails the run: CI must not count it as passing."""
    if os.environ.get("FAIL_ON_SKIP") != "1" or exitstatus != 0:
        return
    reporter = session.config.pluginmanager.get_plugin("terminalreporter")
    skipped = reporter.stats.get("skipped", []) if reporter else []
    if skipped:
        reporter.write_line(
            f"FAIL_ON_SKIP=1 and {len(skipped)} test(s) were skipped: failing the run.", red=True
        )
        session.exitstatus = pytest.ExitCode.TESTS_FAILED


# --- Browser ----------------------------------------------------------------


@pytest.fixture(scope="session")
def browser():
    """Debian's headless Chromium driven by Playwright (its own download does not work here)."""
    if not Path(CHROMIUM).exists():
        reason = f"Chromium not found at {CHROMIUM} (apt-get install chromium, or set CHROMIUM)."
        if os.environ.get("REQUIRE_BROWSER") == "1":
            pytest.fail(f"{reason} REQUIRE_BROWSER=1 makes a missing browser a failure.")
        pytest.skip(reason)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@contextlib.contextmanager
def browser_page(browser, base_url: str, name: str, **context_options) -> Iterator:
    """A page in a browser context of its own (one person's browser), held to the CSP.

    On a failure inside the block, a screenshot goes to test-artifacts/<name>.png.
    Any Content-Security-Policy violation in the console fails the test.
    """
    context = browser.new_context(
        base_url=base_url, viewport={"width": 390, "height": 844}, **context_options
    )
    context.set_default_timeout(10_000)
    page = context.new_page()
    csp_violations: list[str] = []
    page.on(
        "console",
        lambda message: (
            csp_violations.append(message.text) if "Content Security Policy" in message.text else None
        ),
    )
    try:
        yield page
    except BaseException:
        ARTIFACTS.mkdir(exist_ok=True)
        page.screenshot(path=ARTIFACTS / f"{name}.png", full_page=True)
        raise
    finally:
        context.close()
    assert not csp_violations, f"The page broke its Content-Security-Policy: {csp_violations}"


@pytest.fixture
def open_page(browser, live_server):
    """open_page(name, **context_options): another person's browser on the live server."""
    from django.core.cache import cache

    # Rate-limit counters live in the cache table, which the database flush
    # between live-server tests does not empty.
    cache.clear()
    return lambda name, **options: browser_page(browser, live_server.url, name, **options)


@pytest.fixture
def page(request, open_page):
    """A fresh browser context on the live server; fails the test on any CSP violation."""
    with open_page(request.node.name) as page:
        yield page
