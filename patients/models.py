"""Patients and the people who care for them.

A PatientProfile is the brief's PatientProfile plus the patient's own time
zone. A CareLink is one caregiver's place in one patient's care team: an
invitation by email address first, then (once accepted) a link to the
caregiver's account with the permissions the patient chose. Who may see or
do what is decided in patients/access.py, never here.
"""

from __future__ import annotations

import datetime
import secrets
import uuid
import zoneinfo
from functools import cached_property

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.utils import timezone

from adherence.text import validate_single_line


def validate_time_zone(value: str) -> None:
    if value not in available_time_zones():
        raise ValidationError(
            "%(value)s is not a time zone we know. Choose one from the list, such as Europe/London.",
            params={"value": value},
            code="invalid_time_zone",
        )


# A date of birth's bounds, here and nowhere else: the profile and onboarding pages, the admin
# (through the model field) and the API (api/serializers.py) all use validate_date_of_birth.
EARLIEST_BIRTH_DATE = datetime.date(1900, 1, 1)
# "Today" where it is already tomorrow: a date of birth that is today anywhere on Earth
# (UTC+14) is not in the future, whatever the server's zone.
_EARLIEST_ZONE_AHEAD = datetime.timedelta(hours=14)


def validate_date_of_birth(value: datetime.date | None) -> None:
    """Not in the future, and not before 1900 (a typo such as 0001-01-01 or 9999-12-31)."""
    if value is None:
        return
    if value > (timezone.now() + _EARLIEST_ZONE_AHEAD).date():
        raise ValidationError("The date of birth cannot be in the future.", code="future_birth_date")
    if value < EARLIEST_BIRTH_DATE:
        raise ValidationError(
            "Check the year: a date of birth is from %(year)s on.",
            params={"year": EARLIEST_BIRTH_DATE.year},
            code="birth_date_too_early",
        )


def available_time_zones() -> frozenset[str]:
    return _AVAILABLE_TIME_ZONES


# IANA names only ("Europe/Paris"), without the legacy aliases a list for
# people should not offer ("posixrules", "Etc/GMT+5" means UTC-5).
_AVAILABLE_TIME_ZONES = frozenset(
    name
    for name in zoneinfo.available_timezones()
    if "/" in name and not name.startswith(("Etc/", "SystemV/", "US/", "posix/", "right/"))
) | {"UTC"}


class PatientProfile(models.Model):
    # The API's objectId: opaque, not a guessable sequence.
    object_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="patient_profile"
    )
    display_name = models.CharField(
        "name",
        max_length=150,
        help_text="Your name as your care team sees it.",
        validators=[validate_single_line],
    )
    date_of_birth = models.DateField(
        "date of birth", null=True, blank=True, validators=[validate_date_of_birth]
    )
    phone_number = models.CharField(
        "phone number", max_length=16, help_text="For reminders by text message. Stored in E.164 form."
    )
    time_zone = models.CharField("time zone", max_length=64, validators=[validate_time_zone])
    is_active = models.BooleanField(
        "reminders and alerts on",
        default=True,
        help_text="Off pauses every reminder and missed-dose alert until it is turned on again.",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = "patient profile"
        ordering = ["display_name", "pk"]

    def __str__(self) -> str:
        return self.display_name

    @property
    def zone(self) -> zoneinfo.ZoneInfo:
        return zoneinfo.ZoneInfo(self.time_zone)

    def local_now(self):
        return timezone.now().astimezone(self.zone)


# The escalation steps a patient can choose for a caregiver (minutes after the dose was missed).
ALERT_DELAYS = [
    (0, "At once"),
    (15, "After 15 minutes"),
    (30, "After 30 minutes"),
    (60, "After an hour"),
    (120, "After 2 hours"),
    (240, "After 4 hours"),
]


class CareLinkQuerySet(models.QuerySet):
    def active(self) -> CareLinkQuerySet:
        return self.filter(status=CareLink.Status.ACTIVE)


class CareLink(models.Model):
    """One caregiver in one patient's care team, from invitation to the end.

    Only an ACTIVE link grants anything. A pending invitation expires at
    `invite_expires_at`; re-inviting the same address reuses this row (one
    row per patient and address) with a fresh nonce, so that every earlier
    invitation link for it stops working.
    """

    class Status(models.TextChoices):
        PENDING = "pending", "Invited"
        ACTIVE = "active", "Active"
        DECLINED = "declined", "Declined"
        REVOKED = "revoked", "Revoked"
        LEFT = "left", "Left"

    patient = models.ForeignKey(PatientProfile, on_delete=models.CASCADE, related_name="care_links")
    invited_email = models.EmailField("email address")
    caregiver_name = models.CharField(
        "their name",
        max_length=150,
        blank=True,
        help_text="How you know them, for example “Anna, my daughter”.",
        validators=[validate_single_line],
    )
    caregiver = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="care_links_as_caregiver",
        help_text="The account that accepted the invitation.",
    )
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.PENDING)
    can_confirm_doses = models.BooleanField(
        "may confirm doses", default=False, help_text="Record a dose as taken or skipped on your behalf."
    )
    receives_missed_dose_alerts = models.BooleanField(
        "gets missed-dose alerts", default=True, help_text="Is told when you miss a dose."
    )
    alert_delay_minutes = models.PositiveIntegerField(
        "when to alert them",
        choices=ALERT_DELAYS,
        default=0,
        help_text="How long after a missed dose they are told, unless someone is already handling it.",
    )
    # Off unless the patient turns it on: a message for every dose is a lot to receive.
    notify_on_confirmation = models.BooleanField(
        "told when a dose is recorded",
        default=False,
        help_text="Is told each time you record a dose as taken or skipped.",
    )
    # Part of the signed invitation link; a new invitation replaces it.
    invite_nonce = models.CharField(max_length=32, default="", editable=False)
    invited_at = models.DateTimeField(default=timezone.now)
    invite_expires_at = models.DateTimeField()
    responded_at = models.DateTimeField(null=True, blank=True)
    ended_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = CareLinkQuerySet.as_manager()

    class Meta:
        verbose_name = "care link"
        ordering = ["patient", "invited_email"]
        constraints = [
            # Re-inviting an address reuses its row: no duplicates.
            models.UniqueConstraint(
                fields=["patient", "invited_email"], name="carelink_one_per_patient_and_email"
            ),
            # A caregiver who holds two addresses is still one caregiver.
            models.UniqueConstraint(
                fields=["patient", "caregiver"],
                condition=models.Q(status="active"),
                name="carelink_one_active_per_caregiver",
            ),
            models.CheckConstraint(
                condition=models.Q(status__in=["pending", "active", "declined", "revoked", "left"]),
                name="carelink_status_known",
            ),
            models.CheckConstraint(
                condition=~models.Q(status="active") | models.Q(caregiver__isnull=False),
                name="carelink_active_has_caregiver",
            ),
        ]
        indexes = [
            # The access policy: "the patients this caregiver may see".
            models.Index(fields=["caregiver", "status"], name="carelink_caregiver_status"),
        ]

    def __str__(self) -> str:
        return f"{self.caregiver_label} for {self.patient}"

    def save(self, *args, **kwargs) -> None:
        self.invited_email = self.invited_email.strip().lower()
        super().save(*args, **kwargs)

    @property
    def caregiver_label(self) -> str:
        return self.caregiver_name or self.invited_email

    @cached_property
    def invitation_expired(self) -> bool:
        return self.status == self.Status.PENDING and self.invite_expires_at <= timezone.now()

    @property
    def status_label(self) -> str:
        """What the patient sees: an invitation past its date reads "Invitation expired"."""
        if self.invitation_expired:
            return "Invitation expired"
        return self.get_status_display()

    @property
    def is_open(self) -> bool:
        """Pending (not expired) or active: re-inviting would add nothing."""
        return self.status == self.Status.ACTIVE or (
            self.status == self.Status.PENDING and not self.invitation_expired
        )

    def new_invite_nonce(self) -> None:
        self.invite_nonce = secrets.token_urlsafe(16)
