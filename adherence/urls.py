from __future__ import annotations

from allauth.account.decorators import secure_admin_login
from django.contrib import admin
from django.urls import include, path, re_path

from adherence import views

# Staff sign in through allauth too, so the admin gets rate limits and MFA.
admin.site.login = secure_admin_login(admin.site.login)  # type: ignore[method-assign]
admin.site.site_header = "Adhere administration"
admin.site.site_title = "Adhere admin"

urlpatterns = [
    path("", views.home, name="home"),
    path("healthz", views.healthz, name="healthz"),
    path("", include("patients.urls")),
    path("patients/<int:patient_id>/", include("reminders.urls")),
    path("", include("audit.urls")),
    path("", include("notifications.urls")),
    path("", include("notifications.push_urls")),
    path("api/", include("api.urls")),
    # allauth's headless API always routes phone-number accounts, which Adhere does not have
    # (a patient's number is in their profile): those answer 404 instead of failing.
    re_path(r"^_allauth/(?:app|browser)/v1/account/phone(?:/.*)?$", views.not_here),
    re_path(r"^_allauth/(?:app|browser)/v1/auth/phone(?:/.*)?$", views.not_here),
    path("_allauth/", include("allauth.headless.urls")),
    path("accounts/", include("allauth.urls")),
    path("admin/", admin.site.urls),
]
