"""The one function that writes audit entries, and who the actor is.

`record()` writes an entry inside the caller's transaction: a change rolled
back takes its entry with it. The actor comes from the request (set by
audit.middleware.AuditActorMiddleware) or, for scheduled work, from
`acting_as_system()`; with neither, the system is the actor.
"""

from __future__ import annotations

import contextlib
import contextvars
import datetime
import decimal
import json
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any, cast

from django.conf import settings
from django.db import connections, models, router, transaction

from audit.integrity import entry_digest
from audit.models import Action, ActorType, AuditEntry


@dataclass(frozen=True)
class Actor:
    type: str
    id: int | None
    label: str


SYSTEM = Actor(ActorType.SYSTEM, None, "system")
_current_actor: contextvars.ContextVar[Actor | None] = contextvars.ContextVar("audit_actor", default=None)
_current_path: contextvars.ContextVar[str] = contextvars.ContextVar("audit_path", default="")
_pending: contextvars.ContextVar[list | None] = contextvars.ContextVar("audit_pending", default=None)


def actor_for(user) -> Actor:
    if user is None or not getattr(user, "is_authenticated", False):
        return Actor(ActorType.ANONYMOUS, None, "anonymous")
    return Actor(ActorType.USER, user.pk, user.email)


@contextlib.contextmanager
def acting_as(actor: Actor, path: str = "") -> Iterator[None]:
    actor_token = _current_actor.set(actor)
    path_token = _current_path.set(path)
    try:
        yield
    finally:
        _current_actor.reset(actor_token)
        _current_path.reset(path_token)


@contextlib.contextmanager
def acting_as_system(job: str) -> Iterator[None]:
    """Scheduled work: entries name the system and the job."""
    with acting_as(Actor(ActorType.SYSTEM, None, f"system: {job}")):
        yield


_current_request: contextvars.ContextVar[object | None] = contextvars.ContextVar(
    "audit_request", default=None
)


@contextlib.contextmanager
def serving(request) -> Iterator[None]:
    """While a request is served, its user is the actor, as known when each entry is written.

    Read late on purpose: the REST API authenticates a session token inside the
    view (DRF sets the user on the request then), after middleware has run.
    """
    request_token = _current_request.set(request)
    path_token = _current_path.set(request.path)
    try:
        yield
    finally:
        _current_request.reset(request_token)
        _current_path.reset(path_token)


def current_actor() -> Actor:
    if explicit := _current_actor.get():
        return explicit
    request = _current_request.get()
    if request is not None:
        return actor_for(getattr(request, "user", None))
    return SYSTEM


def current_path() -> str:
    return _current_path.get()


def jsonable(value):
    """A field value as JSON keeps it, the same on every database."""
    if isinstance(value, datetime.datetime):
        return value.astimezone(datetime.UTC).isoformat(timespec="microseconds")
    if isinstance(value, datetime.date | datetime.time):
        return value.isoformat()
    if isinstance(value, decimal.Decimal | uuid.UUID):
        return str(value)
    if isinstance(value, dict):
        return {str(key): jsonable(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [jsonable(item) for item in value]
    return value


def record(
    action: str,
    *,
    entity: models.Model | None = None,
    entity_type: str = "",
    entity_id: object = "",
    patient_id: int | None = None,
    payload: dict | None = None,
    actor: Actor | None = None,
) -> AuditEntry | None:
    """Write one entry, now, in the current transaction."""
    if not settings.AUDIT_ENABLED:
        return None
    if entity is not None:
        entity_type = entity_type or entity._meta.label
        entity_id = entity_id or entity.pk
    actor = actor or current_actor()
    entry = AuditEntry(
        actor_type=actor.type,
        actor_id=actor.id,
        actor_label=actor.label[:254],
        action=Action(action),
        entity_type=entity_type,
        entity_id="" if entity_id is None else str(entity_id),
        patient_id=patient_id,
        payload=jsonable(payload or {}),
    )
    entry.digest = entry_digest(entry)
    pending = _pending.get()
    if pending is not None:
        # Django forgets on-commit callbacks of a savepoint that is rolled back; this one
        # marks the entry, so that together() writes only entries whose changes stand.
        marker = _Marker()
        transaction.on_commit(marker)
        pending.append((entry, marker))
    else:
        _insert([entry])
    return entry


class _Marker:
    def __call__(self) -> None:
        """Nothing to do on commit: being forgotten on a rollback is the point."""


@contextlib.contextmanager
def together() -> Iterator[None]:
    """Write the entries recorded inside the block in one INSERT at its end.

    Use inside the transaction of the change (a service's atomic block): the
    entries still commit or roll back with it. An exception discards them,
    as the rollback would.
    """
    if _pending.get() is not None:  # already inside: the outer block writes
        yield
        return
    connection = connections[router.db_for_write(AuditEntry)]
    if not connection.in_atomic_block:
        raise RuntimeError("audit.trail.together() belongs inside the transaction of the change.")
    token = _pending.set([])
    try:
        yield
        pending = _pending.get()
        if pending:
            # Django 6's entries are (savepoint ids, callback, robust); the stubs say two items.
            standing = {id(callback) for _, callback, _ in connection.run_on_commit}  # type: ignore[misc]
            entries = [entry for entry, marker in pending if id(marker) in standing]
            if entries:
                _insert(entries)
    finally:
        _pending.reset(token)


_COLUMNS = (
    "uid",
    "created_at",
    "actor_type",
    "actor_id",
    "actor_label",
    "action",
    "entity_type",
    "entity_id",
    "patient_id",
    "payload",
    "digest",
)


def _insert(entries: list[AuditEntry]) -> None:
    """Several entries in one INSERT: the cost of auditing a transaction is one round trip.

    On PostgreSQL several entries go as one array per column, unnested: the statement is
    short and the same whatever the number of entries (50 views of a dashboard cost what
    one does to send), and the values need no preparing field by field.
    """
    fields = [cast("models.Field[Any, Any]", AuditEntry._meta.get_field(name)) for name in _COLUMNS]
    connection = connections[router.db_for_write(AuditEntry)]
    # A concrete field always has its column.
    columns = ", ".join(connection.ops.quote_name(field.column) for field in fields)  # type: ignore[arg-type]
    table = connection.ops.quote_name(AuditEntry._meta.db_table)
    if connection.vendor == "postgresql" and len(entries) > 1:
        arrays = [
            [json.dumps(entry.payload) for entry in entries]
            if field.attname == "payload"
            else [getattr(entry, field.attname) for entry in entries]
            for field in fields
        ]
        unnest = ", ".join(f"%s::{field.db_type(connection)}[]" for field in fields)
        names = ", ".join(f"c{number}" for number in range(len(fields)))
        # In the order given, as the VALUES list would (ids follow the order of recording).
        select = f"SELECT {names} FROM unnest({unnest}) WITH ORDINALITY AS e({names}, n) ORDER BY n"  # noqa: S608
        with connection.cursor() as cursor:
            cursor.execute(f"INSERT INTO {table} ({columns}) {select}", arrays)
        return
    values, params = [], []
    for entry in entries:
        values.append("(" + ", ".join(["%s"] * len(fields)) + ")")
        params += [field.get_db_prep_save(getattr(entry, field.attname), connection) for field in fields]
    with connection.cursor() as cursor:
        cursor.execute(f"INSERT INTO {table} ({columns}) VALUES {', '.join(values)}", params)  # noqa: S608


def audited_update(
    queryset: models.QuerySet,
    instance: models.Model,
    *,
    patient_id: int | None,
    audit_note: dict | None = None,
    **changes,
) -> int:
    """A compare-and-set UPDATE (which sends no signals) with its audit entry. Returns rows changed.

    `queryset` carries the condition (e.g. status still pending); the entry
    is written only when the update won, with the values before and after,
    and `audit_note` (why, and what else was known) beside them.
    """
    changed = queryset.update(**changes)
    if changed:
        fields = {
            name: [jsonable(getattr(instance, name, None)), jsonable(value)]
            for name, value in changes.items()
            if name != "updated_at" and getattr(instance, name, None) != value
        }
        payload = {"changes": fields, **(audit_note or {})}
        record(Action.UPDATE, entity=instance, patient_id=patient_id, payload=payload)
        # The row now holds these values: a later save of this instance compares with them.
        remembered = getattr(instance, "_audit_before", None)
        if remembered is not None:
            remembered.update(changes)
    return changed
