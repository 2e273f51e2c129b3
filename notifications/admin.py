"""The outbox in the admin: read-only, with failed deliveries easy to find and to try again."""

from __future__ import annotations

from urllib.parse import urlsplit

from django.contrib import admin, messages
from django.db import transaction
from django.template.defaultfilters import pluralize
from django.urls import reverse
from django.utils.html import format_html
from django.utils.text import Truncator

from adherence.admin import ReadOnlyAdmin
from audit.trail import together
from notifications import services
from notifications.models import Notification, NotificationSettings, PushSubscription


@admin.register(Notification)
class NotificationAdmin(ReadOnlyAdmin):
    list_display = [
        "created_at",
        "recipient",
        "channel",
        "kind",
        "status",
        "attempts",
        "next_attempt_at",
        "short_error",
    ]
    list_filter = ["status", "channel", "kind"]
    search_fields = ["recipient__email", "to_address", "title"]
    list_select_related = ["recipient"]
    fields = [
        "recipient",
        "to_address",
        "care_link",
        "channel",
        "kind",
        "patient",
        "title",
        "body",
        "link",
        "status",
        "attempts",
        "next_attempt_at",
        "last_error",
        "sent_at",
        "read_at",
        "created_at",
        "updated_at",
        "dedup_key",
        "object_id",
        "doses",
        "alerts",
    ]
    actions = ["try_again"]

    @admin.display(description="last error")
    def short_error(self, notification: Notification) -> str:
        return Truncator(notification.last_error).chars(80)

    def changelist_view(self, request, extra_context=None):
        # Not on the POST of an action: its redirect comes back here with the count as it then is.
        if request.method == "GET":
            failed = Notification.objects.filter(status=Notification.Status.FAILED).count()
            if failed:
                url = reverse("admin:notifications_notification_changelist") + "?status__exact=failed"
                messages.warning(
                    request,
                    format_html(
                        '{} notification{} failed to be delivered. <a href="{}">Show the failed ones</a>, '
                        "read their last error and, once the cause is fixed, choose “Try again”.",
                        failed,
                        pluralize(failed),
                        url,
                    ),
                )
        return super().changelist_view(request, extra_context)

    def has_retry_permission(self, request) -> bool:
        # The model's change permission: the rows stay read-only in their form either way.
        return request.user.has_perm("notifications.change_notification")

    @admin.action(description="Try again", permissions=["retry"])
    def try_again(self, request, queryset) -> None:
        """Put failed notifications back in the queue, due now, with a fresh count of attempts."""
        requeued = 0
        with transaction.atomic(), together():
            for notification in queryset.filter(status=Notification.Status.FAILED):
                requeued += services.notification_retry(notification=notification)
        skipped = queryset.count() - requeued
        if requeued:
            self.message_user(
                request,
                f"{requeued} notification{pluralize(requeued)} will be tried again shortly.",
                messages.SUCCESS,
            )
        if skipped:
            self.message_user(
                request,
                f"Left alone: {skipped} of the selected notifications had not failed.",
                messages.WARNING,
            )


@admin.register(NotificationSettings)
class NotificationSettingsAdmin(ReadOnlyAdmin):
    list_display = [
        "user",
        "by_email",
        "by_push",
        "by_sms",
        "sms_number",
        "quiet_start",
        "quiet_end",
        "time_zone",
        "repeat_every_minutes",
        "updated_at",
    ]
    list_filter = ["by_email", "by_push", "by_sms"]
    search_fields = ["user__email"]
    list_select_related = ["user"]


@admin.register(PushSubscription)
class PushSubscriptionAdmin(ReadOnlyAdmin):
    """The endpoint and keys let anyone push to that browser: only the push service's host is shown."""

    list_display = ["user", "push_service", "short_user_agent", "created_at", "last_used_at"]
    search_fields = ["user__email"]
    list_select_related = ["user"]
    fields = ["user", "push_service", "user_agent", "created_at", "last_used_at"]
    readonly_fields = ["push_service"]

    @admin.display(description="push service")
    def push_service(self, subscription: PushSubscription) -> str:
        return urlsplit(subscription.endpoint).hostname or "?"

    @admin.display(description="browser")
    def short_user_agent(self, subscription: PushSubscription) -> str:
        return Truncator(subscription.user_agent).chars(60)
