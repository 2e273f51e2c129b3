"""A polling endpoint, to show that polling does not keep a session alive."""

from __future__ import annotations

from django.http import HttpResponse
from django.urls import include, path

from accounts.idle import passive


@passive
def badge(request):
    return HttpResponse("3 unread")


urlpatterns = [path("badge", badge), path("", include("adherence.urls"))]
