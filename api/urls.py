from __future__ import annotations

from django.urls import include, path, re_path
from django.utils.csp import CSP
from django.views.decorators.csp import csp_override
from drf_spectacular.views import SpectacularAPIView, SpectacularRedocView, SpectacularSwaggerSplitView
from rest_framework.routers import DefaultRouter

from api import views

app_name = "api"

router = DefaultRouter(trailing_slash=True)
router.include_format_suffixes = False
router.register("patients", views.PatientViewSet, basename="patient")
router.register("reminders", views.ReminderViewSet, basename="reminder")
router.register("doses", views.DoseViewSet, basename="dose")
router.register("confirmations", views.ConfirmationViewSet, basename="confirmation")
router.register("alerts", views.AlertViewSet, basename="alert")
router.register("audit", views.AuditViewSet, basename="audit")

# The documentation pages' scripts come from our origin (drf-spectacular-sidecar;
# Swagger UI's start-up script is its own request); Swagger UI and ReDoc set inline
# styles and ReDoc starts a worker from a blob.
DOCS_CSP: dict[str, list[str]] = {
    "default-src": [CSP.SELF],
    "script-src": [CSP.SELF],
    "style-src": [CSP.SELF, CSP.UNSAFE_INLINE],
    "img-src": [CSP.SELF, "data:"],
    "worker-src": [CSP.SELF, "blob:"],
    "connect-src": [CSP.SELF],
    "frame-ancestors": [CSP.NONE],
}

urlpatterns = [
    path("v1/", include(router.urls)),
    path("schema/", SpectacularAPIView.as_view(), name="schema"),
    path(
        "docs/",
        csp_override(DOCS_CSP)(SpectacularSwaggerSplitView.as_view(url_name="api:schema")),
        name="docs",
    ),
    path("redoc/", csp_override(DOCS_CSP)(SpectacularRedocView.as_view(url_name="api:schema")), name="redoc"),
    # Anything else under /api/ is the API's own JSON 404, not the site's page.
    re_path(r"^.*$", views.not_found),
]
