"""The audit trail names rows by database id; the API names them by objectId. This translates.

An entry's entity, and the related rows its recorded changes point at (`reminder_id`), are
looked up in one query per model on the page. What has no objectId (a care link, settings) or
no longer exists (future doses removed on a pause) is answered as null: never the database id.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from typing import Any

from django.apps import apps
from django.db import models

from audit.models import AuditEntry

_Key = tuple[type[models.Model], str]


def _model(label: str) -> type[models.Model] | None:
    try:
        return apps.get_model(label)
    except (LookupError, ValueError):
        return None


def _has_object_id(model: type[models.Model] | None) -> bool:
    return model is not None and any(field.name == "object_id" for field in model._meta.concrete_fields)


def _relations(model: type[models.Model] | None) -> dict[str, tuple[str, type[models.Model]]]:
    """attname -> (field name, related model) of the model's foreign keys."""
    if model is None:
        return {}
    return {
        field.attname: (field.name, field.related_model)
        for field in model._meta.concrete_fields
        if field.is_relation and field.related_model is not None
    }


class ObjectIds:
    """objectIds of the rows a page of audit entries names, read in one query per model."""

    def __init__(self, entries: Iterable[AuditEntry]) -> None:
        wanted: dict[type[models.Model], set[str]] = defaultdict(set)
        for entry in entries:
            model = _model(entry.entity_type)
            if _has_object_id(model) and entry.entity_id:
                wanted[model].add(entry.entity_id)  # type: ignore[index]
            for attname, (_name, related) in _relations(model).items():
                for value in _changed_values(entry.payload, attname):
                    if _has_object_id(related):
                        wanted[related].add(str(value))
        self._found: dict[_Key, str] = {}
        for model, pks in wanted.items():
            numbers = [pk for pk in pks if pk.isdigit()]
            for pk, object_id in model._default_manager.filter(pk__in=numbers).values_list("pk", "object_id"):
                self._found[(model, str(pk))] = str(object_id)

    def of(self, model: type[models.Model] | None, pk: object) -> str | None:
        if model is None or pk in (None, ""):
            return None
        return self._found.get((model, str(pk)))

    def entity_id(self, entry: AuditEntry) -> str | None:
        return self.of(_model(entry.entity_type), entry.entity_id)

    def payload(self, entry: AuditEntry) -> Any:
        """The payload, saying objectIds where the trail recorded database ids: in an update's
        changes ({"reminder_id": [old, new]} becomes {"reminder": [...]}) and at the top of a
        bulk entry's ({"reminder_id": 7, "scheduled_at": [...]})."""
        payload = entry.payload
        if not isinstance(payload, dict):
            return payload
        relations = _relations(_model(entry.entity_type))
        translated = self._translate(payload, relations)
        if isinstance(payload.get("changes"), dict):
            translated["changes"] = self._translate(payload["changes"], relations)
        return translated

    def _translate(self, values: dict, relations: dict[str, tuple[str, type[models.Model]]]) -> dict:
        found = {}
        for name, value in values.items():
            if name == "id":
                continue  # the row's own number: its objectId is the entityId
            if name in relations:
                field_name, related = relations[name]
                if isinstance(value, list):
                    value = [self.of(related, item) for item in value]
                else:
                    value = self.of(related, value)
                found[field_name] = value
            else:
                found[name] = value
        return found


def _changed_values(payload: Any, attname: str) -> list[object]:
    """The database ids a payload holds under `attname`, at its top or in its changes."""
    if not isinstance(payload, dict):
        return []
    found: list[object] = []
    for values in (payload, payload.get("changes")):
        if isinstance(values, dict) and attname in values:
            value = values[attname]
            found.extend(value if isinstance(value, list) else [value])
    return [value for value in found if value is not None and not isinstance(value, (dict, list))]
