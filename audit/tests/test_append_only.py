"""The database itself refuses to change or remove the trail (migration 0002's triggers).

Every refused statement runs in a savepoint (transaction.atomic) so that the
error does not spoil the test's transaction; the row is then read back
unchanged and still matching its digest.
"""

from __future__ import annotations

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import DatabaseError, connection, transaction

from audit.integrity import entry_digest, seal
from audit.models import Action, AuditEntry, AuditPurgePermit, AuditSeal
from audit.tests.helpers import execute
from audit.trail import record
from patients.tests.factories import PatientFactory

pytestmark = pytest.mark.django_db

REFUSED = "The audit trail is append-only"


@pytest.fixture
def entry() -> AuditEntry:
    patient = PatientFactory()
    written = record(Action.VIEW, entity=patient, patient_id=patient.pk, payload={"page": "/patients/1/"})
    return AuditEntry.objects.get(uid=written.uid)


def refused(sql: str, params: list | tuple = ()) -> str:
    """Run `sql`, which must fail; the database's message."""
    with pytest.raises(DatabaseError) as error, transaction.atomic():
        execute(sql, params)
    return str(error.value)


def unchanged(entry: AuditEntry) -> None:
    again = AuditEntry.objects.get(pk=entry.pk)
    assert (again.actor_label, again.payload, again.digest) == (
        entry.actor_label,
        entry.payload,
        entry.digest,
    )
    assert entry_digest(again) == again.digest


def test_an_update_of_an_entry_is_refused(entry):
    message = refused("UPDATE audit_auditentry SET actor_label = %s WHERE id = %s", ["mallory", entry.pk])
    assert REFUSED in message
    assert "UPDATE on audit_auditentry is refused" in message
    unchanged(entry)


def test_an_update_of_the_payload_is_refused(entry):
    if connection.vendor == "postgresql":
        sql = "UPDATE audit_auditentry SET payload = %s::jsonb WHERE id = %s"
    else:
        sql = "UPDATE audit_auditentry SET payload = %s WHERE id = %s"
    message = refused(sql, ['{"page": "/"}', entry.pk])
    assert REFUSED in message
    unchanged(entry)


def test_an_update_of_every_entry_at_once_is_refused(entry):
    record(Action.ALERT, entity_type="reminders.Dose")
    assert REFUSED in refused("UPDATE audit_auditentry SET patient_id = NULL")
    unchanged(entry)
    assert AuditEntry.objects.filter(patient_id__isnull=False).count() >= 1


def test_a_delete_of_an_entry_is_refused(entry):
    message = refused("DELETE FROM audit_auditentry WHERE id = %s", [entry.pk])
    assert "DELETE on audit_auditentry is refused" in message
    unchanged(entry)


def test_deleting_the_whole_table_is_refused(entry):
    count = AuditEntry.objects.count()
    assert REFUSED in refused("DELETE FROM audit_auditentry")
    assert AuditEntry.objects.count() == count
    unchanged(entry)


def test_truncate_is_refused_on_postgresql_and_does_not_exist_on_sqlite(entry):
    count = AuditEntry.objects.count()
    if connection.vendor == "postgresql":
        message = refused("TRUNCATE audit_auditentry")
        assert "TRUNCATE on audit_auditentry is refused" in message
        assert "TRUNCATE on audit_auditseal is refused" in refused("TRUNCATE audit_auditseal CASCADE")
    else:
        # SQLite has no TRUNCATE; its "truncate optimisation" is DELETE without WHERE, which the
        # trigger turns off (test_deleting_the_whole_table_is_refused). The statement itself fails.
        refused("TRUNCATE audit_auditentry")
    assert AuditEntry.objects.count() == count
    unchanged(entry)


def test_the_orm_is_refused_too(entry):
    with pytest.raises(DatabaseError), transaction.atomic():
        AuditEntry.objects.filter(pk=entry.pk).update(actor_label="mallory")
    with pytest.raises(DatabaseError), transaction.atomic():
        AuditEntry.objects.get(pk=entry.pk).delete()
    changed = AuditEntry.objects.get(pk=entry.pk)
    changed.actor_label = "mallory"
    with pytest.raises(DatabaseError), transaction.atomic():
        changed.save()
    unchanged(entry)


def test_seals_can_be_neither_changed_nor_removed(entry):
    assert seal() == AuditEntry.objects.count()
    link = AuditSeal.objects.get()
    assert "UPDATE on audit_auditseal is refused" in refused(
        "UPDATE audit_auditseal SET chain = %s WHERE seq = %s", ["0" * 64, link.seq]
    )
    assert "DELETE on audit_auditseal is refused" in refused("DELETE FROM audit_auditseal")
    again = AuditSeal.objects.get()
    assert (again.seq, again.chain, again.digest, again.entry_ids) == (
        link.seq,
        link.chain,
        link.digest,
        link.entry_ids,
    )


def test_a_permit_that_is_not_enabled_permits_nothing(entry):
    execute("INSERT INTO audit_auditpurgepermit (enabled) VALUES (%s)", [False])
    assert REFUSED in refused("DELETE FROM audit_auditentry WHERE id = %s", [entry.pk])
    assert REFUSED in refused("UPDATE audit_auditentry SET actor_label = %s WHERE id = %s", ["x", entry.pk])
    unchanged(entry)


def test_new_entries_can_still_be_added(entry):
    """Append-only, not read-only: INSERT is what the trail is for."""
    added = record(Action.ALERT, entity_type="reminders.Dose", entity_id=3)
    assert AuditEntry.objects.filter(uid=added.uid).exists()


def test_the_test_suites_flush_can_empty_a_database_holding_a_trail(entry):
    """What TransactionTestCase does after each test: flush (here inside the test's transaction)."""
    seal()
    if connection.vendor == "postgresql":
        # Inside a transaction, PostgreSQL refuses to TRUNCATE tables with foreign-key checks
        # still pending: run them now, as a committed test's would have been.
        execute("SET CONSTRAINTS ALL IMMEDIATE")
    try:
        call_command("flush", interactive=False, verbosity=0, inhibit_post_migrate=True)
    except CommandError as error:
        cause = str(error.__cause__)
        assert "The audit trail is append-only: TRUNCATE" not in cause, cause
        raise
    assert not AuditEntry.objects.exists()
    assert not AuditSeal.objects.exists()
    assert not AuditPurgePermit.objects.exists(), "the permit must not outlive the flush"
