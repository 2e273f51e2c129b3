"""`manage.py export_audit --since DATE`: JSON lines for an auditor, oldest first."""

from __future__ import annotations

import datetime
import io
import json
from datetime import UTC, timedelta

import pytest
import time_machine
from django.core.management import call_command
from django.core.management.base import CommandError

from audit.models import Action, AuditEntry
from audit.trail import acting_as, acting_as_system, actor_for, record
from patients.tests.factories import PatientFactory

pytestmark = pytest.mark.django_db

SINCE = datetime.datetime(2026, 11, 1, tzinfo=UTC)


@pytest.fixture
def written():
    """Entries either side of midnight UTC on 1 November 2026, written out of date order."""
    with time_machine.travel(datetime.datetime(2026, 10, 20, 12, 0, tzinfo=UTC), tick=False):
        zoe = PatientFactory(display_name="Zoë Example", user__email="zoe@example.org")
    entries = {}
    moments = [
        ("fifth", SINCE + timedelta(days=4, hours=8)),
        ("before", SINCE - timedelta(microseconds=1)),
        ("first", SINCE),
        ("second", SINCE + timedelta(hours=9, minutes=30)),
    ]
    for name, at in moments:
        with time_machine.travel(at, tick=False):
            if name == "fifth":
                with acting_as_system("make doses ahead"):
                    entries[name] = record(
                        Action.CREATE,
                        entity_type="reminders.Dose",
                        patient_id=zoe.pk,
                        payload={"reminder_id": 4, "scheduled_at": ["2026-11-06T08:00:00.000000+00:00"]},
                    )
            else:
                with acting_as(actor_for(zoe.user), "/patients/1/"):
                    entries[name] = record(
                        Action.UPDATE,
                        entity=zoe,
                        patient_id=zoe.pk,
                        payload={"changes": {"display_name": ["Zoë Example", f"Zoë {name}"]}},
                    )
    return {name: AuditEntry.objects.get(uid=entry.uid) for name, entry in entries.items()}


def export(*args: str) -> tuple[list[dict], str, str]:
    out, err = io.StringIO(), io.StringIO()
    call_command("export_audit", *args, stdout=out, stderr=err)
    text = out.getvalue()
    return [json.loads(line) for line in text.splitlines()], text, err.getvalue()


def test_one_json_object_per_line_oldest_first_since_that_day(written):
    lines, text, err = export("--since", "2026-11-01")
    assert text.endswith("\n")
    assert len(text.splitlines()) == 3
    first, second, fifth = written["first"], written["second"], written["fifth"]
    assert [line["objectId"] for line in lines] == [str(first.uid), str(second.uid), str(fifth.uid)]
    assert [line["createdAt"] for line in lines] == [
        "2026-11-01T00:00:00.000000+00:00",
        "2026-11-01T09:30:00.000000+00:00",
        "2026-11-05T08:00:00.000000+00:00",
    ]
    assert lines[1] == {
        "objectId": str(second.uid),
        "id": second.pk,
        "createdAt": "2026-11-01T09:30:00.000000+00:00",
        "actor": {"type": "user", "id": second.actor_id, "label": "zoe@example.org"},
        "action": "update",
        "entityType": "patients.PatientProfile",
        "entityId": second.entity_id,
        "patientId": second.patient_id,
        "payload": {"changes": {"display_name": ["Zoë Example", "Zoë second"]}},
        "digest": second.digest,
    }
    assert lines[2]["actor"] == {"type": "system", "id": None, "label": "system: make doses ahead"}
    assert (lines[2]["action"], lines[2]["entityType"], lines[2]["entityId"]) == (
        "create",
        "reminders.Dose",
        "",
    )
    assert lines[2]["payload"] == {"reminder_id": 4, "scheduled_at": ["2026-11-06T08:00:00.000000+00:00"]}
    assert "Zoë second" in text, "names are written as they are, not escaped"
    assert err.startswith("Exported 3 entries since 2026-11-01")


def test_nothing_before_the_day_is_written(written):
    lines, _, _ = export("--since", "2026-11-01")
    assert str(written["before"].uid) not in [line["objectId"] for line in lines]
    lines, _, err = export("--since", "2026-11-02")
    assert [line["objectId"] for line in lines] == [str(written["fifth"].uid)]
    assert err.startswith("Exported 1 entries since 2026-11-02")
    lines, text, err = export("--since", "2026-12-01")
    assert (lines, text) == ([], "")
    assert err.startswith("Exported 0 entries since 2026-12-01")


def test_an_earlier_day_includes_everything(written):
    lines, _, _ = export("--since", "2026-10-01")
    assert len(lines) == AuditEntry.objects.count()
    created = [line["createdAt"] for line in lines]
    assert created == sorted(created)


def test_the_export_can_go_to_a_file(written, tmp_path):
    target = tmp_path / "trail.jsonl"
    _, text, err = export("--since", "2026-11-01", "--output", str(target))
    assert text == ""
    written_lines = target.read_text(encoding="utf-8").splitlines()
    assert [json.loads(line)["objectId"] for line in written_lines] == [
        str(written["first"].uid),
        str(written["second"].uid),
        str(written["fifth"].uid),
    ]
    assert err.startswith("Exported 3 entries")


@pytest.mark.parametrize("given", ["yesterday", "2026-13-01", "01/11/2026", ""])
def test_a_date_that_is_not_a_date_is_refused_in_words(given):
    with pytest.raises(CommandError) as error:
        call_command("export_audit", "--since", given, stdout=io.StringIO())
    assert str(error.value) == f"--since must be a date like 2026-11-01, not {given!r}."


def test_since_is_required():
    with pytest.raises(CommandError) as error:
        call_command("export_audit", stdout=io.StringIO())
    assert "--since" in str(error.value)
