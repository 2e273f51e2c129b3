from __future__ import annotations

from django.urls import path

from notifications import views

app_name = "notifications"

urlpatterns = [
    path("notifications/", views.inbox, name="inbox"),
    path("notifications/badge/", views.badge, name="badge"),
    path("notifications/read/", views.read_all, name="read_all"),
    path("notifications/read/page/", views.read, name="read"),
    path("notifications/settings/", views.settings_edit, name="settings"),
    path("notifications/alerts/", views.alerts_panel, name="alerts_panel"),
    path("alerts/<int:alert_id>/acknowledge/", views.alert_acknowledge, name="alert_acknowledge"),
    path("dose-link/<str:token>/", views.dose_link, name="dose_link"),
]
