"""Two requests (or job runs) at the same moment, each in its own thread and database connection.

On PostgreSQL the threads really race: row locks, compare-and-set updates and unique constraints
decide who wins.

On SQLite the same scenarios run, one call after the other (CI fails a run with skipped tests).
SQLite serialises writers anyway, but not in the test database: pytest-django's in-memory database
is opened in shared-cache mode, where a second writer gets "database table is locked" at once
(SQLITE_LOCKED ignores the 20 s busy timeout that the app's file database relies on). So each call
still gets its own thread and connection, and a lock lets one finish before the next starts: the
second call meets the first one's committed work, which is what the losing request sees on PostgreSQL.
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Callable
from typing import Any

from django.db import connection


def at_once(calls: list[Callable[[], Any]]) -> list[Any]:
    """Run each call in its own thread and connection, released together by a barrier; their results."""
    barrier = threading.Barrier(len(calls), timeout=30)
    turns = threading.Lock() if connection.vendor == "sqlite" else contextlib.nullcontext()
    results: list[Any] = [None] * len(calls)

    def run(index: int, call: Callable[[], Any]) -> None:
        try:
            barrier.wait()
            with turns:
                results[index] = call()
        except BaseException as error:
            results[index] = error
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(index, call)) for index, call in enumerate(calls)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not any(thread.is_alive() for thread in threads), "a thread is stuck"
    errors = [result for result in results if isinstance(result, BaseException)]
    assert not errors, f"a call failed: {errors!r}"
    return results
