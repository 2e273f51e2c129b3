from __future__ import annotations

from allauth.account.decorators import secure_admin_login
from django.contrib import admin
from django.urls import include, path, re_path

from adherence import views
from pages import views as pages_views
from patients import urls as patients_urls
from reminders import views as reminders_views

# Staff sign in through allauth too, so the admin gets rate limits and MFA.
admin.site.login = secure_admin_login(admin.site.login)  # type: ignore[method-assign]
admin.site.site_header = "Adhere administration"
admin.site.site_title = "Adhere admin"

# The Today page and the caregiver dashboard live with what they show (reminders' doses; pages,
# above every app, for doses and alerts together) but keep their names in the patients namespace,
# so every link to patients:detail and patients:caring stays the same.
patient_pages = [
    *patients_urls.urlpatterns,
    path("patients/<int:patient_id>/", reminders_views.today, name="detail"),
    path("caring/", pages_views.caring, name="caring"),
]

urlpatterns = [
    path("", pages_views.home, name="home"),
    path("healthz", views.healthz, name="healthz"),
    path("", include((patient_pages, patients_urls.app_name))),
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

# Errors: JSON for the JSON endpoints, the site's pages for people (adherence.views).
handler400 = "adherence.views.bad_request"
handler403 = "adherence.views.permission_denied"
handler404 = "adherence.views.page_not_found"
handler500 = "adherence.views.server_error"
