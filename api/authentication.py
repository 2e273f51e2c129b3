from __future__ import annotations

from allauth.headless.contrib.rest_framework.authentication import XSessionTokenAuthentication
from allauth.headless.internal import sessionkit
from allauth.headless.tokens.strategies import sessions
from django.contrib.sessions.backends.base import SessionBase


class SessionTokenAuthentication(XSessionTokenAuthentication):
    """allauth's X-Session-Token, answering 401 (not 403) when it is missing or has ended."""

    def authenticate_header(self, request) -> str:
        return 'X-Session-Token realm="api"'


class SessionTokenStrategy(sessions.SessionTokenStrategy):
    """allauth's session tokens, looked up in one query instead of two (exists, then load).

    A token whose session is missing or has expired finds nothing, as before.
    """

    def lookup_session(self, session_token: str) -> SessionBase | None:
        return sessionkit.lookup_session(session_token)
