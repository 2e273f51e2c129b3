from __future__ import annotations

from allauth.headless.contrib.rest_framework.authentication import XSessionTokenAuthentication
from allauth.headless.internal import sessionkit
from allauth.headless.tokens.strategies import sessions
from django.contrib.sessions.backends.base import SessionBase

from accounts.idle import token_session_refused


class SessionTokenAuthentication(XSessionTokenAuthentication):
    """allauth's X-Session-Token, answering 401 (not 403) when it is missing or has ended."""

    def authenticate_header(self, request) -> str:
        return 'X-Session-Token realm="api"'


class SessionTokenStrategy(sessions.SessionTokenStrategy):
    """allauth's session tokens, looked up in one query instead of two (exists, then load).

    A token whose session is missing or has expired finds nothing, as before; so does one idle
    too long or past its lifetime (accounts.idle.token_session_refused). An idle one is ended
    as well, as the browser that may share it would be on its next request; one past the token
    lifetime is only refused, since a browser that kept itself signed in may still use it. Both
    the REST API and allauth's app API come through here.
    """

    def lookup_session(self, session_token: str) -> SessionBase | None:
        session = sessionkit.lookup_session(session_token)
        if session is None:
            return None
        refused = token_session_refused(session)
        if refused == "idle":
            session.delete()
        return None if refused else session
