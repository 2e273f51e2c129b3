from __future__ import annotations

from django.urls import path

from patients import views

app_name = "patients"

# Also in this namespace, from apps above patients (adherence/urls.py): patients:detail (the
# Today page, reminders) and patients:caring (the caregiver dashboard, pages).

urlpatterns = [
    path("welcome/", views.welcome, name="welcome"),
    path("profile/", views.profile_edit, name="profile"),
    path("care-team/", views.care_team, name="care_team"),
    path("care-team/<int:link_id>/", views.care_link_edit, name="care_link_edit"),
    path("care-team/<int:link_id>/revoke/", views.care_link_revoke, name="care_link_revoke"),
    path("care-team/<int:link_id>/resend/", views.care_link_resend, name="care_link_resend"),
    path("invitations/continue/", views.invitation_continue, name="invitation_continue"),
    path("invitations/<str:token>/", views.invitation, name="invitation"),
    path("caring/<int:link_id>/leave/", views.care_link_leave, name="care_link_leave"),
]
