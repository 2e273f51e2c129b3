from __future__ import annotations

import datetime

from django import forms

from adherence.text import validate_single_line
from patients import phone
from patients.models import CareLink, PatientProfile, available_time_zones, validate_date_of_birth


def time_zone_choices() -> list[tuple[str, str]]:
    return [("", "Choose your time zone")] + [
        (name, name.replace("_", " ")) for name in sorted(available_time_zones())
    ]


class PhoneNumberField(forms.CharField):
    """Accepts what people type (spaces, dashes, 00 for +) and cleans to E.164."""

    def __init__(self, **kwargs) -> None:
        kwargs.setdefault("max_length", 32)
        kwargs.setdefault("help_text", f"With the country code, for example {phone.EXAMPLE}.")
        super().__init__(**kwargs)
        self.widget.input_type = "tel"
        self.widget.attrs.update({"autocomplete": "tel", "inputmode": "tel"})

    def prepare_value(self, value):
        # Show stored numbers readably; keep what the person typed when it was wrong.
        if isinstance(value, str) and value.startswith("+") and value[1:].isdigit():
            return phone.for_display(value)
        return value

    def clean(self, value):
        value = super().clean(value)
        return phone.to_e164(value) if value else value


class PatientProfileForm(forms.ModelForm):
    phone_number = PhoneNumberField(label="Phone number")
    time_zone = forms.ChoiceField(
        label="Time zone",
        choices=time_zone_choices,
        widget=forms.Select(attrs={"data-propose-browser-zone": ""}),
        help_text="Your doses are scheduled in this time zone. We suggest the one your device uses.",
    )

    class Meta:
        model = PatientProfile
        fields = ["display_name", "date_of_birth", "phone_number", "time_zone", "is_active"]
        labels = {
            "display_name": "Your name",
            "date_of_birth": "Date of birth (optional)",
            "is_active": "Send me reminders and missed-dose alerts",
        }
        help_texts = {
            "is_active": "Untick to pause every reminder and alert, for you and your care team, "
            "until you tick it again.",
        }
        widgets = {
            "display_name": forms.TextInput(attrs={"autocomplete": "name"}),
            "date_of_birth": forms.DateInput(
                attrs={"type": "date", "autocomplete": "bday"}, format="%Y-%m-%d"
            ),
        }

    def clean_date_of_birth(self) -> datetime.date | None:
        # The model field's own rule (patients.models.validate_date_of_birth), said at once.
        born = self.cleaned_data.get("date_of_birth")
        validate_date_of_birth(born)
        return born


class OnboardingForm(PatientProfileForm):
    """After sign-up: who is this account for? Patients fill in their profile too."""

    PATIENT, CAREGIVER, BOTH = "patient", "caregiver", "both"
    role = forms.ChoiceField(
        label="How will you use Adhere?",
        choices=[
            (PATIENT, "I take medications"),
            (CAREGIVER, "I help someone with their medications"),
            (BOTH, "Both: I take medications and I help someone"),
        ],
        widget=forms.RadioSelect,
    )

    class Meta(PatientProfileForm.Meta):
        fields = ["display_name", "date_of_birth", "phone_number", "time_zone"]

    field_order = ["role", "display_name", "date_of_birth", "phone_number", "time_zone"]
    PROFILE_FIELDS = ("display_name", "phone_number", "time_zone")

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        # Required for patients only; clean() says which are missing.
        for name in self.PROFILE_FIELDS:
            self.fields[name].required = False

    @property
    def is_patient(self) -> bool:
        return self.cleaned_data.get("role") in (self.PATIENT, self.BOTH)

    def clean(self):
        cleaned = super().clean() or {}
        if cleaned.get("role") == self.CAREGIVER:
            # The patient's questions are hidden for a caregiver: what was left
            # in them must not hold the caregiver back.
            for name in self.Meta.fields:
                self._errors.pop(name, None)  # type: ignore[attr-defined]  # Django's, not in the stubs
                cleaned.pop(name, None)
        if self.is_patient:
            for name in self.PROFILE_FIELDS:
                if not cleaned.get(name) and name not in self.errors:
                    self.add_error(name, "Fill this in to set up your medications.")
        return cleaned

    def _post_clean(self) -> None:
        # A caregiver-only account makes no profile: skip the model's validation.
        if self.is_patient:
            super()._post_clean()  # type: ignore[misc]  # Django's, not in the stubs


class InviteCaregiverForm(forms.Form):
    email = forms.EmailField(
        label="Their email address", widget=forms.EmailInput(attrs={"autocomplete": "off"})
    )
    caregiver_name = forms.CharField(
        label="Their name (optional)",
        required=False,
        max_length=150,
        help_text="How you know them, for example “Anna, my daughter”.",
        validators=[validate_single_line],
    )
    can_confirm_doses = forms.BooleanField(
        label="May confirm doses for me", required=False, help_text="Record a dose as taken or skipped."
    )
    receives_missed_dose_alerts = forms.BooleanField(
        label="Tell them when I miss a dose", required=False, initial=True
    )


class CareLinkPermissionsForm(forms.ModelForm):
    class Meta:
        model = CareLink
        fields = [
            "can_confirm_doses",
            "receives_missed_dose_alerts",
            "alert_delay_minutes",
            "notify_on_confirmation",
        ]
        labels = {
            "can_confirm_doses": "May confirm doses for me",
            "receives_missed_dose_alerts": "Tell them when I miss a dose",
            "notify_on_confirmation": "Tell them each time I record a dose (taken or skipped)",
            "alert_delay_minutes": "When to tell them",
        }
        help_texts = {
            "alert_delay_minutes": "For example your daughter at once and your nurse after an hour. "
            "Once one of them says they are handling it, the later ones are not told.",
        }

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        # Left out of a post (an older form), the delay stays what it was.
        self.fields["alert_delay_minutes"].required = False

    def clean_alert_delay_minutes(self):
        value = self.cleaned_data.get("alert_delay_minutes")
        return self.instance.alert_delay_minutes if value in (None, "") else value
