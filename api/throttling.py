"""The per-user rate limit, kept in one database row per user and changed by one statement.

DRF's own throttle keeps a list of every request's time in the cache: with the
database cache that is six statements and a list of up to 2,000 times pickled
on every request. This one keeps a single number per user (the generic cell
rate algorithm): each request moves `used_until` on by period / limit; a
request that would move it more than one period ahead of now is refused. So
up to `limit` requests may come at once, and after that one every
period / limit: never more than the rate over time, shared by every process.

The row is changed by one INSERT ... ON CONFLICT DO UPDATE ... RETURNING
(PostgreSQL and SQLite alike), which only succeeds when the request is
allowed. It runs before the request's transaction begins (api.views.ApiView),
so the row is not held locked while the request is served.
"""

from __future__ import annotations

from django.db import connections, router
from rest_framework import throttling

from adherence.proxies import client_ip
from api.models import RateLimit


class AnonRateThrottle(throttling.AnonRateThrottle):
    """DRF's per-address rate ("anon"), with the address from adherence.proxies (NUM_PROXIES)."""

    def get_ident(self, request) -> str:
        return client_ip(request)


class UserRateThrottle(throttling.UserRateThrottle):
    """DRF's per-user rate ("user" in DEFAULT_THROTTLE_RATES), counted in api.models.RateLimit."""

    # Set by SimpleRateThrottle.__init__ from the rate; declared for the type checker.
    num_requests: int
    duration: int

    def allow_request(self, request, view) -> bool:
        if self.rate is None:
            return True
        self.key = self.get_cache_key(request, view)
        if self.key is None:
            return True
        self.now = self.timer()
        self.refused_until = None
        interval = self.duration / self.num_requests
        connection = connections[router.db_for_write(RateLimit)]
        table = connection.ops.quote_name(RateLimit._meta.db_table)
        used = f"CASE WHEN {table}.used_until > %s THEN {table}.used_until ELSE %s END + %s"
        with connection.cursor() as cursor:
            cursor.execute(
                f"INSERT INTO {table} (caller, used_until) VALUES (%s, %s) "  # noqa: S608
                f"ON CONFLICT (caller) DO UPDATE SET used_until = {used} WHERE {used} <= %s "
                "RETURNING used_until",
                [
                    self.key,
                    self.now + interval,
                    *(self.now, self.now, interval),
                    *(self.now, self.now, interval),
                    self.now + self.duration,
                ],
            )
            if cursor.fetchone() is not None:
                return True
            cursor.execute(f"SELECT used_until FROM {table} WHERE caller = %s", [self.key])  # noqa: S608
            (self.refused_until,) = cursor.fetchone()
        return False

    def wait(self) -> float | None:
        """Seconds until one more request fits: when used_until + one interval is a period ahead."""
        if self.refused_until is None:
            return None
        interval = self.duration / self.num_requests
        return max(0.0, self.refused_until + interval - self.duration - self.now)
