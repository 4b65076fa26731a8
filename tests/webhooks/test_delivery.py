"""Sending: signatures, retries and their back-off, permanent failures, redelivery, the sweeper."""

import json
import logging
import socket
from datetime import timedelta

import pytest
from django.utils import timezone
from standardwebhooks import WebhookVerificationError

from tests.support.receiver import Reply
from webhooks import services
from webhooks.models import WebhookDelivery

pytestmark = pytest.mark.django_db


def send_test(endpoint, sending):
    with sending():
        delivery = services.endpoint_send_test(endpoint=endpoint, actor=endpoint.owner)
    delivery.refresh_from_db()
    return delivery


def test_the_signature_verifies_and_a_tampered_body_or_another_secret_fails(
    sending, receiver, make_endpoint, builder
):
    endpoint = make_endpoint(builder)
    send_test(endpoint, sending)
    [request] = receiver.requests
    assert request.verified
    assert receiver.verify(request)["data"]["endpoint_id"] == endpoint.pk
    assert (
        request.headers["webhook-id"].startswith("msg_")
        and request.headers["content-type"] == "application/json"
    )
    tampered = request.body.replace("your endpoint works", "your endpoint is mine")
    with pytest.raises(WebhookVerificationError):
        receiver.verify(type(request)(request.path, request.headers, tampered, False))
    with pytest.raises(WebhookVerificationError):
        receiver.verify(request, secret=services.new_secret())


def test_a_server_error_is_retried_with_backoff_then_succeeds(
    sending, receiver, make_endpoint, builder, published, settings
):
    settings.QUORUM_WEBHOOK_RETRY_S = 60
    receiver.reply(Reply(500, body=b"database is down"))
    delivery = send_test(make_endpoint(builder), sending)
    assert (delivery.status, delivery.attempts, delivery.response_status, delivery.last_error) == (
        "succeeded",
        2,
        200,
        "",
    )
    (_, first, none), (_, second, countdown) = published
    assert (first, none, second) == (1, None, 2)
    assert 45 <= countdown <= 75  # the first back-off, with jitter
    assert [r.headers["webhook-id"] for r in receiver.requests] == [delivery.message_id] * 2


@pytest.mark.parametrize("status", [400, 401, 404, 410, 413])
def test_client_errors_fail_at_once_with_a_short_error(
    sending, receiver, public_endpoint, builder, status
):
    receiver.reply(Reply(status, body=b"<html>" + b"x" * 5000 + b"</html>"))
    delivery = send_test(public_endpoint(builder), sending)
    assert (delivery.status, delivery.attempts, delivery.response_status) == ("failed", 1, status)
    assert (
        delivery.last_error.startswith(f"HTTP {status}: <html>xxx")
        and len(delivery.last_error) <= 220
    )
    assert delivery.next_attempt_at is None and len(receiver.requests) == 1
    assert receiver.requests[0].headers["host"].startswith("hooks.pub.test:")


def test_an_internal_receivers_reply_never_reaches_the_page(
    sending, receiver, make_endpoint, builder, client
):
    """An allow-listed internal host may answer with a page of the internal network: only its
    status is kept, never the start of its body."""
    receiver.reply(Reply(404, body=b"<h1>Jenkins</h1> internal build secrets"))
    endpoint = make_endpoint(builder)
    delivery = send_test(endpoint, sending)
    assert (delivery.status, delivery.last_error) == ("failed", "HTTP 404")
    client.force_login(builder)
    page = client.get(f"/webhooks/{endpoint.pk}/").content.decode()
    assert "HTTP 404" in page and "Jenkins" not in page and "build secrets" not in page


@pytest.mark.parametrize("status", [408, 409, 425, 502, 503])
def test_transient_statuses_are_retried(sending, receiver, make_endpoint, builder, status):
    receiver.reply(Reply(status))
    delivery = send_test(make_endpoint(builder), sending)
    assert (delivery.status, delivery.attempts) == ("succeeded", 2)


def test_429_is_retried_after_the_receivers_retry_after(
    sending, receiver, make_endpoint, builder, published
):
    receiver.reply(Reply(429, headers={"Retry-After": "120"}))
    delivery = send_test(make_endpoint(builder), sending)
    assert published[-1][1:] == (2, 120.0)
    assert (delivery.status, delivery.attempts) == ("succeeded", 2)


def test_a_timeout_is_retried(sending, receiver, make_endpoint, builder, published, settings):
    settings.QUORUM_WEBHOOK_TIMEOUT_S = 0.3
    receiver.reply(Reply(200, delay_s=1.0))
    delivery = send_test(make_endpoint(builder), sending)
    assert (delivery.status, delivery.attempts) == ("succeeded", 2)
    assert published[-1][1] == 2 and published[-1][2] > 0


def test_it_gives_up_after_the_attempt_limit(sending, receiver, make_endpoint, builder, settings):
    settings.QUORUM_WEBHOOK_MAX_ATTEMPTS = 3
    receiver.reply(*[Reply(500)] * 5)
    delivery = send_test(make_endpoint(builder), sending)
    assert (delivery.status, delivery.attempts, len(receiver.requests)) == ("failed", 3, 3)
    assert delivery.last_error.startswith("gave up after 3 attempts; last: HTTP 500")


def test_redelivery_sends_the_same_message_id_again(
    sending, receiver, make_endpoint, builder, rival, curator
):
    endpoint = make_endpoint(builder)
    receiver.reply(Reply(410))
    original = send_test(endpoint, sending)
    assert original.status == "failed"
    with pytest.raises(services.WebhookNotAllowed):
        services.delivery_redeliver(delivery=original, actor=rival)
    with sending():
        again = services.delivery_redeliver(delivery=original, actor=builder)
    with sending():
        by_curator = services.delivery_redeliver(delivery=again, actor=curator)
    first, second, third = receiver.requests
    assert (
        first.headers["webhook-id"] == second.headers["webhook-id"] == third.headers["webhook-id"]
    )
    assert json.loads(first.body) == json.loads(second.body)
    again.refresh_from_db()
    assert (again.status, again.redelivery_of, again.requested_by) == (
        "succeeded",
        original,
        builder,
    )
    assert WebhookDelivery.objects.get(pk=by_curator.pk).redelivery_of == original


def test_a_message_still_on_its_way_is_not_redelivered(receiver, make_endpoint, builder):
    delivery = services.endpoint_send_test(
        endpoint=make_endpoint(builder), actor=builder
    )  # not sent: no commit
    with pytest.raises(services.WebhookDeliveryBusy):
        services.delivery_redeliver(delivery=delivery, actor=builder)


def test_duplicate_and_stale_tasks_send_nothing(receiver, make_endpoint, builder):
    receiver.reply(Reply(500))
    delivery = services.endpoint_send_test(
        endpoint=make_endpoint(builder), actor=builder
    )  # no commit: tasks by hand
    assert services.delivery_attempt(delivery_id=delivery.pk, attempt=1) == "retrying"
    assert (
        services.delivery_attempt(delivery_id=delivery.pk, attempt=1) == "skipped"
    )  # the same task twice
    assert (
        services.delivery_attempt(delivery_id=delivery.pk, attempt=3) == "skipped"
    )  # not its turn
    assert len(receiver.requests) == 1
    assert services.delivery_attempt(delivery_id=delivery.pk, attempt=2) == "succeeded"
    assert services.delivery_attempt(delivery_id=delivery.pk, attempt=2) == "skipped"
    assert len(receiver.requests) == 2


def test_the_sweeper_resends_lost_deliveries_and_fails_abandoned_ones(
    receiver, make_endpoint, builder, sending, monkeypatch, settings
):
    import workers.tasks.webhooks as tasks

    def broker_down(*args, **kwargs):
        raise ConnectionError("broker unreachable")

    monkeypatch.setattr(tasks, "publish_delivery", broker_down)
    endpoint = make_endpoint(builder)
    lost = send_test(endpoint, sending)
    assert (lost.status, lost.attempts, receiver.requests) == ("pending", 0, [])
    monkeypatch.undo()
    assert services.deliveries_sweep() == 0  # not due yet
    WebhookDelivery.objects.update(next_attempt_at=timezone.now() - timedelta(seconds=1))
    with sending():
        assert services.deliveries_sweep() == 1
    lost.refresh_from_db()
    assert (lost.status, lost.attempts, len(receiver.requests)) == ("succeeded", 1, 1)

    abandoned = services.endpoint_send_test(
        endpoint=endpoint, actor=builder
    )  # a worker died mid-attempt
    WebhookDelivery.objects.filter(pk=abandoned.pk).update(
        attempts=settings.QUORUM_WEBHOOK_MAX_ATTEMPTS,
        next_attempt_at=timezone.now() - timedelta(seconds=1),
    )
    assert services.deliveries_sweep() == 0
    abandoned.refresh_from_db()
    assert abandoned.status == "failed" and "no outcome recorded" in abandoned.last_error


def test_private_hosts_are_refused_unless_allowed(receiver, builder, settings, sending):
    settings.QUORUM_WEBHOOK_ALLOWED_HOSTS = []
    for url in (
        receiver.url(),
        "http://localhost:9/hook",
        "http://10.0.0.5/hook",
        "http://169.254.169.254/latest",
    ):
        with pytest.raises(services.WebhookURLRefused, match="non-public address"):
            services.endpoint_create(owner=builder, url=url, event_types=["answer.validated"])
    with pytest.raises(services.WebhookURLRefused, match="http"):
        services.endpoint_create(
            owner=builder, url="file:///etc/passwd", event_types=["answer.validated"]
        )
    port = receiver._server.server_port
    settings.QUORUM_WEBHOOK_ALLOWED_HOSTS = ["127.0.0.1", "127.0.0.1:1"]  # ports 80, 443 and 1
    with pytest.raises(services.WebhookURLRefused, match=f"allow 127.0.0.1:{port} with"):
        services.endpoint_create(
            owner=builder, url=receiver.url(), event_types=["answer.validated"]
        )
    settings.QUORUM_WEBHOOK_ALLOWED_HOSTS = [f"127.0.0.1:{port}"]
    endpoint = services.endpoint_create(
        owner=builder, url=receiver.url(), event_types=["answer.validated"]
    )
    settings.QUORUM_WEBHOOK_ALLOWED_HOSTS = []  # allowed when registered, no longer when sent
    delivery = send_test(endpoint, sending)
    assert delivery.status == "failed" and "non-public address" in delivery.last_error
    assert receiver.requests == []


def test_no_secret_reaches_the_logs_or_the_stored_errors(
    sending, receiver, make_endpoint, builder, caplog, settings
):
    settings.QUORUM_WEBHOOK_MAX_ATTEMPTS = 2
    with socket.socket() as probe:  # a port where nothing listens
        probe.bind(("127.0.0.1", 0))
        closed_port = probe.getsockname()[1]
    endpoint = make_endpoint(builder)
    receiver.reply(Reply(500, body=b"server error"))
    nowhere = services.endpoint_create(
        owner=builder,
        url=f"http://127.0.0.1:{closed_port}/h?token=tok-123456",
        event_types=["answer.validated"],
    )
    with caplog.at_level(logging.DEBUG):
        send_test(endpoint, sending)
        services.endpoint_rotate_secret(endpoint=endpoint)
        send_test(endpoint, sending)
        refused = send_test(nowhere, sending)
    assert refused.status == "failed" and refused.last_error.endswith(
        "could not connect: Connection refused"
    )
    endpoint.refresh_from_db()
    stored = " ".join(WebhookDelivery.objects.values_list("last_error", flat=True))
    for secret in (endpoint.secret, endpoint.previous_secret, nowhere.secret, "tok-123456"):
        assert secret not in caplog.text and secret not in stored
        assert secret.removeprefix("whsec_") not in caplog.text
    assert "webhook delivery" in caplog.text  # the log was captured


def test_after_a_rotation_both_secrets_sign_for_a_day(sending, receiver, make_endpoint, builder):
    endpoint = make_endpoint(builder)
    old = endpoint.secret
    services.endpoint_rotate_secret(endpoint=endpoint)
    send_test(endpoint, sending)
    [request] = receiver.requests
    assert len(request.headers["webhook-signature"].split(" ")) == 2
    receiver.verify(request, secret=old)
    receiver.verify(request, secret=endpoint.secret)
    endpoint.previous_secret_expires_at = timezone.now() - timedelta(seconds=1)
    endpoint.save()
    send_test(endpoint, sending)
    with pytest.raises(WebhookVerificationError):
        receiver.verify(receiver.requests[1], secret=old)


def test_disabling_an_endpoint_fails_its_queued_deliveries(receiver, make_endpoint, builder):
    endpoint = make_endpoint(builder)
    queued = services.endpoint_send_test(endpoint=endpoint, actor=builder)
    services.endpoint_update(
        endpoint=endpoint, url=endpoint.url, event_types=endpoint.event_types, is_active=False
    )
    queued.refresh_from_db()
    assert (queued.status, queued.last_error) == ("failed", "the endpoint was disabled")
    assert services.delivery_attempt(delivery_id=queued.pk, attempt=1) == "skipped"
    with pytest.raises(services.DomainError, match="Enable the endpoint"):
        services.endpoint_send_test(endpoint=endpoint, actor=builder)


def test_a_late_outcome_never_overwrites_a_newer_attempt(receiver, make_endpoint, builder):
    """A worker that outlived its lease: the sweeper's next attempt owns the row now."""
    from webhooks.sending import Outcome

    delivery = services.endpoint_send_test(endpoint=make_endpoint(builder), actor=builder)
    assert services._delivery_claim(delivery.pk, 1) is not None
    assert services._delivery_claim(delivery.pk, 2) is not None  # re-sent after the lease ran out
    services._delivery_record(
        delivery.pk, 1, Outcome(error="HTTP 500", status_code=500, retryable=True)
    )
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts, delivery.last_error) == ("pending", 2, "")
    services._delivery_record(delivery.pk, 2, Outcome(status_code=204))
    delivery.refresh_from_db()
    assert (delivery.status, delivery.response_status) == ("succeeded", 204)


def test_redirects_are_not_followed(sending, receiver, make_endpoint, builder):
    receiver.reply(
        Reply(307, headers={"Location": receiver.url("/elsewhere")})
    )  # loopback even if followed
    delivery = send_test(make_endpoint(builder), sending)
    assert (delivery.status, delivery.response_status) == ("failed", 307)
    assert [r.path for r in receiver.requests] == ["/hook"]
    assert "redirects are not followed" in delivery.last_error


def test_the_database_holds_the_delivery_invariants(receiver, make_endpoint, builder):
    from django.db import IntegrityError, transaction

    delivery = services.endpoint_send_test(endpoint=make_endpoint(builder), actor=builder)
    copy = {
        "endpoint": delivery.endpoint,
        "event_type": delivery.event_type,
        "message_id": delivery.message_id,
        "payload": {},
        "redelivery_of": delivery,
        "next_attempt_at": timezone.now(),
    }
    broken = [
        {**copy},  # a second open delivery of one message to one endpoint
        {
            **copy,
            "redelivery_of": None,
            "status": "failed",
            "next_attempt_at": None,
        },  # a second original
        {**copy, "status": "succeeded", "response_status": 500, "next_attempt_at": None},
        {**copy, "status": "failed"},  # closed but still scheduled
        {**copy, "status": "failed", "next_attempt_at": None, "message_id": "not-a-message-id"},
    ]
    for fields in broken:
        with pytest.raises(IntegrityError), transaction.atomic():
            WebhookDelivery.objects.create(**fields)


def test_reply_bodies_stored_before_the_policy_are_forgotten(receiver, make_endpoint, builder):
    """Migration 0003: which receiver was internal is not known any more, so no body stays."""
    import importlib

    from django.apps import apps

    migration = importlib.import_module("webhooks.migrations.0003_forget_reply_bodies")
    endpoint = make_endpoint(builder)
    stored = {
        "HTTP 404: <h1>Jenkins</h1> secrets": "HTTP 404",
        "gave up after 8 attempts; last: HTTP 502: upstream 10.0.0.7": "gave up after 8 attempts; last: HTTP 502",
        "HTTP 307 (redirects are not followed: register the final URL): moved": "HTTP 307 (redirects are not followed: register the final URL)",
        "could not connect: Connection refused": "could not connect: Connection refused",
    }
    rows = [
        WebhookDelivery.objects.create(endpoint=endpoint, event_type="webhook.test", message_id=f"msg_{n}",
                                       payload={}, status="failed", last_error=error)  # fmt: skip
        for n, error in enumerate(stored)
    ]
    migration.forget_reply_bodies(apps, None)
    assert [WebhookDelivery.objects.get(pk=row.pk).last_error for row in rows] == list(stored.values())
