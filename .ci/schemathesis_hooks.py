"""Schemathesis hooks for .ci/schemathesis: a refused write leaves the database as it was.

Loaded through SCHEMATHESIS_HOOKS. Around every request that may write (not GET, HEAD or
OPTIONS), the rows of the app's own tables are counted in the throwaway SQLite database
(ADHERE_FUZZ_DB, read only). A custom check then fails any answer of 400 or more after which a
count changed: nothing half-saved. Rate-limit rows, sessions and the cache change on every
request and are not counted.
"""

from __future__ import annotations

import os
import sqlite3

import schemathesis

TABLES = [
    "patients_patientprofile",
    "patients_carelink",
    "reminders_medicationreminder",
    "reminders_dose",
    "reminders_confirmationlog",
    "reminders_misseddosealert",
    "notifications_notification",
    "notifications_notificationsettings",
    "notifications_pushsubscription",
    "audit_auditentry",
]
READS = {"GET", "HEAD", "OPTIONS"}

# Counts before and after each writing call, by the response they belong to. A check may be
# run again on the same response (shrinking, replay): it then compares the same two counts.
# Keys are id()s, which Python reuses once an object is gone: after_call writes the entry of
# every writing call afresh, and the check looks only at writing calls, so a stale entry is
# never read; the oldest are dropped past KEEP.
KEEP = 1000
_before: dict[int, dict[str, int]] = {}
_counts: dict[int, tuple[dict[str, int], dict[str, int]]] = {}


def counts() -> dict[str, int]:
    path = os.environ["ADHERE_FUZZ_DB"]
    with sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=30) as connection:
        return {table: connection.execute(f"SELECT count(*) FROM {table}").fetchone()[0] for table in TABLES}  # noqa: S608


@schemathesis.hook
def before_call(ctx, case, **kwargs):
    if case.method.upper() not in READS:
        _before[id(case)] = counts()


@schemathesis.hook
def after_call(ctx, case, response):
    before = _before.pop(id(case), None)
    if before is not None:
        _counts.pop(id(response), None)
        _counts[id(response)] = (before, counts())
        while len(_counts) > KEEP:
            del _counts[next(iter(_counts))]


@schemathesis.check
def nothing_saved_when_refused(ctx, response, case):
    """A write answered 4xx or 5xx changed no row."""
    if case.method.upper() in READS or response.status_code < 400 or id(response) not in _counts:
        return None
    before, after = _counts[id(response)]
    changed = {table: (before[table], after[table]) for table in TABLES if before[table] != after[table]}
    if changed:
        raise AssertionError(
            f"Refused with {response.status_code} but rows changed: "
            + ", ".join(f"{table} {was} -> {now}" for table, (was, now) in changed.items())
        )
    return None
