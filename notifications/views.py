"""The notification list and badge, the settings page, acknowledging alerts, one-click dose links."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from accounts.http import SignedInRequest
from accounts.idle import passive
from notifications import selectors, services
from notifications.forms import NotificationSettingsForm
from notifications.links import BadLink, read_token
from notifications.models import NotificationSettings
from reminders import services as dose_services
from reminders.forms import SkipForm
from reminders.models import Dose


@login_required
@require_safe
def inbox(request: SignedInRequest) -> HttpResponse:
    """Every in-app message, newest first. Opening it changes nothing: "Mark as read" is a POST.

    A message about a patient the person no longer cares for keeps its place but not its words.
    """
    page = Paginator(selectors.inbox(request.user), 30).get_page(request.GET.get("page"))
    items = list(page.object_list)
    unread_ids = [item.pk for item in items if item.read_at is None]
    # `readable` is annotated by selectors.inbox: whether the policy still lets them read it.
    readable = [item for item in items if item.readable]
    return render(
        request,
        "notifications/inbox.html",
        {
            "page": page,
            "items": items,
            "unread_ids": set(unread_ids),
            "alert_states": selectors.alert_states(request.user, readable),
            "unread_elsewhere": (
                selectors.unread_count(request.user) - len([i for i in readable if i.pk in unread_ids])
                if page.has_other_pages()
                else 0
            ),
        },
    )


@passive
@login_required
@require_safe
def badge(request: SignedInRequest) -> HttpResponse:
    """The header's unread count, polled by htmx. Polling is not activity: an idle session still ends."""
    if not request.htmx:  # opened directly: the list itself
        return redirect("notifications:inbox")
    return render(request, "notifications/_badge.html", {"unread": selectors.unread_count(request.user)})


@login_required
@require_POST
def read(request: SignedInRequest) -> HttpResponse:
    """The inbox's "Mark as read": the messages of the page the person was looking at."""
    ids = [int(value) for value in request.POST.getlist("id") if value.isdigit()]
    services.notification_mark_read(user=request.user, ids=ids)
    back = request.POST.get("page", "")
    return redirect(reverse("notifications:inbox") + (f"?page={back}" if back.isdigit() else ""))


@login_required
@require_POST
def read_all(request: SignedInRequest) -> HttpResponse:
    services.notification_mark_all_read(user=request.user)
    messages.success(request, "All notifications are marked as read.")
    return redirect("notifications:inbox")


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def settings_edit(request: SignedInRequest) -> HttpResponse:
    # Never saved: the defaults, whose empty number and zone follow the profile.
    current = NotificationSettings.objects.filter(user=request.user).first() or NotificationSettings(
        user=request.user
    )
    form = NotificationSettingsForm(request.POST if request.method == "POST" else None, instance=current)
    if request.method == "POST" and form.is_valid():
        services.notification_settings_update(user=request.user, **form.cleaned_data)
        messages.success(request, "Your notification settings are saved.")
        return redirect("notifications:settings")
    return render(
        request,
        "notifications/settings.html",
        {"form": form, "push_devices": request.user.push_subscriptions.count()},
        status=400 if request.method == "POST" else 200,
    )


@passive
@login_required
@require_safe
def alerts_panel(request: SignedInRequest) -> HttpResponse:
    """The caregiver dashboard's open alerts, polled by htmx."""
    if not request.htmx:  # opened directly: the dashboard itself
        return redirect("patients:caring")
    return render(request, "notifications/_alerts_panel.html", selectors.alerts_panel(request.user))


@login_required
@require_POST
def alert_acknowledge(request: SignedInRequest, alert_id: int) -> HttpResponse:
    """A caregiver says "I'm handling it". Only caregivers whose link includes alerts may."""
    alert = get_object_or_404(selectors.caregiver_alerts_for(request.user), pk=alert_id)
    alert = services.alert_acknowledge(alert=alert, by=request.user)
    if request.htmx:  # the panel itself says who is handling each alert
        return render(request, "notifications/_alerts_panel.html", selectors.alerts_panel(request.user))
    if alert.acknowledged_by_id == request.user.pk:
        messages.success(
            request, f"The others can see that you are handling {alert.patient.display_name}'s missed dose."
        )
    else:
        selectors.name_handlers([alert])
        messages.info(request, f"{alert.handler_name} is already handling it.")  # type: ignore[attr-defined]
    back = request.POST.get("next", "")
    if not url_has_allowed_host_and_scheme(
        back, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        back = ""
    return redirect(back or "patients:caring")


@require_http_methods(["GET", "HEAD", "POST"])
def dose_link(request: HttpRequest, token: str) -> HttpResponse:
    """A one-click link from a due-dose email: shows what it will do; only the POST acts, once.

    With someone other than the link's holder signed in, the page says whose dose it is and who
    will be recorded as doing it (services.dose_link_actor), and asks for an explicit "yes".
    """
    try:
        link = read_token(token)
    except BadLink as error:
        return render(request, "notifications/dose_link.html", {"problem": str(error)}, status=400)
    dose = link.dose
    acting = services.dose_link_actor(link=link, signed_in=request.user)  # type: ignore[arg-type]
    context = {
        "dose": dose,
        "action": link.action,
        "at": dose.scheduled_at.astimezone(dose.patient.zone),
        "acting": acting,
        "signed_in": request.user if acting.kind != "holder" else None,
    }
    if used := services.dose_link_used(link=link):
        context["used"] = used
        return render(request, "notifications/dose_link.html", context)
    if dose.status != Dose.Status.PENDING:
        context["already"] = dose
        return render(request, "notifications/dose_link.html", context)
    # Bound on every POST, even an empty one: an unbound form is invalid without saying why.
    form = SkipForm(request.POST if request.method == "POST" else None) if link.action == "skip" else None
    context["form"] = form
    if request.method == "POST":
        if form is not None and not form.is_valid():
            return render(request, "notifications/dose_link.html", context, status=400)
        if acting.kind != "holder" and request.POST.get("for_patient") != str(dose.patient.object_id):
            context["problem"] = f"Tick the box to say this is for {dose.patient.display_name}."
            return render(request, "notifications/dose_link.html", context, status=400)
        try:
            dose = services.dose_link_act(link=link, acting=acting, **(form.cleaned_data if form else {}))
        except services.LinkAlreadyUsed as error:
            context["used"] = error.used
            return render(request, "notifications/dose_link.html", context)
        except dose_services.DoseError as error:
            context["problem"] = str(error)
            return render(request, "notifications/dose_link.html", context, status=400)
        context["done"] = dose
    return render(request, "notifications/dose_link.html", context)
