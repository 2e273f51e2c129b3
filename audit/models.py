"""The audit trail: who did what to which record, when. Append-only and tamper-evident.

Entries are written by one function (audit.trail.record), inside the
transaction of the change they record. The database refuses UPDATE and
DELETE on these tables (triggers, migration 0002). Each entry carries an
HMAC of its content; a sealer then chains the committed entries in blocks
(AuditSeal), so that a changed, removed or back-dated entry breaks the chain.
Sealing after commit keeps writers free of any global lock: the trail costs
each transaction one INSERT.
"""

from __future__ import annotations

import uuid

from django.db import models
from django.utils import timezone


class Action(models.TextChoices):
    CREATE = "create", "Created"
    UPDATE = "update", "Changed"
    DELETE = "delete", "Deleted"
    VIEW = "view", "Viewed"
    LOGIN = "login", "Signed in"
    LOGOUT = "logout", "Signed out"
    LOGIN_FAILED = "login_failed", "Failed sign-in"
    PASSWORD_CHANGED = "password_changed", "Changed password"
    PASSWORD_RESET = "password_reset", "Reset password"
    MFA_ENABLED = "mfa_enabled", "Turned on two-factor authentication"
    MFA_DISABLED = "mfa_disabled", "Turned off two-factor authentication"
    ALERT = "alert", "Alerted"
    DELIVERY = "delivery", "Delivered a notification"


# payload["via"] of a clinic staff member's read of a patient's record in the admin
# (audit.admin.StaffReadsAudited); "Activity on my account" words it for the patient.
STAFF_READ = "admin"


class ActorType(models.TextChoices):
    USER = "user", "User"
    SYSTEM = "system", "System"
    ANONYMOUS = "anonymous", "Anonymous"


class AuditEntry(models.Model):
    """The brief's Audit: actor, action, entityType, entityId, payload, createdAt, plus integrity."""

    # Part of the digest: no two entries hash alike. Not indexed: nothing looks it up.
    uid = models.UUIDField(default=uuid.uuid4, editable=False)
    created_at = models.DateTimeField(default=timezone.now)
    actor_type = models.CharField(max_length=10, choices=ActorType.choices)
    # No foreign key: the trail outlives the accounts it names.
    actor_id = models.BigIntegerField(null=True, blank=True)
    actor_label = models.CharField(max_length=254, help_text="The actor's email then, or the system job.")
    action = models.CharField(max_length=20, choices=Action.choices)
    entity_type = models.CharField(max_length=100, help_text="app_label.Model")
    entity_id = models.CharField(max_length=64, blank=True)
    # Whose data this is about, for "Activity on my account".
    patient_id = models.BigIntegerField(null=True, blank=True)
    payload = models.JSONField(default=dict, blank=True)
    # HMAC-SHA256 of everything above (audit.integrity.entry_digest).
    digest = models.CharField(max_length=64, editable=False)

    class Meta:
        verbose_name = "audit entry"
        verbose_name_plural = "audit trail"
        ordering = ["-created_at", "-pk"]
        # Every index costs each audited write; this one serves "Activity on my account".
        indexes = [models.Index(fields=["patient_id", "-created_at"], name="audit_patient_newest")]

    def __str__(self) -> str:
        when = f"{self.created_at:%Y-%m-%d %H:%M:%S}"
        return f"{when} {self.actor_label} {self.action} {self.entity_type} {self.entity_id}"


class AuditSeal(models.Model):
    """One link of the chain: a block of entries sealed together, in the order they were sealed.

    `digest` is an HMAC of the block's (id, digest) pairs; `chain` an HMAC of
    this seal and the one before. One row per block keeps sealing cheap.
    """

    seq = models.PositiveBigIntegerField(primary_key=True)
    entry_ids = models.JSONField(help_text="The ids of the entries in this block, in order.")
    first_entry_id = models.BigIntegerField()
    last_entry_id = models.BigIntegerField()
    digest = models.CharField(max_length=64)
    chain = models.CharField(max_length=64)
    sealed_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["seq"]

    def __str__(self) -> str:
        return f"seal {self.seq}: {len(self.entry_ids)} entries up to {self.last_entry_id}"


class AuditPurgePermit(models.Model):
    """While a row here says enabled, the triggers let rows of the trail be deleted.

    It exists for one purpose: resetting a test database between tests
    (conftest.py). Production never writes it; the README shows how to deny
    the app's database role any write to it.
    """

    enabled = models.BooleanField(default=False)

    class Meta:
        verbose_name = "audit purge permit"

    def __str__(self) -> str:
        return "purge permitted" if self.enabled else "purge refused"
