from __future__ import annotations

from django.urls import path

from reminders import views

app_name = "reminders"

# Included under patients/<int:patient_id>/: every view takes the patient id.
urlpatterns = [
    path("medications/", views.medication_list, name="medications"),
    path("medications/new/", views.medication_new, name="medication_new"),
    path("medications/<int:medication_id>/", views.medication_edit, name="medication_edit"),
    path("medications/<int:medication_id>/pause/", views.medication_pause, name="medication_pause"),
    path("medications/<int:medication_id>/take/", views.medication_take, name="medication_take"),
    path("doses/<int:dose_id>/taken/", views.dose_taken, name="dose_taken"),
    path("doses/<int:dose_id>/skip/", views.dose_skip, name="dose_skip"),
    path("doses/<int:dose_id>/undo/", views.dose_undo, name="dose_undo"),
    path("doses/<int:dose_id>/snooze/", views.dose_snooze, name="dose_snooze"),
    path("history/", views.history, name="history"),
    path("history/<str:day>/", views.history_day, name="history_day"),
]
