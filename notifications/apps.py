from django.apps import AppConfig


class NotificationsConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "notifications"
    verbose_name = "notifications"

    def ready(self) -> None:
        from notifications.confirmations import tell_caregivers
        from reminders.services import dose_recorded_follow

        dose_recorded_follow(tell_caregivers)
