"""Write the audit trail as JSON lines, for an auditor."""

from __future__ import annotations

import datetime
import json

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from audit.models import AuditEntry
from audit.trail import jsonable


class Command(BaseCommand):
    help = "Write audit entries since a date (YYYY-MM-DD, UTC) as JSON lines, oldest first."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--since", required=True, help="First day to include, YYYY-MM-DD (UTC).")
        parser.add_argument("--output", default="-", help="A file to write; standard output by default.")

    def handle(self, *args, since: str, output: str, **options) -> None:
        try:
            day = datetime.date.fromisoformat(since)
        except ValueError:
            raise CommandError(f"--since must be a date like 2026-11-01, not {since!r}.") from None
        start = datetime.datetime.combine(day, datetime.time(), tzinfo=datetime.UTC)
        entries = AuditEntry.objects.filter(created_at__gte=start).order_by("created_at", "pk")
        stream = self.stdout if output == "-" else open(output, "w", encoding="utf-8")  # noqa: SIM115
        count = 0
        try:
            for entry in entries.iterator(chunk_size=2000):
                line = {
                    "objectId": str(entry.uid),
                    "id": entry.pk,
                    "createdAt": jsonable(entry.created_at),
                    "actor": {"type": entry.actor_type, "id": entry.actor_id, "label": entry.actor_label},
                    "action": entry.action,
                    "entityType": entry.entity_type,
                    "entityId": entry.entity_id,
                    "patientId": entry.patient_id,
                    "payload": entry.payload,
                    "digest": entry.digest,
                }
                stream.write(json.dumps(line, ensure_ascii=False, sort_keys=True) + "\n")
                count += 1
        finally:
            if stream is not self.stdout:
                stream.close()
        self.stderr.write(f"Exported {count} entries since {day} (at {timezone.now():%Y-%m-%d %H:%M} UTC).")
