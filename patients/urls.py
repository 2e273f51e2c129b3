from __future__ import annotations

from django.urls import path

from patients import views

app_name = "patients"

urlpatterns = [
    path("welcome/", views.welcome, name="welcome"),
    path("profile/", views.profile_edit, name="profile"),
    path("care-team/", views.care_team, name="care_team"),
    path("care-team/<int:link_id>/", views.care_link_edit, name="care_link_edit"),
    path("care-team/<int:link_id>/revoke/", views.care_link_revoke, name="care_link_revoke"),
    path("care-team/<int:link_id>/resend/", views.care_link_resend, name="care_link_resend"),
    path("invitations/continue/", views.invitation_continue, name="invitation_continue"),
    path("invitations/<str:token>/", views.invitation, name="invitation"),
    path("caring/", views.caring, name="caring"),
    path("caring/<int:link_id>/leave/", views.care_link_leave, name="care_link_leave"),
    path("patients/<int:patient_id>/", views.patient_detail, name="detail"),
]
