from __future__ import annotations

from allauth.account.decorators import secure_admin_login
from django.contrib import admin
from django.urls import include, path

from adherence import views

# Staff sign in through allauth too, so the admin gets rate limits and MFA.
admin.site.login = secure_admin_login(admin.site.login)
admin.site.site_header = "Adhere administration"
admin.site.site_title = "Adhere admin"

urlpatterns = [
    path("", views.home, name="home"),
    path("healthz", views.healthz, name="healthz"),
    path("", include("patients.urls")),
    path("patients/<int:patient_id>/", include("reminders.urls")),
    path("", include("audit.urls")),
    path("accounts/", include("allauth.urls")),
    path("admin/", admin.site.urls),
]
