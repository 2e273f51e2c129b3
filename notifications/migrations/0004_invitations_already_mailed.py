"""Invitations waiting for an answer were mailed before the outbox carried them.

A migration of its own: on PostgreSQL, rows written in the migration that adds the
Notification.care_link column would leave trigger events pending when the deferred index on
that column is created at its end.
"""

from django.db import migrations
from django.utils import timezone


def invitations_already_mailed(apps, schema_editor):
    """Invitations waiting for an answer were mailed before the outbox carried them: record them as
    sent, so the worker does not mail them a second time."""
    CareLink = apps.get_model("patients", "CareLink")
    Notification = apps.get_model("notifications", "Notification")
    now = timezone.now()
    Notification.objects.bulk_create(
        [
            Notification(
                to_address=link.invited_email,
                care_link=link,
                patient_id=link.patient_id,
                channel="email",
                kind="invitation",
                title="Invitation to a care team",
                body="Mailed before invitations went through the outbox.",
                dedup_key=f"invitation:{link.pk}:{link.invite_nonce}:email",
                status="sent",
                sent_at=link.invited_at,
                created_at=link.invited_at,
            )
            for link in CareLink.objects.filter(status="pending", invite_expires_at__gt=now)
        ],
        ignore_conflicts=True,
    )


class Migration(migrations.Migration):
    dependencies = [
        ("notifications", "0003_invitations_through_the_outbox"),
    ]

    operations = [
        migrations.RunPython(invitations_already_mailed, migrations.RunPython.noop),
    ]
