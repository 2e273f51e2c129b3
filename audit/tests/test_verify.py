"""Tamper-evidence: the sealer's chain and `manage.py verify_audit`.

The tamper tests do what someone with the database's keys (but not the app's
AUDIT_KEY) could do: lift the append-only triggers (helpers.triggers_lifted)
and change, remove or insert rows by SQL. Each way must be caught and the bad
entry named.
"""

from __future__ import annotations

import datetime
import io
import uuid
from datetime import UTC, timedelta

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection

from audit import tasks
from audit.integrity import (
    LATE_COMMIT_LOOKBACK,
    MAX_CLOCK_SKEW,
    block_digest,
    chain_link,
    entry_digest,
    seal,
    verify,
)
from audit.models import Action, ActorType, AuditEntry, AuditSeal
from audit.tests.helpers import execute, insert_entry_by_sql, triggers_lifted
from audit.trail import acting_as, actor_for, record
from patients import services as patient_services
from patients.tests.factories import CareLinkFactory, PatientFactory
from reminders import services
from reminders.tests.factories import DoseFactory, MedicationFactory

NOW = datetime.datetime(2026, 11, 2, 9, 30, tzinfo=UTC)

pytestmark = [pytest.mark.django_db, pytest.mark.clock(NOW, tick=True), pytest.mark.usefixtures("clock")]


def some_activity() -> None:
    """A patient, a caregiver, a medication, a dose taken and undone, a care link revoked."""
    ann = PatientFactory(user__email="ann@example.org")
    link = CareLinkFactory(patient=ann)
    dose = DoseFactory(reminder=MedicationFactory(patient=ann))
    with acting_as(actor_for(ann.user), "/patients/1/"):
        services.dose_confirm(dose=dose, by=ann.user, method="web")
        services.dose_undo(dose=dose, by=ann.user)
        patient_services.care_link_revoke(link=link)
        record(Action.VIEW, entity=ann, patient_id=ann.pk, payload={"page": "/patients/1/"})


def verify_audit(*args: str) -> str:
    out = io.StringIO()
    call_command("verify_audit", *args, stdout=out)
    return out.getvalue()


def caught(*args: str) -> str:
    """verify_audit must fail; its message."""
    with pytest.raises(CommandError) as error:
        verify_audit(*args)
    assert error.value.returncode == 1
    return str(error.value)


def sealed_trail() -> list[int]:
    some_activity()
    count = AuditEntry.objects.count()
    assert seal() == count
    return list(AuditEntry.objects.order_by("pk").values_list("pk", flat=True))


def entry_with_id(pk: int, **fields) -> AuditEntry:
    """What record() writes, with the id chosen: the entry of a transaction that committed late."""
    entry = AuditEntry(
        pk=pk,
        actor_type=ActorType.SYSTEM,
        actor_id=None,
        actor_label="system: late",
        action=Action.ALERT,
        entity_type="reminders.Dose",
        **fields,
    )
    entry.digest = entry_digest(entry)
    entry.save(force_insert=True)
    return entry


# --- An intact trail -------------------------------------------------------------------------------


def test_an_intact_sealed_trail_verifies_and_says_how_many_entries_it_checked():
    ids = sealed_trail()
    out = verify_audit()
    assert f"The audit trail is intact: {len(ids)} entries checked (0 not sealed yet) in " in out
    assert " entries/s." in out
    head = AuditSeal.objects.get()
    assert f"Chain head: seal 1 {head.chain[:16]}" in out


def test_entries_not_sealed_yet_are_checked_too():
    some_activity()
    count = AuditEntry.objects.count()
    out = verify_audit()
    assert f"The audit trail is intact: {count} entries checked ({count} not sealed yet)" in out
    assert "Chain head: seal 0 (none yet)" in out
    assert not AuditSeal.objects.exists()


def test_an_empty_trail_is_intact():
    assert "The audit trail is intact: 0 entries checked (0 not sealed yet)" in verify_audit()


def test_seal_first_seals_then_verifies():
    some_activity()
    count = AuditEntry.objects.count()
    out = verify_audit("--seal-first")
    assert f"The audit trail is intact: {count} entries checked (0 not sealed yet)" in out
    assert sorted(AuditSeal.objects.get().entry_ids) == list(
        AuditEntry.objects.order_by("pk").values_list("pk", flat=True)
    )


def test_the_seal_task_chains_the_entries_in_id_order_and_twice_adds_nothing():
    some_activity()
    ids = list(AuditEntry.objects.order_by("pk").values_list("pk", flat=True))
    assert tasks.seal_trail() == len(ids)
    assert tasks.seal_trail() == 0
    first = AuditSeal.objects.get()
    assert first.seq == 1
    assert first.entry_ids == ids
    assert (first.first_entry_id, first.last_entry_id) == (ids[0], ids[-1])
    digests = dict(AuditEntry.objects.values_list("pk", "digest"))
    assert first.digest == block_digest([(pk, digests[pk]) for pk in ids])
    assert first.chain == chain_link(1, first.digest, "")

    later = record(Action.ALERT, entity_type="reminders.Dose", entity_id=1)
    assert tasks.seal_trail() == 1
    second = AuditSeal.objects.get(seq=2)
    later_id = AuditEntry.objects.get(uid=later.uid).pk
    assert second.entry_ids == [later_id]
    assert second.chain == chain_link(2, block_digest([(later_id, later.digest)]), first.chain)
    assert AuditSeal.objects.count() == 2
    assert verify().ok


def test_sealing_in_batches_makes_one_link_per_batch():
    for number in range(5):
        record(Action.ALERT, entity_type="reminders.Dose", entity_id=number)
    ids = list(AuditEntry.objects.order_by("pk").values_list("pk", flat=True))
    assert seal(batch=2) == 5
    assert [link.entry_ids for link in AuditSeal.objects.order_by("seq")] == [ids[0:2], ids[2:4], ids[4:]]
    report = verify()
    assert (report.ok, report.checked, report.unsealed, report.head_seq) == (True, 5, 0, 3)


def test_a_late_commit_below_the_last_sealed_id_is_still_sealed():
    """Of two transactions, the one with the lower id may commit after the sealer ran."""
    base = sealed_trail()[-1]
    newest = entry_with_id(base + LATE_COMMIT_LOOKBACK + 100)
    assert seal() == 1
    late = entry_with_id(base + 101)  # LATE_COMMIT_LOOKBACK - 1 below the newest sealed id
    assert late.pk == newest.pk - LATE_COMMIT_LOOKBACK + 1
    assert seal() == 1
    assert AuditSeal.objects.order_by("-seq").first().entry_ids == [late.pk]
    assert seal() == 0
    report = verify()
    assert (report.ok, report.unsealed) == (True, 0)


def test_entries_made_by_concurrent_transactions_a_little_apart_are_in_order(clock):
    sealed_trail()
    clock.move_to(NOW - MAX_CLOCK_SKEW + timedelta(seconds=30))
    record(Action.ALERT, entity_type="reminders.Dose", entity_id=1)
    seal()
    assert verify().ok


# --- Altered ---------------------------------------------------------------------------------------


def test_an_altered_payload_is_caught_and_named():
    ids = sealed_trail()
    victim = AuditEntry.objects.filter(action="update", entity_type="reminders.Dose").first().pk
    if connection.vendor == "postgresql":
        sql = "UPDATE audit_auditentry SET payload = %s::jsonb WHERE id = %s"
    else:
        sql = "UPDATE audit_auditentry SET payload = %s WHERE id = %s"
    with triggers_lifted():
        changed = execute(sql, ['{"changes": {"status": ["pending", "skipped"]}}', victim])
    assert changed == 1
    message = caught()
    assert message == (
        f"The audit trail is NOT intact: entry {victim} was altered: its content does not match "
        f"its digest. First bad entry: {victim}."
    )
    assert victim in ids


def test_an_altered_actor_is_caught_and_named():
    sealed_trail()
    victim = AuditEntry.objects.filter(actor_label="ann@example.org").order_by("pk").last().pk
    with triggers_lifted():
        execute("UPDATE audit_auditentry SET actor_label = %s WHERE id = %s", ["someone@else.org", victim])
    message = caught()
    assert f"entry {victim} was altered" in message
    assert message.endswith(f"First bad entry: {victim}.")


def test_an_altered_entry_not_sealed_yet_is_caught():
    some_activity()
    victim = AuditEntry.objects.order_by("pk").first().pk
    with triggers_lifted():
        execute("UPDATE audit_auditentry SET entity_id = %s WHERE id = %s", ["999", victim])
    assert f"entry {victim} was altered" in caught()


def test_an_entry_rewritten_with_a_fresh_digest_no_longer_matches_its_seal():
    """Even someone holding the key cannot change a sealed entry: the seal remembers its digest."""
    sealed_trail()
    entry = AuditEntry.objects.filter(action="view").get()
    entry.payload = {"page": "/somewhere/else/"}
    forged = entry_digest(entry)
    if connection.vendor == "postgresql":
        sql = "UPDATE audit_auditentry SET payload = %s::jsonb, digest = %s WHERE id = %s"
    else:
        sql = "UPDATE audit_auditentry SET payload = %s, digest = %s WHERE id = %s"
    with triggers_lifted():
        execute(sql, ['{"page": "/somewhere/else/"}', forged, entry.pk])
    message = caught()
    assert "seal 1 does not match its entries" in message
    assert message.endswith(f"First bad entry: {AuditSeal.objects.get().entry_ids[0]}.")


def test_an_altered_seal_breaks_the_chain():
    sealed_trail()
    record(Action.ALERT, entity_type="reminders.Dose", entity_id=1)
    seal()
    with triggers_lifted():
        execute("UPDATE audit_auditseal SET digest = %s WHERE seq = 1", ["0" * 64])
    assert "the chain breaks at seal 1" in caught()


# --- Removed ---------------------------------------------------------------------------------------


def test_a_sealed_entry_removed_is_caught_and_named():
    ids = sealed_trail()
    victim = ids[len(ids) // 2]
    with triggers_lifted():
        assert execute("DELETE FROM audit_auditentry WHERE id = %s", [victim]) == 1
    message = caught()
    assert message == f"The audit trail is NOT intact: entry {victim} was removed. First bad entry: {victim}."


def test_entries_removed_with_their_seal_leave_a_gap_in_the_seals():
    sealed_trail()
    middle = record(Action.ALERT, entity_type="reminders.Dose", entity_id=1)
    seal()
    after = record(Action.ALERT, entity_type="reminders.Dose", entity_id=2)
    seal()
    middle_id = AuditEntry.objects.get(uid=middle.uid).pk
    after_id = AuditEntry.objects.get(uid=after.uid).pk
    assert AuditSeal.objects.get(seq=2).entry_ids == [middle_id]
    with triggers_lifted():
        execute("DELETE FROM audit_auditentry WHERE id = %s", [middle_id])
        execute("DELETE FROM audit_auditseal WHERE seq = 2")
    message = caught()
    assert "seal 2 is missing: entries were removed" in message
    assert message.endswith(f"First bad entry: {after_id}.")


def test_an_entry_cut_out_of_its_seal_is_caught():
    """Removed, and its id taken out of the seal's list: the seal no longer matches."""
    ids = sealed_trail()
    victim = ids[3]
    remaining = [pk for pk in ids if pk != victim]
    if connection.vendor == "postgresql":
        sql = "UPDATE audit_auditseal SET entry_ids = %s::jsonb WHERE seq = 1"
    else:
        sql = "UPDATE audit_auditseal SET entry_ids = %s WHERE seq = 1"
    with triggers_lifted():
        execute("DELETE FROM audit_auditentry WHERE id = %s", [victim])
        execute(sql, [str(remaining)])
    assert "seal 1 does not match its entries" in caught()


def test_removing_the_newest_block_with_its_seal_shows_in_the_chain_head():
    """verify alone cannot see the newest entries cut off with their seal; the head it prints moves back."""
    sealed_trail()
    newest = record(Action.ALERT, entity_type="reminders.Dose", entity_id=1)
    seal()
    before = verify_audit()
    assert "Chain head: seal 2 " in before
    with triggers_lifted():
        execute("DELETE FROM audit_auditentry WHERE id = %s", [AuditEntry.objects.get(uid=newest.uid).pk])
        execute("DELETE FROM audit_auditseal WHERE seq = 2")
    after = verify_audit()
    assert "Chain head: seal 1 " in after
    assert before.splitlines()[-1] != after.splitlines()[-1]


# --- Inserted out of order -----------------------------------------------------------------------


def test_an_entry_back_dated_after_newer_ones_were_sealed_is_caught(clock):
    sealed_trail()
    clock.move_to(NOW - timedelta(days=1))
    backdated = record(Action.UPDATE, entity_type="reminders.Dose", entity_id=1, payload={"changes": {}})
    clock.move_to(NOW + timedelta(minutes=1))
    assert seal() == 1
    backdated_id = AuditEntry.objects.get(uid=backdated.uid).pk
    message = caught()
    assert f"entry {backdated_id} was inserted out of order: dated 2026-11-01 09:30:" in message
    assert message.endswith(f"First bad entry: {backdated_id}.")


def test_a_back_dated_entry_not_sealed_yet_is_caught_too(clock):
    sealed_trail()
    clock.move_to(NOW - MAX_CLOCK_SKEW - timedelta(minutes=1))
    backdated = record(Action.ALERT, entity_type="reminders.Dose", entity_id=1)
    backdated_id = AuditEntry.objects.get(uid=backdated.uid).pk
    assert f"entry {backdated_id} was inserted out of order" in caught()


def test_a_row_inserted_by_sql_with_a_made_up_digest_is_caught():
    sealed_trail()
    forged = insert_entry_by_sql(
        uid=uuid.uuid4(),
        created_at=NOW,
        actor_type="user",
        actor_id=1,
        actor_label="ann@example.org",
        action="view",
        entity_type="patients.PatientProfile",
        entity_id="1",
        patient_id=1,
        payload={"page": "/patients/1/"},
        digest="f" * 64,
    )
    message = caught()
    assert f"entry {forged} was altered: its content does not match its digest" in message
    assert message.endswith(f"First bad entry: {forged}.")
    # Sealed by the sealer (which trusts what committed), it is still caught.
    assert seal() == 1
    assert f"First bad entry: {forged}." in caught()


def test_verify_stops_at_the_first_bad_entry():
    ids = sealed_trail()
    with triggers_lifted():
        execute("UPDATE audit_auditentry SET actor_label = %s WHERE id = %s", ["x", ids[5]])
        execute("UPDATE audit_auditentry SET actor_label = %s WHERE id = %s", ["x", ids[2]])
    report = verify()
    assert (report.ok, report.bad_entry_id, report.checked) == (False, ids[2], 2)


def test_a_seal_whose_bounds_were_altered_is_caught():
    sealed_trail()
    with triggers_lifted():
        execute("UPDATE audit_auditseal SET last_entry_id = %s WHERE seq = 1", [10**12])
    record(Action.ALERT, entity_type="reminders.Dose", entity_id=1)
    sealed_now = seal()
    report = verify()
    assert not report.ok, f"intact, they say; the sealer sealed {sealed_now} of 1 new entry"
    assert "seal 1" in report.problem
