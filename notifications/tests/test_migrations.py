"""The data migrations of notifications, run on rows as they were before them.

0002: settings that copied the profile's number and zone follow it; a number of its own stays.
0004: invitations already mailed (waiting for an answer) are recorded as sent, so the outbox
worker does not mail them a second time.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.utils import timezone


def migrate(notifications_at: str):
    """Every other app at its latest migration, notifications at `notifications_at`; the models then."""
    executor = MigrationExecutor(connection)
    targets = [node for node in executor.loader.graph.leaf_nodes() if node[0] != "notifications"]
    targets.append(("notifications", notifications_at))
    executor.migrate(targets)
    executor.loader.build_graph()
    return executor.loader.project_state(targets).apps


@pytest.fixture
def old_apps(transactional_db):
    yield migrate("0001_initial")
    executor = MigrationExecutor(connection)
    executor.migrate(executor.loader.graph.leaf_nodes())


def test_copied_settings_follow_the_profile_and_invitations_already_mailed_are_not_mailed_again(old_apps):
    User = old_apps.get_model("accounts", "User")
    PatientProfile = old_apps.get_model("patients", "PatientProfile")
    CareLink = old_apps.get_model("patients", "CareLink")
    NotificationSettings = old_apps.get_model("notifications", "NotificationSettings")
    now = timezone.now()

    def patient(email: str, **settings):
        user = User.objects.create(email=email)
        profile = PatientProfile.objects.create(
            user=user, display_name=email, phone_number="+447911123456", time_zone="Europe/London"
        )
        NotificationSettings.objects.create(user=user, **settings)
        return profile

    copied = patient("copied@example.org", sms_number="+447911123456", time_zone="Europe/London")
    own = patient("own@example.org", sms_number="+447400654321", time_zone="Europe/Paris")
    waiting = CareLink.objects.create(
        patient=copied,
        invited_email="bob@example.org",
        invite_nonce="n1",
        invite_expires_at=now + timedelta(days=3),
    )
    CareLink.objects.create(
        patient=own,
        invited_email="gone@example.org",
        invite_nonce="n2",
        invite_expires_at=now - timedelta(days=1),
    )

    apps = migrate("0004_invitations_already_mailed")

    NotificationSettings = apps.get_model("notifications", "NotificationSettings")
    Notification = apps.get_model("notifications", "Notification")
    assert NotificationSettings.objects.get(user__email="copied@example.org").sms_number == ""
    assert NotificationSettings.objects.get(user__email="copied@example.org").time_zone == ""
    assert NotificationSettings.objects.get(user__email="own@example.org").sms_number == "+447400654321"
    assert NotificationSettings.objects.get(user__email="own@example.org").time_zone == "Europe/Paris"
    [mailed] = Notification.objects.filter(kind="invitation")
    assert (mailed.to_address, mailed.status) == ("bob@example.org", "sent")
    assert mailed.dedup_key == f"invitation:{waiting.pk}:n1:email"
