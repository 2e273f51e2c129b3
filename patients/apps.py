from __future__ import annotations

from django.apps import AppConfig


class PatientsConfig(AppConfig):
    """PatientProfile, the care team (caregiver links) and the access policy."""

    name = "patients"
    verbose_name = "Patients and care teams"
