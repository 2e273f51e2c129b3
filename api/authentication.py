from __future__ import annotations

from allauth.headless.contrib.rest_framework.authentication import XSessionTokenAuthentication


class SessionTokenAuthentication(XSessionTokenAuthentication):
    """allauth's X-Session-Token, answering 401 (not 403) when it is missing or has ended."""

    def authenticate_header(self, request) -> str:
        return 'X-Session-Token realm="api"'
