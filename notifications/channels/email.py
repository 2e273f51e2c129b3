"""Email: Django's mail backends, a readable text part and an HTML part.

A due-dose email carries, for each dose still pending, signed one-click
"Taken" and "Skip" links (notifications/links.py).
"""

from __future__ import annotations

import smtplib

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.template.loader import render_to_string
from django.urls import reverse

from adherence.text import one_line
from notifications import invitations
from notifications.channels import DeliveryError
from notifications.links import absolute_url
from notifications.models import Kind
from reminders.models import Dose


def context_for(notification) -> dict:
    doses = []
    if notification.kind == Kind.REMINDER:
        for dose in notification.doses.filter(status=Dose.Status.PENDING).select_related(
            "reminder", "patient"
        ):
            doses.append(
                {
                    "dose": dose,
                    "at": dose.scheduled_at.astimezone(dose.patient.zone).strftime("%H:%M"),
                    "taken_url": absolute_url(dose, notification.recipient, "taken"),
                    "skip_url": absolute_url(dose, notification.recipient, "skip"),
                }
            )
    return {
        "notification": notification,
        "doses": doses,
        "open_url": settings.SITE_URL + (notification.link or "/"),
        "settings_url": settings.SITE_URL + reverse("notifications:settings"),
        "site_url": settings.SITE_URL,
    }


def message_for(notification, address: str) -> EmailMultiAlternatives:
    # Subjects carry names people typed. Those are one line now (adherence.text), but text stored
    # before that rule must not break the header either: Django refuses a subject with a line
    # break, and the message would fail on every retry.
    if notification.kind == Kind.INVITATION:  # the invitation as the patients app words it, text only
        subject, body = invitations.email_parts(notification)
        return EmailMultiAlternatives(subject=one_line(subject), body=body, to=[address])
    context = context_for(notification)
    message = EmailMultiAlternatives(
        subject=one_line(notification.title),
        body=render_to_string("notifications/email/message.txt", context),
        to=[address],
    )
    message.attach_alternative(render_to_string("notifications/email/message.html", context), "text/html")
    return message


def send(notification) -> None:
    address = notification.address
    if not address:
        raise DeliveryError("The recipient has no email address.", permanent=True)
    message = message_for(notification, address)
    try:
        message.send()
    except (smtplib.SMTPException, OSError) as error:
        permanent = isinstance(error, smtplib.SMTPRecipientsRefused)
        raise DeliveryError(f"The mail server refused it: {error}", permanent=permanent) from error
