"""Reads for the notification pages, each in a fixed number of queries."""

from __future__ import annotations

import datetime
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from django.db.models import BooleanField, ExpressionWrapper, QuerySet
from django.utils import timezone

from notifications import policy
from notifications.models import Notification, NotificationSettings
from patients import access
from patients.access import Action
from patients.models import CareLink

if TYPE_CHECKING:
    from accounts.models import User
from reminders.models import MissedDoseAlert

# The dashboard shows alerts this recent that nobody has taken on.
OPEN_ALERTS_WINDOW = datetime.timedelta(days=2)


def inbox(user: User) -> QuerySet[Notification, Any]:
    """The person's in-app messages, each with `readable`: whether the policy still lets them read it."""
    # The stubs lose the model through annotate().
    return (
        Notification.objects.in_app_for(user)  # type: ignore[return-value]
        .annotate(readable=ExpressionWrapper(policy.readable_by(user), output_field=BooleanField()))
        .select_related("patient")
        .order_by("-created_at", "-pk")
    )


def unread_count(user: User) -> int:
    """What the badge counts: unread messages the person may still read."""
    return Notification.objects.in_app_for(user).unread().filter(policy.readable_by(user)).count()


def alert_states(user: User, items: Iterable[Notification]) -> dict[int, MissedDoseAlert]:
    """For caregiver alerts in the list: the (first) alert each is about, with who is handling it."""
    wanted = [item.pk for item in items if item.kind == "caregiver_alert"]
    if not wanted:
        return {}
    through = Notification.alerts.through.objects.filter(notification_id__in=wanted).select_related(
        "misseddosealert__acknowledged_by", "misseddosealert__patient"
    )
    states: dict[int, MissedDoseAlert] = {}
    for row in through:
        states.setdefault(row.notification_id, row.misseddosealert)
    name_handlers(states.values())
    return states


def name_handlers(alerts: Iterable[MissedDoseAlert]) -> None:
    """Set alert.handler_name: who said "I'm handling it", by the name the patient gave them.

    Their email when the patient gave no name. One query, only when an alert is acknowledged.
    """
    acknowledged = [alert for alert in alerts if alert.acknowledged_by_id is not None]
    if not acknowledged:
        return
    names = {
        (patient_id, caregiver_id): name
        for patient_id, caregiver_id, name in CareLink.objects.filter(
            patient_id__in={alert.patient_id for alert in acknowledged},
            caregiver_id__in={alert.acknowledged_by_id for alert in acknowledged},
        ).values_list("patient_id", "caregiver_id", "caregiver_name")
    }
    # handler_name is set here for the templates, not a field; acknowledged_by is set on these alerts.
    for alert in acknowledged:
        alert.handler_name = (  # type: ignore[attr-defined]
            names.get((alert.patient_id, alert.acknowledged_by_id))  # type: ignore[arg-type]
            or alert.acknowledged_by.email  # type: ignore[union-attr]
        )


def alerts_for(user: User) -> QuerySet[MissedDoseAlert]:
    """The missed-dose alerts a user may see: the one rule for the dashboard, the API and acknowledging.

    A patient's own, and those of the patients whose care link tells this user about missed doses
    (Action.RECEIVE_ALERTS): a caregiver who may only look at a patient sees their doses, missed
    ones too, but not the alerts, in the pages and the API alike.
    """
    return MissedDoseAlert.objects.filter(patient__in=access.patients_for(user, Action.RECEIVE_ALERTS))


def caregiver_alerts_for(user: User) -> QuerySet[MissedDoseAlert]:
    """alerts_for(user) without the user's own: what they get as a caregiver."""
    return alerts_for(user).exclude(patient__user=user)


def alerts_panel(user: User) -> dict[str, Any]:
    """Missed-dose alerts of the patients this user gets alerts for: open ones, and who took the others."""
    since = timezone.now() - OPEN_ALERTS_WINDOW
    alerts = list(
        caregiver_alerts_for(user)
        .filter(alerted_at__gte=since)
        .select_related("patient", "dose__reminder", "acknowledged_by")
        .order_by("-alerted_at", "-pk")[:50]
    )
    name_handlers(alerts)
    return {
        "alerts": alerts,
        "open_count": sum(
            1 for alert in alerts if alert.acknowledged_at is None and alert.dose.status == "missed"
        ),
    }


def chosen_time_zone(user: User) -> str:
    """The zone the person chose in their notification settings (the page proposes the browser's),
    or "" when they have not chosen one. One query."""
    chosen = NotificationSettings.objects.filter(user=user).values_list("time_zone", flat=True).first()
    return chosen or ""
