"""Production settings, checked in fresh processes with a production environment."""

from __future__ import annotations

from adherence.tests.fresh_process import run_django_script, run_python

PRODUCTION_ENV = {
    "DEBUG": "0",
    "SECRET_KEY": "x7Jq2Lr9vT4mW8zN1cF6hB3kD5sG0pY2aE7uR4iO9wQ1nM8tV6yH3jK5lZ0xC2bS",
    "ALLOWED_HOSTS": "adhere.example.org",
    "EMAIL_HOST": "smtp.example.org",
}


def test_production_settings_pass_the_deployment_checklist_with_no_warning():
    result = run_python("manage.py", "check", "--deploy", "--fail-level", "WARNING", env=PRODUCTION_ENV)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues" in result.stdout


def test_it_refuses_to_start_in_production_without_a_secret_key():
    env = {**PRODUCTION_ENV, "SECRET_KEY": ""}
    result = run_python("manage.py", "check", env=env)
    assert result.returncode != 0
    assert "SECRET_KEY is not set" in result.stderr


def test_it_refuses_to_print_text_messages_in_production():
    result = run_python("manage.py", "check", env={**PRODUCTION_ENV, "SMS_BACKEND": "console"})
    assert result.returncode != 0
    assert "SMS_BACKEND=console prints text messages instead of sending them" in result.stderr


def test_production_offers_no_text_messages_unless_a_provider_is_set():
    result = run_django_script(
        "from django.conf import settings\nprint(json.dumps({'backend': settings.SMS_BACKEND}))",
        env=PRODUCTION_ENV,
    )
    assert result == {"backend": ""}


STATIC_AND_HEADERS = """
from django.contrib.staticfiles.storage import staticfiles_storage
client = Client(HTTP_HOST="adhere.example.org")
htmx = staticfiles_storage.url("vendor/htmx/htmx.min.js")
static = client.get(htmx, HTTP_ACCEPT_ENCODING="gzip", secure=True)
page = client.get("/", secure=True)
plain = client.get("/")
print(json.dumps({
    "htmx_url": htmx,
    "static_status": static.status_code,
    "static_encoding": static.get("Content-Encoding"),
    "static_cache": static.get("Cache-Control"),
    "page_csp": page.get("Content-Security-Policy"),
    "page_hsts": page.get("Strict-Transport-Security"),
    "page_frame": page.get("X-Frame-Options"),
    "page_cache": page.get("Cache-Control"),
    "plain_status": plain.status_code,
    "plain_location": plain.get("Location"),
    "cookies_secure": all(c["secure"] for c in page.cookies.values()),
}))
"""


def test_production_serves_hashed_compressed_static_files_and_strict_headers(tmp_path):
    env = {
        **PRODUCTION_ENV,
        "STATIC_ROOT": str(tmp_path / "static"),
        "DATABASE_URL": f"sqlite:///{tmp_path}/db",
    }
    collected = run_python("manage.py", "collectstatic", "--no-input", "-v", "0", env=env)
    assert collected.returncode == 0, collected.stderr
    migrated = run_python("manage.py", "migrate", "-v", "0", env=env)
    assert migrated.returncode == 0, migrated.stderr

    seen = run_django_script(STATIC_AND_HEADERS, env=env)

    # htmx is vendored and served under a content-hashed name, gzipped, cached for good.
    assert seen["htmx_url"].startswith("/static/vendor/htmx/htmx.min.")
    assert seen["htmx_url"] != "/static/vendor/htmx/htmx.min.js"
    assert seen["static_status"] == 200
    assert seen["static_encoding"] == "gzip"
    assert "immutable" in seen["static_cache"]

    csp = seen["page_csp"]
    assert "script-src 'self'" in csp
    assert "unsafe-inline" not in csp
    assert "frame-ancestors 'none'" in csp
    assert seen["page_hsts"].startswith("max-age=31536000")
    assert seen["page_frame"] == "DENY"
    assert seen["page_cache"] == "no-store"
    assert seen["cookies_secure"]
    assert seen["plain_status"] == 301
    assert seen["plain_location"] == "https://adhere.example.org/"
