"""The notification outbox (decision 5), and what each person chose to receive.

An event that causes a message (a dose due, a dose missed, an alert's next
escalation step) writes Notification rows in its own transaction: one per
recipient and channel, each with a deduplication key that is unique, so the
same event can never queue the same message twice. The delivery worker
(notifications/delivery.py) sends what is due, retries with backoff, and
records the outcome. The in-app channel needs no delivery: its row is the
message, shown in the notification list and counted in the header badge.
"""

from __future__ import annotations

import datetime
import uuid
import zoneinfo
from functools import cached_property

from django.conf import settings
from django.db import models
from django.db.models import Q

from patients.models import PatientProfile, validate_time_zone
from reminders.schedule import local_to_utc


class Channel(models.TextChoices):
    IN_APP = "in_app", "In the app"
    EMAIL = "email", "Email"
    PUSH = "push", "Push notification"
    SMS = "sms", "Text message"


class Kind(models.TextChoices):
    REMINDER = "reminder", "Dose reminder"
    MISSED = "missed", "Missed dose"
    CAREGIVER_ALERT = "caregiver_alert", "Missed-dose alert for a caregiver"
    INVITATION = "invitation", "Invitation to a care team"
    DOSE_RECORDED = "dose_recorded", "Dose recorded, for a caregiver who asked"


class NotificationQuerySet(models.QuerySet):
    def in_app_for(self, user) -> NotificationQuerySet:
        return self.filter(recipient=user, channel=Channel.IN_APP)

    def unread(self) -> NotificationQuerySet:
        return self.filter(read_at__isnull=True)


class Notification(models.Model):
    class Status(models.TextChoices):
        PENDING = "pending", "Waiting to be sent"
        SENT = "sent", "Sent"
        FAILED = "failed", "Failed"
        CANCELLED = "cancelled", "No longer needed"

    object_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    # Who it is for: an account, or (an invitation) an email address that may have no account yet.
    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="notifications",
        null=True,
        blank=True,
    )
    to_address = models.EmailField("to address", blank=True)
    # The invitation an INVITATION message carries (its link is made when it is sent).
    care_link = models.ForeignKey(
        "patients.CareLink", on_delete=models.CASCADE, null=True, blank=True, related_name="notifications"
    )
    channel = models.CharField(max_length=8, choices=Channel.choices)
    kind = models.CharField(max_length=16, choices=Kind.choices)
    # What it is about. A message about several doses (a summary) names them in `doses`.
    # None for a summary about several patients.
    patient = models.ForeignKey(
        "patients.PatientProfile",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="notifications",
    )
    doses = models.ManyToManyField("reminders.Dose", related_name="notifications", blank=True)
    alerts = models.ManyToManyField("reminders.MissedDoseAlert", related_name="notifications", blank=True)
    title = models.CharField(max_length=200)
    body = models.TextField()
    # Where the message leads in the app (a path).
    link = models.CharField(max_length=200, blank=True)
    # One message per event, recipient and channel: a second try to queue it is refused here.
    dedup_key = models.CharField(max_length=200, unique=True)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    attempts = models.PositiveSmallIntegerField(default=0)
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    last_error = models.TextField(blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    read_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField()
    updated_at = models.DateTimeField(auto_now=True)

    objects = NotificationQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(status__in=["pending", "sent", "failed", "cancelled"]),
                name="notification_status_known",
            ),
            # An account, or an email address (and then only by email).
            models.CheckConstraint(
                condition=Q(recipient__isnull=False) | (~Q(to_address="") & Q(channel="email")),
                name="notification_has_someone_to_tell",
            ),
        ]
        indexes = [
            # The delivery worker: pending messages by when they are due, and nothing else.
            models.Index(fields=["next_attempt_at"], condition=Q(status="pending"), name="notification_due"),
            # The notification list and the unread badge.
            models.Index(fields=["recipient", "channel", "created_at"], name="notification_inbox"),
            models.Index(
                fields=["recipient"],
                condition=Q(channel="in_app", read_at__isnull=True),
                name="notification_unread",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} to {self.address} by {self.get_channel_display()}"

    @property
    def address(self) -> str:
        """Where an email goes: the address it was queued for, else the recipient's."""
        return self.to_address or (self.recipient.email if self.recipient else "")


class NotificationSettings(models.Model):
    """What one person chose: channels, quiet hours, how often a due dose reminds again."""

    REPEAT_CHOICES = [
        (None, "Once, unless I snooze it"),
        (10, "Every 10 minutes until I answer"),
        (15, "Every 15 minutes until I answer"),
        (30, "Every 30 minutes until I answer"),
        (60, "Every hour until I answer"),
    ]

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notification_settings"
    )
    by_email = models.BooleanField("email", default=True)
    by_push = models.BooleanField("push notifications on devices I turned them on for", default=True)
    by_sms = models.BooleanField("text message", default=False)
    # Empty: texts go to the number on the person's patient profile, whatever it is by then. A number
    # of its own is kept only when it differs from the profile's (a carer's phone, say): it was set
    # on purpose, so a later change of the profile's number does not touch it.
    sms_number = models.CharField(
        "number for text messages",
        max_length=16,
        blank=True,
        help_text="Stored in E.164 form. Empty: the number on the patient profile.",
    )
    quiet_start = models.TimeField("quiet hours from", null=True, blank=True)
    quiet_end = models.TimeField("quiet hours until", null=True, blank=True)
    # Empty: the zone of the person's patient profile (UTC for someone without one), so quiet hours
    # move with the patient when the profile's zone changes.
    time_zone = models.CharField(
        "time zone", max_length=64, validators=[validate_time_zone], blank=True, default=""
    )
    repeat_every_minutes = models.PositiveSmallIntegerField(
        "remind me again", choices=REPEAT_CHOICES, null=True, blank=True
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = "notification settings"
        verbose_name_plural = "notification settings"

    def __str__(self) -> str:
        return f"Notification settings of {self.user}"

    @cached_property
    def profile(self) -> PatientProfile | None:
        """The person's patient profile, which an empty number or zone follows (None: they have none).

        settings_for() (notifications/outbox.py) sets it for many people in one query.
        """
        return PatientProfile.objects.filter(user_id=self.user_id).first()

    @property
    def texts_to(self) -> str:
        """The number texts go to: the person's own choice, else their profile's number."""
        return self.sms_number or (self.profile.phone_number if self.profile else "")

    @property
    def zone_name(self) -> str:
        """The zone quiet hours are kept in: the person's own choice, else their profile's zone."""
        return self.time_zone or (self.profile.time_zone if self.profile else "UTC")

    def in_quiet_hours(self, at: datetime.datetime) -> bool:
        return self.quiet_hours_end(at) is not None

    def quiet_hours_end(self, at: datetime.datetime) -> datetime.datetime | None:
        """When the quiet hours around `at` end, or None when `at` is not in quiet hours."""
        if self.quiet_start is None or self.quiet_end is None or self.quiet_start == self.quiet_end:
            return None
        zone = zoneinfo.ZoneInfo(self.zone_name)
        local = at.astimezone(zone)
        start, end, now = self.quiet_start, self.quiet_end, local.time()
        if start < end:
            quiet = start <= now < end
            end_day = local.date()
        else:  # across midnight: 22:00 to 07:00
            quiet = now >= start or now < end
            end_day = local.date() + datetime.timedelta(days=1) if now >= start else local.date()
        if not quiet:
            return None
        return local_to_utc(end_day, end, zone)

    def channels(self, *, has_push: bool, can_text: bool) -> list[str]:
        """The channels a message goes by: in the app always, the rest as chosen and possible.

        has_push: a device of theirs subscribed (and push is set up); can_text: the server sends texts.
        """
        chosen: list[str] = [Channel.IN_APP]
        if self.by_email and self.user.email:
            chosen.append(Channel.EMAIL)
        if self.by_push and has_push:
            chosen.append(Channel.PUSH)
        if self.by_sms and self.texts_to and can_text:
            chosen.append(Channel.SMS)
        return chosen


class PushSubscription(models.Model):
    """One browser's web-push subscription (the PushSubscription JSON a browser hands over)."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="push_subscriptions"
    )
    endpoint = models.URLField(max_length=1000, unique=True)
    p256dh = models.CharField(max_length=200)
    auth = models.CharField(max_length=100)
    user_agent = models.CharField(max_length=300, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    last_used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"Push subscription of {self.user}"

    def info(self) -> dict:
        return {"endpoint": self.endpoint, "keys": {"p256dh": self.p256dh, "auth": self.auth}}


class UsedDoseLink(models.Model):
    """A signed dose link that has recorded its dose: a link works once (notifications/links.py).

    Keyed by a digest of the token, never the token itself (it is a credential while it lasts).
    No foreign key to the dose: the dose may be removed (a paused medication's future doses go
    in one statement) while the fact that this link was used must stay until it expires anyway.
    """

    digest = models.CharField(max_length=64, unique=True)
    action = models.CharField(max_length=8)
    used_at = models.DateTimeField(db_index=True)

    class Meta:
        verbose_name = "used dose link"

    def __str__(self) -> str:
        return f"Dose link used {self.used_at:%Y-%m-%d %H:%M} UTC ({self.action})"
