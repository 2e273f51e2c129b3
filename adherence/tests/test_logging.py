from __future__ import annotations

import io
import logging

import pytest

from adherence.logging import redact


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        (
            '"GET /accounts/confirm-email/MQ:1tAbCd:x9Yz_QwErTy/ HTTP/1.1" 200 3120',
            '"GET /accounts/confirm-email/[redacted]/ HTTP/1.1" 200 3120',
        ),
        (
            '"GET /accounts/password/reset/key/1-cabc12-0f1e2d3c4b5a69788796a5b4c3d2e1f0/ HTTP/1.1" 302 0',
            '"GET /accounts/password/reset/key/[redacted]/ HTTP/1.1" 302 0',
        ),
        (
            '"GET /accounts/login/?next=/ HTTP/1.1" 200 2048',
            '"GET /accounts/login/?next=/ HTTP/1.1" 200 2048',
        ),
    ],
)
def test_it_blanks_the_key_in_a_mailed_link_and_nothing_else(line, expected):
    assert redact(line) == expected


def test_the_request_log_never_prints_a_verification_key():
    # The console handler configured by settings.LOGGING, with its filter.
    handler = logging.getLogger("django.server").handlers[0]
    stream = io.StringIO()
    previous = handler.setStream(stream)
    try:
        logging.getLogger("django.server").info(
            '"%s" %s %s', "GET /accounts/confirm-email/MQ:1tAbCd:secretpart/ HTTP/1.1", "200", "3120"
        )
    finally:
        handler.setStream(previous)
    written = stream.getvalue()
    assert "secretpart" not in written
    assert "/accounts/confirm-email/[redacted]/" in written
