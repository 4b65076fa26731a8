"""Secrets never reach the logs: API tokens, webhook secrets, broker passwords, SECRET_KEY."""

import pytest
from django.conf import settings

from accounts.models import TokenScope
from accounts.services import api_token_create
from webhooks.models import WebhookDelivery
from webhooks.services import delivery_attempt, endpoint_create, endpoint_send_test

pytestmark = pytest.mark.django_db


def assert_absent(logs: str, *secrets: str) -> None:
    assert logs, "nothing was logged: the test would prove nothing"
    for secret in (*secrets, settings.SECRET_KEY):
        assert secret not in logs


def test_api_tokens_are_not_logged(client, builder, json_logs):
    issued = api_token_create(user=builder, name="ci", scopes=list(TokenScope.values))
    secret_part = issued.plaintext.rsplit("_", 1)[1]
    found = client.get("/api/v1/answers/987654/", headers={"Authorization": f"Bearer {issued.plaintext}"})
    tampered = client.get("/api/v1/answers/", headers={"Authorization": f"Bearer {issued.plaintext}x"})
    assert (found.status_code, tampered.status_code) == (404, 401)
    assert_absent(json_logs.getvalue(), issued.plaintext, secret_part)


def test_a_failed_webhook_delivery_logs_and_stores_no_secret(builder, json_logs, django_capture_on_commit_callbacks):
    endpoint = endpoint_create(owner=builder, url="http://127.0.0.1:9/hook", event_types=["answer.verified"])
    delivery = endpoint_send_test(endpoint=endpoint, actor=builder)
    delivery_attempt(delivery_id=delivery.pk, attempt=1)  # port 9: the connection is refused
    delivery = WebhookDelivery.objects.get(pk=delivery.pk)
    assert delivery.status != "succeeded" and delivery.last_error
    assert endpoint.secret not in delivery.last_error
    assert_absent(json_logs.getvalue(), endpoint.secret, endpoint.secret.removeprefix("whsec_"))


def test_readiness_names_the_broker_but_never_its_password(client, json_logs, monkeypatch):
    from workers.celery_app import app

    password = "s3cret-broker-pass"
    unreachable = f"redis://:{password}@127.0.0.1:1/0"
    # Celery reads CELERY_BROKER_URL from the environment before its configuration (CI sets it);
    # patch the configuration first, so that what is put back is the real URL, not the patched one.
    monkeypatch.setattr(app.conf, "broker_url", unreachable)
    monkeypatch.setenv("CELERY_BROKER_URL", unreachable)
    response = client.get("/readyz")
    assert response.status_code == 503 and "broker" in response.content.decode()
    assert password not in response.content.decode()
    assert_absent(json_logs.getvalue(), password)
