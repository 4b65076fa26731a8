"""CSRF: every unsafe request to every URL pattern, from a signed-in browser session without a
token, is refused (no view is csrf_exempt, and the API enforces CSRF on session auth)."""

import re

import pytest
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver
from django.urls.resolvers import RoutePattern

from accounts.services import user_set_role
from tests.factories import UserFactory

CONVERTER = re.compile(r"<(?:(\w+):)?\w+>")
SAMPLE = {"int": "1", "path": "x/y"}


def route_paths(resolver=None, prefix: str = "") -> list[str]:
    paths = []
    for entry in (resolver or get_resolver()).url_patterns:
        if not isinstance(entry.pattern, RoutePattern):
            continue  # admin's few regex routes (catch-all, app index) share its views' protection
        route = prefix + str(entry.pattern)
        if isinstance(entry, URLResolver):
            paths += route_paths(entry, route)
        elif isinstance(entry, URLPattern):
            paths.append("/" + CONVERTER.sub(lambda m: SAMPLE.get(m.group(1), "x"), route))
    return paths


@pytest.fixture
def browser_session(db):
    user = UserFactory(username="csrf-curator", is_staff=True, is_superuser=True, is_expert=True, is_builder=True)
    user_set_role(user=user, role="curator", granted=True)
    client = Client(enforce_csrf_checks=True)
    client.force_login(user)
    return client


def test_the_enumeration_reaches_the_apps_and_the_api():
    paths = route_paths()
    assert {"/reviews/answers/1/", "/webhooks/1/delete/", "/api/v1/answers/bulk/", "/accounts/login/"} <= set(paths)
    assert len(paths) > 60


@pytest.mark.parametrize("method", ["post", "put", "patch", "delete"])
def test_unsafe_requests_without_a_csrf_token_are_refused(browser_session, method):
    accepted = {}
    for path in route_paths():
        response = getattr(browser_session, method)(path, {"x": "1"}, content_type="application/json")
        if response.status_code != 403:
            accepted[path] = response.status_code
    assert accepted == {}
