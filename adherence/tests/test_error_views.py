"""A server error, a refused request or an unknown address answers a program in JSON, a person with a page."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied, SuspiciousOperation
from django.test import Client
from django.urls import include, path

from adherence import jsonbody
from adherence import urls as project_urls


def _crash(request, *args, **kwargs):
    raise RuntimeError("secret detail of a bug: /home/adhere/app.py line 12")


def _suspicious(request, *args, **kwargs):
    raise SuspiciousOperation("odd")


def _denied(request, *args, **kwargs):
    raise PermissionDenied


# The project's URLs and error views, with a few views that fail on purpose.
urlpatterns = [
    path("api/v1/crash/", _crash),
    path("_allauth/app/v1/crash/", _crash),
    path("push/crash/", _crash),
    path("crash/", _crash),
    path("api/v1/suspicious/", _suspicious),
    path("push/denied/", _denied),
    path("", include(project_urls)),
]
handler400 = project_urls.handler400
handler403 = project_urls.handler403
handler404 = project_urls.handler404
handler500 = project_urls.handler500


@pytest.fixture
def failing_urls(settings, db):
    settings.ROOT_URLCONF = __name__
    settings.DEBUG = False


@pytest.mark.parametrize("url", ["/api/v1/crash/", "/push/crash/"])
def test_a_server_error_under_the_api_answers_json_without_the_trace(failing_urls, url):
    response = Client(raise_request_exception=False).get(url)

    assert response.status_code == 500
    assert response["Content-Type"] == "application/json"
    assert response.json() == {
        "detail": "Something went wrong on our side. It was logged; please try again later.",
    }
    assert b"secret detail" not in response.content


def test_a_server_error_under_allauth_headless_answers_its_json_shape(failing_urls):
    response = Client(raise_request_exception=False).get("/_allauth/app/v1/crash/")

    assert response.status_code == 500
    assert response.json()["status"] == 500
    assert response.json()["errors"][0]["message"].startswith("Something went wrong on our side.")


def test_a_server_error_on_a_page_is_still_the_page(failing_urls):
    response = Client(raise_request_exception=False).get("/crash/")

    assert response.status_code == 500
    assert response["Content-Type"].startswith("text/html")
    assert b"secret detail" not in response.content


def test_a_refused_request_under_the_api_answers_json(failing_urls):
    response = Client(raise_request_exception=False).get("/api/v1/suspicious/")

    assert response.status_code == 400
    assert response.json()["detail"] == "The request could not be understood."


def test_a_forbidden_push_request_and_an_unknown_push_address_answer_json(failing_urls):
    client = Client(raise_request_exception=False)

    assert client.get("/push/denied/").json() == {"detail": "You do not have permission to do this."}
    missing = client.get("/push/nothing-here/")
    assert (missing.status_code, missing.json()) == (404, {"detail": "Not found."})
    assert client.get("/no-such-page/")["Content-Type"].startswith("text/html")


# --- The bounded parser ------------------------------------------------------------------------


def test_loads_refuses_nesting_past_the_bound_and_takes_it_up_to_the_bound():
    at_bound = "[" * jsonbody.MAX_DEPTH + "]" * jsonbody.MAX_DEPTH
    assert jsonbody.depth(jsonbody.loads(at_bound)) == jsonbody.MAX_DEPTH
    with pytest.raises(jsonbody.JSONTooDeep):
        jsonbody.loads("[" + at_bound + "]")
    with pytest.raises(jsonbody.JSONTooDeep):  # deeper than Python's recursion limit
        jsonbody.loads(b'{"a":' * 50_000 + b"1" + b"}" * 50_000)
    with pytest.raises(ValueError, match="Expecting"):
        jsonbody.loads("[1,")
    assert jsonbody.loads('{"a": [1, {"b": null}]}') == {"a": [1, {"b": None}]}
