"""Demo data: a patient with a few medications and two weeks of realistic history, and their caregiver."""

from __future__ import annotations

import datetime
import random

from allauth.account.models import EmailAddress
from django.core.management.base import BaseCommand
from django.db import transaction
from django.utils import timezone

from accounts.models import User
from patients.models import CareLink, PatientProfile
from reminders import services
from reminders.models import ConfirmationLog, Dose, MedicationReminder
from reminders.schedule import MaxPerPeriod, Repeat, Schedule, Step

PASSWORD = "adhere-demo-password"  # noqa: S105 (demo accounts, printed on purpose)
PATIENT_EMAIL = "patient@demo.adhere.invalid"
CAREGIVER_EMAIL = "caregiver@demo.adhere.invalid"
HISTORY_DAYS = 14


def _user(email: str, **fields) -> User:
    user = User.objects.filter(email=email).first() or User.objects.create_user(email, PASSWORD, **fields)
    EmailAddress.objects.update_or_create(
        user=user, email=email, defaults={"verified": True, "primary": True}
    )
    return user


class Command(BaseCommand):
    help = "Create a demo patient and caregiver with two weeks of history (run again to reset)."

    def add_arguments(self, parser) -> None:
        parser.add_argument(
            "--seed", type=int, default=7, help="Random seed, for the same history every time."
        )

    @transaction.atomic
    def handle(self, *args, seed: int, **options) -> None:
        rng = random.Random(seed)  # noqa: S311 (a repeatable demo, not a secret)
        now = timezone.now()
        patient_user = _user(PATIENT_EMAIL)
        caregiver_user = _user(CAREGIVER_EMAIL, cares_for_others=True)
        PatientProfile.objects.filter(user=patient_user).delete()  # start again: medications and doses go too
        patient = PatientProfile.objects.create(
            user=patient_user,
            display_name="Dora Demo",
            phone_number="+447911123456",
            time_zone="Europe/London",
            date_of_birth=datetime.date(1948, 5, 17),
        )
        CareLink.objects.create(
            patient=patient,
            caregiver=caregiver_user,
            invited_email=CAREGIVER_EMAIL,
            caregiver_name="Carla, my daughter",
            status=CareLink.Status.ACTIVE,
            can_confirm_doses=True,
            receives_missed_dose_alerts=True,
            invite_expires_at=now,
            responded_at=now,
        )
        start = (now - datetime.timedelta(days=HISTORY_DAYS)).astimezone(patient.zone).date()
        daily = Repeat(kind="daily")
        plans = [
            ("Metformin", "500 mg", "with food", (datetime.time(8), datetime.time(20)), daily),
            ("Atorvastatin", "20 mg", "", (datetime.time(21),), daily),
            ("Vitamin D", "1 capsule", "", (datetime.time(9),), Repeat(kind="weekdays", weekdays=(0, 3))),
        ]
        reminders = []
        for name, dosage, instructions, times, repeat in plans:
            reminders.append(
                MedicationReminder.objects.create(
                    patient=patient,
                    medication_name=name,
                    dosage=dosage,
                    instructions=instructions,
                    schedule=Schedule(start_date=start, steps=(Step(times=times, repeat=repeat),)).to_json(),
                    home_time_zone=patient.time_zone,
                )
            )
        paracetamol = MedicationReminder.objects.create(
            patient=patient,
            medication_name="Paracetamol",
            dosage="1 g",
            instructions="for pain",
            schedule=Schedule(
                start_date=start, as_needed=True, max_per_period=MaxPerPeriod(count=4, hours=24)
            ).to_json(),
            home_time_zone=patient.time_zone,
        )
        history_start = now - datetime.timedelta(days=HISTORY_DAYS)
        for reminder in reminders:
            reminder.doses_until = None
            services.doses_extend(reminder=reminder, until=now + services.horizon(), now=history_start)
        counts = {"taken": 0, "late": 0, "skipped": 0, "missed": 0}
        for dose in Dose.objects.filter(patient=patient, scheduled_at__lt=now).select_related(
            "reminder", "patient"
        ):
            roll = rng.random()
            if dose.window_ends_at > now:
                continue  # still open: left for the person to confirm
            if roll < 0.08:
                Dose.objects.filter(pk=dose.pk).update(
                    status=Dose.Status.MISSED, resolved_at=dose.window_ends_at
                )
                counts["missed"] += 1
            elif roll < 0.13:
                at = min(dose.scheduled_at + datetime.timedelta(minutes=rng.randint(0, 30)), now)
                services.dose_skip(
                    dose=dose, by=patient_user, reason=rng.choice(["unwell", "ran_out", "away"]), now=at
                )
                counts["skipped"] += 1
            else:
                late = roll > 0.93
                minutes = rng.randint(70, 180) if late else rng.randint(-10, 40)
                taken_at = min(dose.scheduled_at + datetime.timedelta(minutes=minutes), now)
                by = caregiver_user if rng.random() < 0.1 else patient_user
                services.dose_confirm(
                    dose=dose, by=by, method=ConfirmationLog.Method.WEB, taken_at=taken_at, now=taken_at
                )
                counts["late" if late else "taken"] += 1
        for days_ago in (12, 9, 3):
            at = now - datetime.timedelta(days=days_ago, hours=rng.randint(1, 8))
            services.as_needed_take(
                reminder=paracetamol, by=patient_user, method=ConfirmationLog.Method.WEB, taken_at=at, now=at
            )
        self.stdout.write(
            self.style.SUCCESS(
                f"Demo data ready: {counts['taken']} doses taken on time, {counts['late']} late, "
                f"{counts['skipped']} skipped, {counts['missed']} missed over {HISTORY_DAYS} days."
            )
        )
        self.stdout.write(f"Sign in at /accounts/login/ as the patient:   {PATIENT_EMAIL} / {PASSWORD}")
        self.stdout.write(f"             or as the caregiver: {CAREGIVER_EMAIL} / {PASSWORD}")
