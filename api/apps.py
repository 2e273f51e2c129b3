from __future__ import annotations

from django.apps import AppConfig


class ApiConfig(AppConfig):
    """The REST API: the brief's schema over our models, through the same access policy and services."""

    name = "api"
    verbose_name = "REST API"

    def ready(self) -> None:
        from api import checks, schema  # noqa: F401 (registers the system checks, and the authentication scheme with drf-spectacular)
