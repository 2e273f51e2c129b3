"""allauth's adapters: Adhere's one rule for the client's address, and users named by objectId."""

from __future__ import annotations

import dataclasses
from typing import Any

from allauth.account.adapter import DefaultAccountAdapter
from allauth.headless.adapter import DefaultHeadlessAdapter
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest

from adherence.proxies import client_ip


class AccountAdapter(DefaultAccountAdapter):
    def get_client_ip(self, request: HttpRequest) -> str:
        """The address login rate limits and the sessions list use: adherence.proxies.client_ip."""
        ip = client_ip(request)
        if not ip:
            raise PermissionDenied("Unable to determine client IP address")
        return ip


class HeadlessAdapter(DefaultHeadlessAdapter):
    """The headless API (an app's sign-in) names the user by objectId, as the REST API does:
    no answer carries a database id."""

    def get_user_dataclass(self):
        base = super().get_user_dataclass()
        fields: list[Any] = []
        for field in dataclasses.fields(base):
            if field.name == "id":
                fields.append(
                    (
                        "id",
                        str | None,
                        dataclasses.field(
                            metadata={
                                "description": "The user's objectId.",
                                "example": "5f1392aa-f153-4856-952b-0d0a4079f1a4",
                            }
                        ),
                    )
                )
            else:
                fields.append((field.name, field.type, field))
        return dataclasses.make_dataclass(base.__name__, fields)

    def user_as_dataclass(self, user):
        found = super().user_as_dataclass(user)
        return dataclasses.replace(found, id=str(user.object_id) if user.pk else None)
