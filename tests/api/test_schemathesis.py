"""Schemathesis over the whole API schema: no server errors, no response outside the schema."""

import uuid

import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from hypothesis import HealthCheck, settings
from schemathesis import checks

from accounts.services import api_token_create
from config.wsgi import application
from tests.factories import ModelEntryFactory, QuestionFactory, SiteFactory, UserFactory

schema = schemathesis.openapi.from_wsgi("/api/v1/schema/?format=json", application)
# Zero server errors, zero responses outside the schema (status, content type, body, headers).
CHECKS = [
    checks.not_a_server_error,
    checks.status_code_conformance,
    checks.content_type_conformance,
    checks.response_schema_conformance,
    checks.response_headers_conformance,
]


@pytest.fixture(autouse=True)
def keep_the_test_connection_open():
    """Calling the WSGI app directly would close the test's connection after each request,
    as Django's own test client avoids; do the same here."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


@pytest.fixture
def builder_token(db):
    user = UserFactory(username="fuzzer", is_builder=True)
    site = SiteFactory(slug="math")
    for n in range(3):
        QuestionFactory(site=site, source="uq", external_id=f"uq{n}")
    ModelEntryFactory(owner=user, name="fuzz-model")
    return api_token_create(user=user, name="fuzz", scopes=["read", "submit"]).plaintext


@pytest.mark.django_db
@schema.parametrize()
@settings(
    max_examples=25, deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow, HealthCheck.filter_too_much],
)  # fmt: skip
def test_api_conforms_to_its_schema(case, builder_token):
    from django.core.cache import cache

    cache.clear()  # the fuzzer must not trip the throttles
    headers = {"Authorization": f"Bearer {builder_token}"}
    if case.method == "POST":  # a fresh key per request: reusing one for another body is a 422
        headers["Idempotency-Key"] = uuid.uuid4().hex
    case.call_and_validate(headers=headers, checks=CHECKS)
