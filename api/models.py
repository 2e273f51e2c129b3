from __future__ import annotations

from django.db import models


class RateLimit(models.Model):
    """One caller's use of their API allowance (api.throttling): one row per user and scope."""

    caller = models.CharField(max_length=100, primary_key=True)
    # The moment (seconds since the epoch) up to which the allowance is used: every request
    # moves it on by period / limit, and a request that would move it more than one period
    # ahead of now is refused.
    used_until = models.FloatField()

    def __str__(self) -> str:
        return self.caller
