from __future__ import annotations

from django import forms

from notifications.channels import push, sms
from notifications.models import NotificationSettings
from patients.forms import PhoneNumberField, time_zone_choices


class NotificationSettingsForm(forms.ModelForm):
    sms_number = PhoneNumberField(label="Number for text messages", required=False)
    time_zone = forms.ChoiceField(
        label="Time zone for quiet hours",
        choices=time_zone_choices,
        widget=forms.Select(attrs={"data-propose-browser-zone": ""}),
    )
    repeat_every_minutes = forms.TypedChoiceField(
        label="When a dose is due, remind me",
        choices=[
            ("" if value is None else value, label) for value, label in NotificationSettings.REPEAT_CHOICES
        ],
        coerce=int,
        empty_value=None,
        required=False,
        help_text="Reminders stop once you answer, or when the dose counts as missed.",
    )

    class Meta:
        model = NotificationSettings
        fields = [
            "by_email",
            "by_push",
            "by_sms",
            "sms_number",
            "quiet_start",
            "quiet_end",
            "time_zone",
            "repeat_every_minutes",
        ]
        labels = {
            "by_email": "Email",
            "by_push": "Push notifications, on the devices where I turn them on",
            "by_sms": "Text messages",
            "quiet_start": "Quiet hours from",
            "quiet_end": "Quiet hours until",
        }
        help_texts = {
            "quiet_start": "For example 22:00. Leave both empty for no quiet hours.",
            "quiet_end": "For example 07:00.",
        }
        widgets = {
            "quiet_start": forms.TimeInput(attrs={"type": "time"}, format="%H:%M"),
            "quiet_end": forms.TimeInput(attrs={"type": "time"}, format="%H:%M"),
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # An empty number or zone follows the patient profile (NotificationSettings.texts_to, zone_name).
        profile = self.instance.profile
        if profile is not None:
            self.fields["time_zone"].required = False
            self.fields["time_zone"].choices = [  # type: ignore[attr-defined]  # a ChoiceField
                ("", f"The one on my profile, now {profile.time_zone}"),
                *time_zone_choices()[1:],
            ]
            self.fields[
                "time_zone"
            ].help_text = "When your profile's time zone changes, quiet hours follow it."
        elif not self.instance.time_zone:
            self.initial["time_zone"] = "UTC"
        if profile is not None and profile.phone_number:
            self.fields["sms_number"].help_text = (
                f"Leave it empty to use the number on your profile (now {profile.phone_number}): "
                "texts then follow it when you change it there. A number of its own stays as it is."
            )
        # Only the channels this server can deliver are offered.
        if not push.is_configured():
            del self.fields["by_push"]
        if not sms.is_configured():
            del self.fields["by_sms"], self.fields["sms_number"]

    def _present(self, names: list[str]) -> list:
        return [self[name] for name in names if name in self.fields]

    @property
    def channel_fields(self) -> list:
        """The channels this server delivers, for the page's first group."""
        return self._present(["by_email", "by_push", "by_sms", "sms_number"])

    @property
    def quiet_fields(self) -> list:
        return self._present(["quiet_start", "quiet_end", "time_zone"])

    def clean(self):
        cleaned = super().clean() or {}
        start, end = cleaned.get("quiet_start"), cleaned.get("quiet_end")
        if (
            (start is None) != (end is None)
            and "quiet_start" not in self.errors
            and "quiet_end" not in self.errors
        ):
            missing = "quiet_end" if end is None else "quiet_start"
            self.add_error(missing, "Give both times, or leave both empty.")
        elif start is not None and start == end:
            self.add_error("quiet_end", "Quiet hours must end at a different time than they start.")
        profile = self.instance.profile
        if (
            cleaned.get("by_sms")
            and not cleaned.get("sms_number")
            and not (profile and profile.phone_number)
            and "sms_number" not in self.errors
        ):
            self.add_error("sms_number", "Give the number for text messages, or untick text messages.")
        return cleaned
