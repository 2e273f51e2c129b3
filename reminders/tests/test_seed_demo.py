"""`manage.py seed_demo`: a demo patient with two weeks of history, and their caregiver, ready to sign in."""

from __future__ import annotations

import datetime
import io
import re
from datetime import UTC, timedelta

import pytest
from allauth.account.models import EmailAddress
from django.core.management import call_command
from django.db.models import F
from django.urls import reverse

from accounts.models import User
from accounts.tests.helpers import sign_in
from adherence.tests.html import get
from patients.models import CareLink, PatientProfile
from reminders.models import ConfirmationLog, Dose, MedicationReminder

NOW = datetime.datetime(2026, 6, 1, 7, 0, tzinfo=UTC)  # Monday, 08:00 in London
SIGN_IN = re.compile(r"as the (patient|caregiver):\s+(\S+@\S+) / (\S+)")

pytestmark = [pytest.mark.django_db, pytest.mark.clock(NOW), pytest.mark.usefixtures("clock")]


def seed(**options) -> str:
    out = io.StringIO()
    call_command("seed_demo", stdout=out, **options)
    return out.getvalue()


def sign_in_lines(output: str) -> dict[str, tuple[str, str]]:
    return {role: (email, password) for role, email, password in SIGN_IN.findall(output)}


def test_it_prints_how_to_sign_in_as_the_patient_and_as_the_caregiver():
    output = seed()

    lines = [line for line in output.splitlines() if "/accounts/login/" in line or "or as the" in line]
    assert len(lines) == 2
    assert "Sign in at /accounts/login/ as the patient:" in lines[0]
    assert sign_in_lines(output) == {
        "patient": ("patient@demo.adhere.invalid", "adhere-demo-password"),
        "caregiver": ("caregiver@demo.adhere.invalid", "adhere-demo-password"),
    }
    assert re.search(r"Demo data ready: \d+ doses taken on time, \d+ late, \d+ skipped, \d+ missed", output)


def test_it_makes_a_patient_with_four_medications_and_two_weeks_of_mixed_history():
    seed()

    patient = PatientProfile.objects.get(user__email="patient@demo.adhere.invalid")
    assert patient.display_name == "Dora Demo"
    medications = {reminder.medication_name: reminder for reminder in patient.medications.all()}
    assert sorted(medications) == ["Atorvastatin", "Metformin", "Paracetamol", "Vitamin D"]
    assert medications["Paracetamol"].is_as_needed
    assert all(reminder.is_active for reminder in medications.values())

    past = Dose.objects.filter(patient=patient, scheduled_at__lt=NOW)
    assert past.earliest("scheduled_at").scheduled_at >= NOW - timedelta(days=14)
    days = {dose.scheduled_at.astimezone(patient.zone).date() for dose in past}
    assert len(days) >= 14
    assert past.filter(status=Dose.Status.TAKEN, taken_at__lte=F("window_ends_at")).exists()
    assert past.filter(status=Dose.Status.TAKEN, taken_at__gt=F("window_ends_at")).exists()  # late
    assert past.filter(status=Dose.Status.SKIPPED).exclude(skip_reason="").exists()
    assert past.filter(status=Dose.Status.MISSED).exists()
    assert past.filter(as_needed=True, reminder=medications["Paracetamol"]).count() == 3
    taken = past.filter(status=Dose.Status.TAKEN)
    assert ConfirmationLog.objects.filter(dose__in=taken, undone_at__isnull=True).count() == taken.count()
    # The doses ahead are made too: today's and the coming week's.
    assert Dose.objects.filter(patient=patient, scheduled_at__gte=NOW, status=Dose.Status.PENDING).exists()


def test_the_output_counts_what_was_made():
    output = seed()

    taken, late, skipped, missed = map(
        int, re.search(r"(\d+) doses taken on time, (\d+) late, (\d+) skipped, (\d+) missed", output).groups()
    )
    scheduled = Dose.objects.filter(as_needed=False)
    late_doses = scheduled.filter(status="taken", taken_at__gt=F("window_ends_at")).count()
    assert late == late_doses
    assert taken == scheduled.filter(status="taken").count() - late_doses
    assert skipped == scheduled.filter(status="skipped").count()
    assert missed == scheduled.filter(status="missed").count()


def test_it_makes_a_caregiver_with_an_active_link_who_may_confirm():
    seed()

    caregiver = User.objects.get(email="caregiver@demo.adhere.invalid")
    link = CareLink.objects.get(caregiver=caregiver)
    assert link.patient.display_name == "Dora Demo"
    assert link.status == CareLink.Status.ACTIVE
    assert (link.can_confirm_doses, link.receives_missed_dose_alerts) == (True, True)
    assert caregiver.cares_for_others
    assert EmailAddress.objects.get(user=caregiver).verified


def test_running_it_twice_starts_again_without_duplicates(clock):
    first_output = seed()
    clock.shift(timedelta(minutes=5))

    second_output = seed()

    assert sign_in_lines(second_output) == sign_in_lines(first_output)
    assert User.objects.filter(email__endswith="@demo.adhere.invalid").count() == 2
    assert EmailAddress.objects.filter(email__endswith="@demo.adhere.invalid").count() == 2
    assert PatientProfile.objects.count() == 1
    assert MedicationReminder.objects.count() == 4
    assert CareLink.objects.count() == 1
    assert Dose.objects.filter(reminder__patient__isnull=True).count() == 0
    assert Dose.objects.values("reminder", "scheduled_at").distinct().count() == Dose.objects.count()


def test_the_same_seed_gives_the_same_history():
    seed()
    first = sorted(Dose.objects.filter(scheduled_at__lt=NOW).values_list("scheduled_at", "status"))

    seed()
    second = sorted(Dose.objects.filter(scheduled_at__lt=NOW).values_list("scheduled_at", "status"))

    assert first == second


def test_the_patient_signs_in_with_the_printed_password_and_sees_today(client):
    email, password = sign_in_lines(seed())["patient"]

    response = sign_in(client, email, password)

    assert response.status_code == 302
    page = get(client, "/")
    patient = PatientProfile.objects.get(user__email=email)
    assert page.response.redirect_chain[-1][0] == reverse("patients:detail", args=[patient.pk])
    assert page.h1 == "My medications"
    assert "Dora Demo" in page.main
    assert "Today, Monday 1 June" in page.main
    names = [row.find("span", cls="dose__name").text for row in page.rows]
    assert "Metformin" in names
    assert "Atorvastatin" in names
    assert "Vitamin D" in names  # Mondays and Thursdays
    assert "Take a dose now of Paracetamol" in page.main
    assert "Carla, my daughter" in page.main


def test_the_caregiver_signs_in_with_the_printed_password_and_sees_the_patient(client):
    email, password = sign_in_lines(seed())["caregiver"]

    sign_in(client, email, password)
    page = get(client, reverse("patients:caring"))

    assert page.h1 == "People I care for"
    assert "Dora Demo" in page.main
    assert "Confirm doses" in page.main


def test_no_dose_is_taken_after_the_moment_the_demo_is_made(clock):
    # 08:30 UTC: the 08:00 BST (07:00 UTC) Metformin dose's window ended 30 minutes ago.
    clock.move_to(datetime.datetime(2026, 6, 1, 8, 30, tzinfo=UTC))

    seed(seed=3)

    now = datetime.datetime(2026, 6, 1, 8, 30, tzinfo=UTC)
    assert (
        list(Dose.objects.filter(taken_at__gt=now).values_list("reminder__medication_name", "taken_at")) == []
    )
    assert not ConfirmationLog.objects.filter(confirmed_at__gt=now).exists()
