"""JSON request bodies, read within bounds.

Python's json module parses nested arrays and objects by recursion: a body of
100,000 "[" raises RecursionError, which is not a ValueError, so every caller
that only expected bad JSON answered 500. Every JSON body Adhere reads goes
through `loads` here (the REST API's parser, the push subscription views), and
JSONBodyMiddleware does the same check for the JSON endpoints that parse their
bodies themselves (allauth's headless API).

What Adhere accepts is at most five levels deep (a schedule's steps); MAX_DEPTH
leaves room for clients that wrap things, and refuses anything deeper.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from django.core.exceptions import RequestDataTooBig
from django.http import HttpRequest, HttpResponse, JsonResponse

MAX_DEPTH = 32

TOO_DEEP = f"The JSON body is nested too deeply (more than {MAX_DEPTH} levels of arrays and objects)."
TOO_BIG = "The request body is too large."

# The parts of the site that speak JSON to programs: their errors are JSON too.
JSON_PATH_PREFIXES = ("/api/", "/_allauth/", "/push/")


class JSONTooDeep(ValueError):
    """The body is JSON (or might be) but nests arrays and objects deeper than MAX_DEPTH."""


def loads(raw: bytes | str, *, max_depth: int = MAX_DEPTH, **options: Any) -> Any:
    """json.loads (with its options), refusing nesting deeper than max_depth with JSONTooDeep.

    Raises ValueError for anything that is not acceptable JSON: json.JSONDecodeError,
    UnicodeDecodeError, JSONTooDeep (all ValueErrors).
    """
    try:
        data = json.loads(raw, **options)
    except RecursionError:
        raise JSONTooDeep(TOO_DEEP) from None
    if depth(data) > max_depth:
        raise JSONTooDeep(TOO_DEEP)
    return data


def depth(value: Any) -> int:
    """How many arrays and objects deep a parsed value goes (a scalar: 0), without recursion."""
    deepest = 0
    stack: list[tuple[Any, int]] = [(value, 0)]
    while stack:
        item, level = stack.pop()
        if isinstance(item, dict):
            children: Any = item.values()
        elif isinstance(item, list):
            children = item
        else:
            continue
        deepest = max(deepest, level + 1)
        stack.extend((child, level + 1) for child in children)
    return deepest


def is_json_path(path: str) -> bool:
    return path.startswith(JSON_PATH_PREFIXES)


def error_response(path: str, status: int, message: str) -> JsonResponse:
    """An error in the shape of the part of the site that was called."""
    if path.startswith("/_allauth/"):
        # allauth's headless error shape.
        errors = [{"message": message, "code": "invalid"}]
        return JsonResponse({"status": status, "errors": errors}, status=status)
    body: dict[str, Any] = {"detail": message}
    if status == 400:
        body["errors"] = {"nonFieldErrors": [message]}
    return JsonResponse(body, status=status)


class JSONBodyMiddleware:
    """Bounds for the bodies of JSON endpoints, answered in JSON.

    For a request to a JSON endpoint (JSON_PATH_PREFIXES) with a body: the
    body is read within DATA_UPLOAD_MAX_MEMORY_SIZE (otherwise 413, where
    Django would answer a 400 page, and the REST API would read a body of any
    size), and a JSON body nested deeper than MAX_DEPTH is refused with 400
    before a view parses it. Other bad JSON is left to the view, which
    answers it in its own words.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.method not in ("GET", "HEAD", "OPTIONS") and is_json_path(request.path_info):
            refused = self._refusal(request)
            if refused is not None:
                return refused
        return self.get_response(request)

    def _refusal(self, request: HttpRequest) -> HttpResponse | None:
        content_type = request.content_type or ""
        if content_type.startswith(("multipart/", "application/x-www-form-urlencoded")):
            return None  # a form: Django's own limits apply when it is read
        try:
            body = request.body
        except RequestDataTooBig:
            return error_response(request.path_info, 413, TOO_BIG)
        if not body:
            return None
        try:
            loads(body)
        except JSONTooDeep as refused:
            return error_response(request.path_info, 400, str(refused))
        except ValueError:
            return None
        return None
