"""A reminder's one-click "Taken" link works, and its key never reaches the request log."""

from __future__ import annotations

import io
import logging

from notifications.links import absolute_url
from notifications.tests.world import medication
from reminders.models import Dose


def test_opening_a_dose_link_from_an_email_logs_its_path_without_the_key(client, ann, clock, settings):
    dose = Dose.objects.filter(reminder=medication(ann, "08:00")).order_by("scheduled_at").first()
    link = absolute_url(dose, ann.user, "taken").removeprefix(settings.SITE_URL)
    token = link.split("/")[2]
    assert len(token) > 20

    # The link works: it is a real key...
    response = client.get(link)
    assert response.status_code == 200
    assert "Metformin" in response.content.decode()
    # ...and the request line the server writes for it keeps the route, not the key.
    handler = logging.getLogger("django.server").handlers[0]
    stream = io.StringIO()
    previous = handler.setStream(stream)
    try:
        logging.getLogger("django.server").info('"%s" %s %s', f"GET {link} HTTP/1.1", "200", "2048")
        logging.getLogger("django.server").info('"%s" %s %s', f"POST {link} HTTP/1.1", "302", "0")
    finally:
        handler.setStream(previous)
    written = stream.getvalue()
    assert token not in written
    assert token[:12] not in written
    assert written.count("/dose-link/[redacted]/") == 2
