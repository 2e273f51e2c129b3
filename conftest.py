"""Project-wide pytest setup: test-only settings, the clock, the people the tests share, the browser.

Every fixture is defined once, here or in one app's conftest.py or test module
(adherence/tests/test_fixtures.py checks it), so a fixture's name means the same thing everywhere.
"""

from __future__ import annotations

import contextlib
import datetime
import os
from collections.abc import Iterator
from pathlib import Path

import pytest
import time_machine
from django.conf import settings
from django.core.servers.basehttp import WSGIServer
from django.test.testcases import LiveServerThread

from accounts.models import User
from adherence.tests import world as people
from patients.models import PatientProfile
from patients.tests.factories import PatientFactory

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


class OneRequestAtATimeServer(WSGIServer):
    """The browser tests' live server when the test database is SQLite in memory.

    Then every request is served on the test's own database connection (an in-memory database
    exists only in it), and Django's threaded live server would run two requests on that one
    connection at once: a page's two polls arriving together interleave their transactions ("no
    such savepoint"), and the connection stays broken for every later request. Served one at a time,
    each request closes its connection to the browser (Django's server does so when it is not
    threaded), so the browser's next request waits in the listen queue, as it would for a busy
    worker. On PostgreSQL each request has its own connection and the threaded server stays.
    """

    def __init__(self, *args, connections_override=None, **kwargs) -> None:
        super().__init__(*args, **kwargs)


if settings.DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    LiveServerThread.server_class = OneRequestAtATimeServer


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


# --- The clock ------------------------------------------------------------

# Wednesday 4 March 2026, 06:00 UTC: 06:00 in London too (GMT), so a London patient's local
# times read as UTC. A test or module that needs another moment says so with
# `@pytest.mark.clock(moment)` (or `pytestmark = pytest.mark.clock(moment)`);
# `pytest.mark.clock(moment, tick=True)` lets time run on from there.
CLOCK_DEFAULT = datetime.datetime(2026, 3, 4, 6, 0, tzinfo=datetime.UTC)


@pytest.fixture
def clock(request: pytest.FixtureRequest) -> Iterator[time_machine.Traveller]:
    """Time stopped at CLOCK_DEFAULT or at the test's `clock` mark; move it with clock.move_to / shift."""
    mark = request.node.get_closest_marker("clock")
    moment = mark.args[0] if mark is not None and mark.args else CLOCK_DEFAULT
    tick = bool(mark.kwargs.get("tick", False)) if mark is not None else False
    with time_machine.travel(moment, tick=tick) as traveller:
        yield traveller


# --- The people (adherence/tests/world.py) ------------------------------------


@pytest.fixture
def ann(db) -> PatientProfile:
    """Ann Example, a patient in London."""
    return people.make_ann()


@pytest.fixture
def carl(ann) -> User:
    """Carl cares for Ann, may confirm her doses and gets her missed-dose alerts."""
    return people.make_carl(ann)


@pytest.fixture
def vera(ann) -> User:
    """Vera cares for Ann and may only look: she neither confirms doses nor gets alerts."""
    return people.make_vera(ann)


@pytest.fixture
def bob(db) -> PatientProfile:
    """Bob Other, another patient, whom nobody here cares for."""
    return people.make_bob()


@pytest.fixture
def nina(db) -> PatientProfile:
    """Nina, a patient in New York with a US phone number."""
    return people.make_nina()


@pytest.fixture
def patient(db) -> PatientProfile:
    """A patient, nobody in particular (in London, like every factory-made patient)."""
    return PatientFactory()


@pytest.fixture
def world(ann, carl, vera) -> people.World:
    """Ann with Carl (may confirm) and Vera (may only look)."""
    return people.World(ann=ann, carl=carl, vera=vera)


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
