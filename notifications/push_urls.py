"""Web push and the installable app (PWA): routes at the site root, without a namespace.

The service worker must be at the root so that its scope can be the whole site.
"""

from __future__ import annotations

from django.urls import path

from notifications import push_views

urlpatterns = [
    path("manifest.webmanifest", push_views.manifest, name="manifest"),
    path("sw.js", push_views.service_worker, name="service_worker"),
    path("push/subscriptions/", push_views.subscribe, name="push_subscribe"),
    path("push/subscriptions/delete/", push_views.unsubscribe, name="push_unsubscribe"),
]
