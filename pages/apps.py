from __future__ import annotations

from django.apps import AppConfig


class PagesConfig(AppConfig):
    """The site's pages that bring several apps together: where a signed-in person starts, and the
    caregiver dashboard (each patient's day from reminders, open alerts from notifications).

    It sits above every domain app (imports run one way, see README "How it fits together"), so
    it may read all of them and none of them reads it.
    """

    name = "pages"
    verbose_name = "Site pages"
