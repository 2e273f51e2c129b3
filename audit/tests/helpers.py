"""Reading and (for the tamper tests) forcing the audit trail, shared by the audit tests."""

from __future__ import annotations

import contextlib
import json
from collections.abc import Iterator

from django.db import connection

from audit.models import AuditEntry, AuditSeal

TABLES = ("audit_auditentry", "audit_auditseal")


class Trail:
    """The entries written since `Trail()` was made: what one step of a test added."""

    def __init__(self) -> None:
        newest = AuditEntry.objects.order_by("-pk").values_list("pk", flat=True).first()
        self.since = newest or 0

    def new(self, **filters) -> list[AuditEntry]:
        return list(AuditEntry.objects.filter(pk__gt=self.since, **filters).order_by("pk"))

    def one(self, **filters) -> AuditEntry:
        found = self.new(**filters)
        assert len(found) == 1, [str(entry) for entry in self.new()]
        return found[0]


def everything_written() -> str:
    """Every entry and seal as one text: a secret must not appear anywhere in it."""
    rows = [
        [
            entry.actor_label,
            entry.entity_type,
            entry.entity_id,
            json.dumps(entry.payload, ensure_ascii=False),
        ]
        for entry in AuditEntry.objects.order_by("pk")
    ]
    seals = list(AuditSeal.objects.values())
    return json.dumps([rows, seals], ensure_ascii=False, default=str)


def execute(sql: str, params: list | tuple = ()) -> int:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.rowcount


@contextlib.contextmanager
def triggers_lifted() -> Iterator[None]:
    """What someone with the database's keys could do: switch the append-only triggers off.

    PostgreSQL: the table owner disables the user triggers. SQLite: a row in the purge
    permit the triggers honour. Both are put back afterwards (and the test's
    transaction is rolled back anyway).
    """
    if connection.vendor == "postgresql":
        for table in TABLES:
            execute(f"ALTER TABLE {table} DISABLE TRIGGER USER")
        try:
            yield
        finally:
            for table in TABLES:
                execute(f"ALTER TABLE {table} ENABLE TRIGGER USER")
    else:
        execute("INSERT INTO audit_auditpurgepermit (enabled) VALUES (%s)", [True])
        try:
            yield
        finally:
            execute("DELETE FROM audit_auditpurgepermit")


def insert_entry_by_sql(**values) -> int:
    """An entry written straight into the table, around record(): whatever digest the writer made up."""
    meta = AuditEntry._meta
    names = list(values)
    params = [meta.get_field(name).get_db_prep_value(values[name], connection) for name in names]
    placeholders = ", ".join(["%s"] * len(names))
    execute(f"INSERT INTO audit_auditentry ({', '.join(names)}) VALUES ({placeholders})", params)  # noqa: S608 (names are the model's)
    uid = meta.get_field("uid").get_db_prep_value(values["uid"], connection)
    with connection.cursor() as cursor:
        cursor.execute("SELECT id FROM audit_auditentry WHERE uid = %s", [uid])
        return cursor.fetchone()[0]
