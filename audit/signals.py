"""Signals that write the audit trail, connected in one place (AuditConfig.ready).

Every create, update and delete of the audited models is recorded with the
fields that changed, before and after; secrets are never written. Auth events
are recorded too. Updates made by compare-and-set (QuerySet.update, which
sends no signal) are recorded by audit.trail.audited_update instead.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from django.apps import apps
from django.db.models.signals import post_delete, post_init, post_save

from audit.models import Action
from audit.trail import Actor, actor_for, jsonable, record

REDACTED = "[redacted]"


@dataclass(frozen=True)
class Audited:
    label: str  # app_label.Model
    patient_id: Callable[[Any], int | None] = lambda instance: None
    # Written as REDACTED when they change: they must never reach the trail.
    secret: frozenset[str] = field(default_factory=frozenset)
    # Not worth an entry on their own (bookkeeping the system keeps).
    ignore: frozenset[str] = frozenset({"updated_at"})


AUDITED = (
    Audited("accounts.User", secret=frozenset({"password"}), ignore=frozenset({"last_login"})),
    Audited("account.EmailAddress", patient_id=lambda address: None),
    Audited("patients.PatientProfile", patient_id=lambda profile: profile.pk),
    Audited("patients.CareLink", patient_id=lambda link: link.patient_id, secret=frozenset({"invite_nonce"})),
    Audited(
        "reminders.MedicationReminder",
        patient_id=lambda reminder: reminder.patient_id,
        ignore=frozenset({"updated_at", "doses_until"}),
    ),
    Audited("reminders.Dose", patient_id=lambda dose: dose.patient_id),
    Audited("reminders.ConfirmationLog", patient_id=lambda log: log.patient_id),
    Audited("reminders.MissedDoseAlert", patient_id=lambda alert: alert.patient_id),
    Audited("notifications.NotificationSettings"),
    # The endpoint and keys let anyone push to that browser: never written.
    Audited("notifications.PushSubscription", secret=frozenset({"endpoint", "p256dh", "auth"})),
)


# The concrete fields' attnames of each audited model, found once: every instance read is snapshot.
_ATTNAMES: dict[type, tuple[str, ...]] = {}


def _values(instance) -> dict:
    """The loaded field values; a deferred field (not read) is left out rather than fetched."""
    names = _ATTNAMES.get(type(instance))
    if names is None:
        names = _ATTNAMES[type(instance)] = tuple(f.attname for f in instance._meta.concrete_fields)
    loaded = instance.__dict__
    return {name: loaded[name] for name in names if name in loaded}


def _remember_loaded(sender, instance, **kwargs) -> None:
    # What the row held when it was read, to say what an update changed.
    instance._audit_before = _values(instance)


def _saved(spec: Audited):
    def handler(sender, instance, created, raw=False, **kwargs) -> None:
        if raw:
            return  # loaddata
        after = _values(instance)
        before = {} if created else getattr(instance, "_audit_before", {})
        changes = {}
        for name, value in after.items():
            if name in spec.ignore or (not created and name in before and before[name] == value):
                continue
            old = None if created else before.get(name)
            if name in spec.secret:
                changes[name] = [None if created else REDACTED, REDACTED]
            else:
                changes[name] = [jsonable(old), jsonable(value)]
        instance._audit_before = after
        if not created and not changes:
            return
        record(
            Action.CREATE if created else Action.UPDATE,
            entity=instance,
            patient_id=spec.patient_id(instance),
            payload={"changes": changes},
        )

    return handler


def _deleted(spec: Audited):
    def handler(sender, instance, **kwargs) -> None:
        fields = {
            name: (REDACTED if name in spec.secret else jsonable(value))
            for name, value in _values(instance).items()
            if name not in spec.ignore
        }
        record(Action.DELETE, entity=instance, patient_id=spec.patient_id(instance), payload={"was": fields})

    return handler


def connect_model_signals() -> None:
    for spec in AUDITED:
        model = apps.get_model(spec.label)
        uid = f"audit.{spec.label}"
        post_init.connect(_remember_loaded, sender=model, dispatch_uid=uid + ".init", weak=False)
        post_save.connect(_saved(spec), sender=model, dispatch_uid=uid + ".save", weak=False)
        post_delete.connect(_deleted(spec), sender=model, dispatch_uid=uid + ".delete", weak=False)


# --- Auth events ---------------------------------------------------------------------------------


def _user_entry(action: str, user, **payload) -> None:
    record(action, entity=user, actor=actor_for(user), payload=payload)


def _logged_in(sender, request, user, **kwargs) -> None:
    _user_entry(Action.LOGIN, user)


def _logged_out(sender, request, user, **kwargs) -> None:
    if user is not None:
        _user_entry(Action.LOGOUT, user)


def _login_failed(sender, credentials, request=None, **kwargs) -> None:
    # Which address was tried, never the password.
    tried = str(credentials.get("email") or credentials.get("username") or credentials.get("login") or "")
    record(
        Action.LOGIN_FAILED,
        entity_type="accounts.User",
        actor=Actor("anonymous", None, "anonymous"),
        payload={"email": tried[:254]},
    )


def _password_changed(sender, request, user, **kwargs) -> None:
    _user_entry(Action.PASSWORD_CHANGED, user)


def _password_reset(sender, request, user, **kwargs) -> None:
    _user_entry(Action.PASSWORD_RESET, user)


def _mfa_changed(action: str):
    def handler(sender, request, user=None, authenticator=None, **kwargs) -> None:
        user = user or getattr(authenticator, "user", None)
        if user is not None:
            kind = getattr(authenticator, "type", "")
            record(action, entity=user, actor=actor_for(user), payload={"authenticator": kind})

    return handler


def connect_auth_signals() -> None:
    from allauth.account.signals import password_changed, password_reset, password_set
    from allauth.mfa.signals import authenticator_added, authenticator_removed
    from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed

    user_logged_in.connect(_logged_in, dispatch_uid="audit.login")
    user_logged_out.connect(_logged_out, dispatch_uid="audit.logout")
    user_login_failed.connect(_login_failed, dispatch_uid="audit.login_failed")
    password_changed.connect(_password_changed, dispatch_uid="audit.password_changed")
    password_set.connect(_password_changed, dispatch_uid="audit.password_set")
    password_reset.connect(_password_reset, dispatch_uid="audit.password_reset")
    # weak=False: these handlers are made here, and nothing else would keep them alive.
    authenticator_added.connect(_mfa_changed(Action.MFA_ENABLED), dispatch_uid="audit.mfa_added", weak=False)
    authenticator_removed.connect(
        _mfa_changed(Action.MFA_DISABLED), dispatch_uid="audit.mfa_removed", weak=False
    )
