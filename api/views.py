"""The API's endpoints. Each queryset starts from patients.access; each write calls a service."""

from __future__ import annotations

import datetime
from typing import TYPE_CHECKING

from django.conf import settings
from django.db import transaction
from django.db.models import Q, QuerySet
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiExample,
    OpenApiParameter,
    OpenApiResponse,
    extend_schema,
    extend_schema_view,
)
from rest_framework import mixins, status, views, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import APIException, NotFound, PermissionDenied, ValidationError
from rest_framework.response import Response

from api import serializers as api
from api.audit_ids import ObjectIds
from audit.models import AuditEntry
from notifications import selectors as notification_selectors
from notifications import services as notification_services
from patients import access
from patients.access import Action
from patients.models import PatientProfile
from patients.services import patient_profile_create, patient_profile_update
from reminders import selectors as reminder_selectors
from reminders import services
from reminders.models import ConfirmationLog, Dose, MedicationReminder

# The API lets only signed-in accounts in (DEFAULT_PERMISSION_CLASSES), so `self.request.user` is a
# User where the stubs say "or AnonymousUser": the `type: ignore`s on it below say so.

# Anything up to the slash: a malformed objectId is then the API's own JSON 404, not a page.
UUID = r"[^/]+"

if TYPE_CHECKING:
    # What RecordsCaregiverViews is mixed into, for the type checker.
    class _ListRetrieveViewSet(mixins.ListModelMixin, viewsets.GenericViewSet): ...

    _APIView = views.APIView
else:
    _ListRetrieveViewSet = object
    _APIView = object


class Conflict(APIException):
    status_code = status.HTTP_409_CONFLICT
    default_detail = "That conflicts with what exists."


def _refuse(message: str):
    raise PermissionDenied(message)


class ApiView(_APIView):
    """Who is asking, whether they may, and whether they are within their rate: before the transaction.

    Every request is one transaction (ATOMIC_REQUESTS), and so is every API action here that
    writes; but the rate-limit row (api.throttling) is written before it begins and commits at
    once, rather than staying locked until the action commits, which would queue one user's
    requests behind each other. A read (GET, HEAD, OPTIONS) needs no BEGIN and COMMIT around
    its query: what it writes (a caregiver's views in the audit trail) has a transaction of
    its own.
    """

    @classmethod
    def as_view(cls, *args, **kwargs):
        return transaction.non_atomic_requests(super().as_view(*args, **kwargs))

    def initial(self, request, *args, **kwargs) -> None:
        super().initial(request, *args, **kwargs)
        method = request.method.lower()
        if method in ("get", "head", "options"):
            return
        if (handler := getattr(self, method, None)) is not None:
            setattr(self, method, transaction.atomic(handler))

    def handle_exception(self, exc):
        # DRF marks the innermost transaction for rollback when it answers an error; the
        # action's own has already rolled back, so give it one of its own (it writes nothing).
        with transaction.atomic():
            return super().handle_exception(exc)


class ByObjectId(ApiView):
    """Objects are addressed by their objectId (a random UUID), never by the database's number."""

    lookup_field = "object_id"
    lookup_url_kwarg: str | None = "objectId"
    lookup_value_regex = UUID


class RecordsCaregiverViews(ByObjectId, _ListRetrieveViewSet):
    """A caregiver reading a patient's data through the API is a view in the audit trail, as on the web."""

    def patient_of(self, obj) -> PatientProfile:
        return obj.patient

    def record_views(self, objects) -> None:
        user = self.request.user
        patients = {}
        for obj in objects:
            patient = self.patient_of(obj)
            if patient.user_id != user.pk:
                patients[patient.pk] = patient
        if patients:
            access.record_caregiver_views(list(patients.values()))

    def list(self, request, *args, **kwargs):
        response = super().list(request, *args, **kwargs)
        page = getattr(self.paginator, "page", None)
        self.record_views(page.object_list if page is not None else [])
        return response

    def retrieve(self, request, *args, **kwargs):
        instance = self.get_object()
        self.record_views([instance])
        return Response(self.get_serializer(instance).data)


@extend_schema_view(
    list=extend_schema(
        description="The patients you may see: yourself, and those whose care team you are in."
    ),
    retrieve=extend_schema(description="One patient you may see."),
    create=extend_schema(
        description=(
            "Set up your own patient profile (once). timeZone is optional: left out, it is the zone "
            "chosen in your notification settings, else the site's default; the answer's timeZoneSource "
            "says which."
        ),
        responses={201: api.PatientCreatedSerializer},
        examples=[
            OpenApiExample(
                "A new profile",
                value={
                    "displayName": "Ann Example",
                    "phoneNumber": "+447911123456",
                    "timeZone": "Europe/London",
                },
                request_only=True,
            ),
            OpenApiExample(
                "The brief's profile, without a time zone",
                value={"displayName": "Ann Example", "phoneNumber": "+447911123456"},
                request_only=True,
            ),
        ],
    ),
    partial_update=extend_schema(
        description="Change your own profile; isActive false pauses every reminder."
    ),
)
class PatientViewSet(
    RecordsCaregiverViews,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    viewsets.GenericViewSet,
):
    serializer_class = api.PatientSerializer
    http_method_names = ["get", "post", "patch", "head", "options"]

    def patient_of(self, obj) -> PatientProfile:
        return obj

    def get_queryset(self):
        return access.patients_for(self.request.user).select_related("user").order_by("display_name", "pk")

    def perform_create(self, serializer):
        if PatientProfile.objects.filter(user=self.request.user).exists():  # type: ignore[misc]
            raise Conflict("You already have a patient profile; change it with PATCH instead.")
        time_zone, source = serializer.validated_data.get("time_zone"), "request"
        if not time_zone:
            time_zone = notification_selectors.chosen_time_zone(self.request.user)  # type: ignore[arg-type]
            source = "notificationSettings"
        if not time_zone:
            time_zone, source = settings.PATIENT_DEFAULT_TIME_ZONE, "siteDefault"
        serializer.instance = patient_profile_create(
            user=self.request.user,  # type: ignore[arg-type]
            display_name=serializer.validated_data["display_name"],
            phone_number=serializer.validated_data["phone_number"],
            time_zone=time_zone,
            date_of_birth=serializer.validated_data.get("date_of_birth"),
            is_active=serializer.validated_data.get("is_active", True),
        )
        self.time_zone_source = source

    def create(self, request, *args, **kwargs):
        response = super().create(request, *args, **kwargs)
        response.data = {**response.data, "timeZoneSource": self.time_zone_source}
        return response

    def perform_update(self, serializer):
        if not access.can(self.request.user, Action.MANAGE, serializer.instance):
            _refuse("Only the patient can change their profile.")
        serializer.instance = patient_profile_update(profile=serializer.instance, **serializer.validated_data)


SCHEDULE_EXAMPLE = {
    "start_date": "2026-11-25",
    "steps": [{"times": ["08:00", "20:00"], "repeat": {"kind": "daily"}}],
}


@extend_schema_view(
    list=extend_schema(
        description="Medications of the patients you may see; ?patient=<objectId> for one.",
        parameters=[OpenApiParameter("patient", OpenApiTypes.UUID, description="A patient's objectId.")],
    ),
    retrieve=extend_schema(description="One medication, with its schedule as FHIR R4 Dosage too."),
    create=extend_schema(
        description=(
            "Add a medication to your own list. Doses for the next days are made at once. The schedule "
            'is the brief\'s list of times ("08:00", 24-hour), meaning every day from today in your time '
            "zone, or the object form for anything richer. The answer holds the stored object and its "
            "times of day."
        ),
        examples=[
            OpenApiExample(
                "Twice a day (the brief's list of times)",
                value={"medicationName": "Metformin", "dosage": "500 mg", "schedule": ["08:00", "20:00"]},
                request_only=True,
            ),
            OpenApiExample(
                "Twice a day (the object form)",
                value={"medicationName": "Metformin", "dosage": "500 mg", "schedule": SCHEDULE_EXAMPLE},
                request_only=True,
            ),
        ],
    ),
    partial_update=extend_schema(
        description=(
            "Change a medication; future doses follow the new schedule. A list of times means every "
            "day from today in the medication's time zone."
        ),
        examples=[
            OpenApiExample(
                "New times (the brief's list)", value={"schedule": ["07:30", "19:30"]}, request_only=True
            ),
            OpenApiExample(
                "New times (the object form)", value={"schedule": SCHEDULE_EXAMPLE}, request_only=True
            ),
        ],
    ),
)
class ReminderViewSet(
    RecordsCaregiverViews,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    viewsets.GenericViewSet,
):
    serializer_class = api.ReminderSerializer
    http_method_names = ["get", "post", "patch", "head", "options"]

    def get_queryset(self):
        reminders = MedicationReminder.objects.filter(patient__in=access.patients_for(self.request.user))
        if "patient" in self.request.query_params:
            reminders = reminders.filter(
                patient__object_id=_uuid(self.request.query_params["patient"], "patient")
            )
        return reminders.select_related("patient").with_is_confirmed().order_by("medication_name", "pk")

    def get_serializer_context(self):
        context = dict(super().get_serializer_context())
        if (
            self.action == "create"
            and getattr(self.request, "user", None)
            and self.request.user.is_authenticated
        ):
            # A schedule sent as a list of times starts today in the patient's own zone.
            patient = PatientProfile.objects.filter(user=self.request.user).first()
            context["schedule_zone"] = patient.zone if patient is not None else None
        return context

    def perform_create(self, serializer):
        patient = PatientProfile.objects.filter(user=self.request.user).first()  # type: ignore[misc]
        if patient is None:
            raise ValidationError(
                {"nonFieldErrors": ["Set up your patient profile first (POST /api/v1/patients/)."]}
            )
        data = dict(serializer.validated_data)
        schedule = data.pop("schedule")
        serializer.instance = services.medication_create(patient=patient, schedule=schedule, **data)

    def perform_update(self, serializer):
        reminder = serializer.instance
        if not access.can(self.request.user, Action.MANAGE, reminder.patient):
            _refuse("Only the patient can change their medications.")
        data = dict(serializer.validated_data)
        schedule = data.pop("schedule", reminder.parsed_schedule)
        serializer.instance = services.medication_update(reminder=reminder, schedule=schedule, **data)


def _uuid(value: str, name: str) -> str:
    import uuid

    try:
        return str(uuid.UUID(value))
    except ValueError:
        raise ValidationError({name: ["Not an objectId."]}) from None


def _in_range(rows: QuerySet, params, moment: str) -> QuerySet:
    """?from= (inclusive) and ?to= (exclusive) on the moment field, and ?reminder= by objectId."""
    if "from" in params:
        rows = rows.filter(**{f"{moment}__gte": _datetime(params["from"], "from")})
    if "to" in params:
        rows = rows.filter(**{f"{moment}__lt": _datetime(params["to"], "to")})
    if "reminder" in params:
        rows = rows.filter(reminder__object_id=_uuid(params["reminder"], "reminder"))
    return rows


def _datetime(value: str, name: str) -> datetime.datetime:
    from django.utils.dateparse import parse_datetime

    try:
        moment = parse_datetime(value)
    except ValueError:
        moment = None
    if moment is None or moment.tzinfo is None:
        raise ValidationError({name: ["Give a date and time with its offset, e.g. 2026-11-25T08:00:00Z."]})
    try:
        moment = moment.astimezone(datetime.UTC)
    except (OverflowError, ValueError):
        moment = None
    if moment is None or not 1900 <= moment.year <= 2999:
        raise ValidationError({name: ["Give a moment between the years 1900 and 2999."]})
    return moment


def _conflicts(description: str, *details: str) -> OpenApiResponse:
    """A 409 answer in the schema, with what the service says in each case."""
    return OpenApiResponse(
        api.ErrorSerializer,
        description=description,
        examples=[
            OpenApiExample(detail.split(":")[0].split(".")[0], value={"detail": detail}) for detail in details
        ],
    )


@extend_schema_view(
    list=extend_schema(
        description="The dose timeline of the patients you may see, oldest first.",
        parameters=[
            OpenApiParameter(
                "from", datetime.datetime, description="Doses scheduled at or after this moment."
            ),
            OpenApiParameter("to", datetime.datetime, description="Doses scheduled before this moment."),
            OpenApiParameter("status", str, enum=Dose.Status.values),
            OpenApiParameter("reminder", OpenApiTypes.UUID, description="A medication's objectId."),
            OpenApiParameter("ordering", str, enum=["scheduledAt", "-scheduledAt"]),
        ],
    ),
    retrieve=extend_schema(description="One dose."),
)
class DoseViewSet(RecordsCaregiverViews, viewsets.ReadOnlyModelViewSet):
    serializer_class = api.DoseSerializer

    def get_queryset(self):
        params = self.request.query_params
        doses = _in_range(
            Dose.objects.filter(patient__in=access.patients_for(self.request.user)), params, "scheduled_at"
        )
        if "status" in params:
            value = params["status"]
            if value not in Dose.Status.values:
                raise ValidationError({"status": [f"One of {', '.join(Dose.Status.values)}."]})
            doses = doses.filter(status=value)
        orderings = {"scheduledAt": "scheduled_at", "-scheduledAt": "-scheduled_at"}
        if params.get("ordering", "scheduledAt") not in orderings:
            raise ValidationError({"ordering": ["scheduledAt or -scheduledAt."]})
        ordering = orderings[params.get("ordering", "scheduledAt")]
        return doses.select_related("reminder", "patient").order_by(ordering, "pk")

    # --- The dose actions of the "today" page, through the same services and the same policy ---

    def _acting_on(self, action: Action, refusal: str) -> Dose:
        """The dose (404 unless its patient is visible), then the page's rule for acting on it (403)."""
        dose = self.get_object()
        patient_access = access.access_for(self.request.user, dose.patient)
        if patient_access is None:  # pragma: no cover - get_object() has already asked patients_for
            raise NotFound("No Dose matches the given query.")
        if not patient_access.allows(action):
            _refuse(refusal)
        return dose

    @extend_schema(
        request=api.SkipSerializer,
        responses={
            200: api.DoseSerializer,
            409: _conflicts(
                "The dose cannot be skipped now.",
                "It is too early to skip this dose: a dose can be recorded from 12 hours before it is "
                "due, so from Wednesday 25 November at 20:00.",
                "This dose was already recorded as taken. Undo that first.",
            ),
        },
        description=(
            "Record that a dose will not be taken, with a coded reason (the reasons the pages offer); "
            '"other" needs a note. A dose can be skipped from 12 hours before it is due, while it is '
            "pending or missed. Skipping a skipped dose again answers it as it stands (the first reason "
            "stays). Needs a link that allows confirming doses.\n\n"
            "400: the reason or note is wrong (field errors). 409: the dose cannot be skipped now "
            "(too early, or already recorded as taken), with the reason in words."
        ),
        examples=[
            OpenApiExample("Felt unwell", value={"reason": "unwell"}, request_only=True),
            OpenApiExample(
                "Another reason, in words",
                value={"reason": "other", "note": "Fasting before a blood test"},
                request_only=True,
            ),
        ],
    )
    @action(detail=True, methods=["post"])
    def skip(self, request, *args, **kwargs):
        dose = self._acting_on(
            Action.CONFIRM_DOSES, "Your link to this patient does not allow recording doses."
        )
        payload = api.SkipSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        try:
            dose = services.dose_skip(
                dose=dose,
                by=request.user,
                reason=payload.validated_data["reason"],
                note=payload.validated_data.get("note", ""),
            )
        except services.DoseError as error:
            raise Conflict(str(error)) from None
        return Response(api.DoseSerializer(dose).data)

    @extend_schema(
        request=None,
        responses={
            200: api.DoseSerializer,
            204: OpenApiResponse(description="An as-needed dose was taken back: it is removed altogether."),
            409: _conflicts(
                "There is nothing to undo, or it is too late.",
                "There is nothing to undo for this dose.",
                "It is too late to undo: that was more than 10 minutes ago.",
            ),
        },
        description=(
            "Take back a dose recorded as taken or skipped, within 10 minutes of recording it: the dose "
            "is pending again (missed if its window has passed) and its confirmation is marked undone. "
            "An as-needed dose is removed altogether (204). Needs a link that allows confirming doses.\n\n"
            "409: nothing to undo (also when undoing twice), or more than 10 minutes have passed."
        ),
    )
    @action(detail=True, methods=["post"])
    def undo(self, request, *args, **kwargs):
        dose = self._acting_on(
            Action.CONFIRM_DOSES, "Your link to this patient does not allow recording doses."
        )
        try:
            remaining = services.dose_undo(dose=dose, by=request.user)
        except services.DoseError as error:
            raise Conflict(str(error)) from None
        if remaining is None:
            return Response(status=status.HTTP_204_NO_CONTENT)
        remaining.reminder, remaining.patient = dose.reminder, dose.patient
        return Response(api.DoseSerializer(remaining).data)

    @extend_schema(
        request=api.SnoozeSerializer,
        responses={
            200: api.DoseSerializer,
            409: _conflicts(
                "The dose is recorded already, or a reminder then would come after it counts as missed.",
                "This dose is already recorded; there is nothing to remind you of.",
                "A reminder then would be too late: this dose counts as missed at 09:00. "
                "Take it now, or skip it.",
            ),
        },
        description=(
            '"Remind me again in 10, 30 or 60 minutes" for a pending dose, while the reminder would '
            "still come before the dose counts as missed; remindAgainAt in the answer says when. "
            "Snoozing again sets the new time. Only the patient snoozes their own reminders.\n\n"
            "400: minutes is not 10, 30 or 60. 409: the dose is recorded already, or it would be too late."
        ),
        examples=[OpenApiExample("In half an hour", value={"minutes": 30}, request_only=True)],
    )
    @action(detail=True, methods=["post"])
    def snooze(self, request, *args, **kwargs):
        dose = self._acting_on(Action.MANAGE, "Only the patient can snooze their reminders.")
        payload = api.SnoozeSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        try:
            dose = services.dose_snooze(dose=dose, minutes=payload.validated_data["minutes"])
        except services.DoseError as error:
            raise Conflict(str(error)) from None
        return Response(api.DoseSerializer(dose).data)


@extend_schema_view(
    list=extend_schema(description="Confirmations (doses taken) of the patients you may see, newest first."),
    retrieve=extend_schema(description="One confirmation."),
)
class ConfirmationViewSet(
    RecordsCaregiverViews,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    viewsets.GenericViewSet,
):
    serializer_class = api.ConfirmationSerializer

    def patient_of(self, obj) -> PatientProfile:
        return obj.reminder.patient

    def get_queryset(self):
        return (
            ConfirmationLog.objects.filter(reminder__patient__in=access.patients_for(self.request.user))
            .select_related("reminder", "dose", "confirmed_by")
            .order_by("-confirmed_at", "-pk")
        )

    @extend_schema(
        request=api.ConfirmRequestSerializer,
        responses={201: api.ConfirmationSerializer, 200: api.ConfirmationSerializer},
        description=(
            "Confirm a dose as taken. Idempotent: confirming a dose already taken answers 200 with the "
            "same confirmation; the first time answers 201. Needs a link that allows confirming doses.\n\n"
            "Send `dose` (its objectId) for exactly that dose, or, as the brief's ConfirmationLog does, "
            "only `reminder` (the medication's objectId) for its dose due at `confirmedAt` (now when left "
            "out): the earliest still-pending dose whose window is open; else the dose nearest in time "
            "within 12 hours either side (one taken late, or one not yet due that may be recorded early). "
            "A dose not yet due is thus meant only when no other dose is nearer, and a repeated request "
            "answers the same confirmation instead of recording the next dose. When no dose is meant "
            "(none within 12 hours, an as-needed medication) the answer is 409 with the reason."
        ),
        examples=[
            OpenApiExample(
                "Taken now (the precise form)",
                value={"dose": "7d0b6c4e-2f1a-4f55-9a58-0e6a4a3d9b11"},
                request_only=True,
            ),
            OpenApiExample(
                "The dose due now (the brief's form)",
                value={"reminder": "3f5e1c2a-8b7d-4e6f-9a01-2b3c4d5e6f70"},
                request_only=True,
            ),
        ],
    )
    def create(self, request, *args, **kwargs):
        payload = api.ConfirmRequestSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        taken_at = payload.validated_data.get("confirmedAt")
        if "dose" in payload.validated_data:
            dose = (
                Dose.objects.filter(object_id=payload.validated_data["dose"])
                .select_related("reminder", "patient")
                .first()
            )
            # The dose is read with its patient, then the policy is asked about that patient:
            # one query for a patient's own dose, one more for a caregiver's link.
            if dose is None:
                raise NotFound("No Dose matches the given query.")
            self._may_confirm(dose.patient, "Dose")
            if (
                "reminder" in payload.validated_data
                and dose.reminder.object_id != payload.validated_data["reminder"]
            ):
                raise ValidationError({"reminder": ["That dose is not of this medication."]})
        else:
            dose = self._dose_due_now(payload.validated_data["reminder"], taken_at)
        # A taken dose has its standing confirmation: confirming it again answers that one.
        existing = dose.status == Dose.Status.TAKEN
        try:
            log = services.dose_confirm(
                dose=dose,
                by=request.user,
                method=ConfirmationLog.Method.API,
                taken_at=taken_at,
            )
        except services.DoseError as error:
            if "dose" in payload.validated_data:
                raise ValidationError({"dose": [str(error)]}) from None
            if dose.status == Dose.Status.SKIPPED:
                raise Conflict(f"The dose due at {_local(dose)} was skipped. Undo the skip first.") from None
            raise ValidationError({"confirmedAt": [str(error)]}) from None
        if not ConfirmationLog.reminder.is_cached(log):
            log.reminder = dose.reminder
        return Response(
            api.ConfirmationSerializer(log).data,
            status=status.HTTP_200_OK if existing else status.HTTP_201_CREATED,
        )

    def _may_confirm(self, patient: PatientProfile, what: str) -> None:
        patient_access = access.access_for(self.request.user, patient)
        if patient_access is None:
            raise NotFound(f"No {what} matches the given query.")
        if not patient_access.allows(Action.CONFIRM_DOSES):
            _refuse("Your link to this patient does not allow confirming doses.")

    def _dose_due_now(self, reminder_id, taken_at: datetime.datetime | None) -> Dose:
        """The medication's dose due at `taken_at` (now), by reminders.selectors.dose_due_now."""
        reminder = MedicationReminder.objects.filter(object_id=reminder_id).select_related("patient").first()
        if reminder is None:
            raise NotFound("No MedicationReminder matches the given query.")
        self._may_confirm(reminder.patient, "MedicationReminder")
        dose = reminder_selectors.dose_due_now(reminder, taken_at)
        if dose is None:
            name = reminder.medication_name
            if reminder.is_as_needed:
                raise Conflict(f"{name} is taken as needed: it has no dose due to confirm.")
            if not reminder.is_active:
                raise Conflict(f"{name} is paused: no dose of it is due within 12 hours.")
            raise Conflict(
                f"No dose of {name} is due: none is scheduled within 12 hours. "
                "Confirm a particular dose with `dose` instead."
            )
        dose.reminder = reminder
        dose.patient = reminder.patient
        return dose


def _local(dose: Dose) -> str:
    """The dose's time in its medication's zone, as a person would say it."""
    local = dose.scheduled_at.astimezone(dose.reminder.zone)
    return f"{local:%H:%M} on {local.day} {local:%B}"


@extend_schema_view(
    list=extend_schema(
        description=(
            "Missed-dose alerts of the patients you may see, newest first: one per dose that passed its "
            "window without being recorded. Filter with from/to (alertedAt, UTC) and reminder."
        ),
        parameters=[
            OpenApiParameter("from", datetime.datetime, description="Alerted at or after this moment."),
            OpenApiParameter("to", datetime.datetime, description="Alerted before this moment."),
            OpenApiParameter("reminder", OpenApiTypes.UUID, description="Only this reminder's alerts."),
        ],
    ),
    retrieve=extend_schema(description="One missed-dose alert."),
)
class AlertViewSet(RecordsCaregiverViews, viewsets.ReadOnlyModelViewSet):
    serializer_class = api.AlertSerializer

    def get_queryset(self):
        params = self.request.query_params
        alerts = _in_range(
            notification_selectors.alerts_for(self.request.user),  # type: ignore[arg-type]  # the dashboard's rule
            params,
            "alerted_at",
        )
        return alerts.select_related("reminder", "dose", "patient", "acknowledged_by").order_by(
            "-alerted_at", "-pk"
        )

    @extend_schema(
        request=None,
        responses={200: api.AlertSerializer},
        description=(
            '"I\'m handling it": a caregiver whose link includes missed-dose alerts says they are '
            "dealing with this missed dose; the others see who (acknowledgedBy), and the alert's later "
            "escalation steps stop. The first one stands: acknowledging again, or after another "
            "caregiver, answers the alert as it is, naming whoever was first.\n\n"
            "As in the pages, the patient's own alerts are for their caregivers to acknowledge (403); an "
            "alert you may not see (no alerts on your link, or not your patient) is 404."
        ),
    )
    @action(detail=True, methods=["post"])
    def acknowledge(self, request, *args, **kwargs):
        alert = self.get_object()  # notifications.selectors.alerts_for: the pages' rule
        if alert.patient.user_id == request.user.pk:
            _refuse("Your caregivers acknowledge the alerts about your missed doses.")
        alert = notification_services.alert_acknowledge(alert=alert, by=request.user)
        return Response(api.AlertSerializer(alert).data)


@extend_schema_view(
    list=extend_schema(description="Your own activity: what you did, and what was done to your data."),
    retrieve=extend_schema(description="One entry of your activity."),
)
class AuditViewSet(ApiView, viewsets.ReadOnlyModelViewSet):
    serializer_class = api.AuditSerializer
    lookup_field = "uid"
    lookup_url_kwarg = "objectId"
    lookup_value_regex = UUID

    def get_queryset(self):
        user = self.request.user
        mine = Q(actor_type="user", actor_id=user.pk)
        profile = PatientProfile.objects.filter(user=user).values_list("pk", flat=True).first()  # type: ignore[misc]
        if profile is not None:
            mine |= Q(patient_id=profile)
        return AuditEntry.objects.filter(mine).order_by("-created_at", "-pk")

    def get_serializer(self, *args, **kwargs):
        # A page of entries names its rows by objectId with one query per model, not one per entry.
        if args:
            entries = args[0] if kwargs.get("many") else [args[0]]
            kwargs.setdefault("context", self.get_serializer_context())["object_ids"] = ObjectIds(entries)
        return super().get_serializer(*args, **kwargs)


def not_found(request, *args, **kwargs):
    from django.http import JsonResponse

    return JsonResponse({"detail": "Not found."}, status=404)
