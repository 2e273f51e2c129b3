from __future__ import annotations

from django.utils import timezone

from patients.models import PatientProfile


class PatientTimeZoneMiddleware:
    """Show times in the signed-in patient's own zone; `request.own_profile` for the layout.

    A caregiver without a profile of their own sees UTC until they make one;
    pages about a patient format that patient's times in the patient's zone.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        request.own_profile = None
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            request.own_profile = PatientProfile.objects.filter(user=user).first()
        if request.own_profile is not None:
            timezone.activate(request.own_profile.zone)
        try:
            return self.get_response(request)
        finally:
            timezone.deactivate()
