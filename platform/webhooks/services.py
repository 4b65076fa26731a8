"""Webhooks: endpoints, events into deliveries (the outbox), attempts with retries, redelivery.

An event creates one delivery row per subscribed endpoint in the transaction that caused it;
the send task is published after commit, and a beat sweeper re-publishes due rows, so a lost
message or a broker outage delays a delivery but never loses it (see README.md here).
"""

import base64
import logging
import secrets
import uuid
from datetime import timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from accounts.models import User
from catalog.models import Question, QuestionState
from common.errors import DomainError
from common.outbound import OutboundPolicy, Target, URLRefused
from submissions.models import Answer, ReviewState
from webhooks import events, selectors, sending
from webhooks.models import (
    OPEN_STATUSES,
    SECRET_PREFIX,
    SUBSCRIBABLE_EVENTS,
    DeliveryStatus,
    EventType,
    WebhookDelivery,
    WebhookEndpoint,
)

logger = logging.getLogger(__name__)

SECRET_BYTES = 32
SECRET_OVERLAP = timedelta(hours=24)  # after a rotation, the old secret signs too for this long
BACKOFF_FACTOR = 3
LONGEST_WAIT_S = 12 * 3600


class WebhookNotAllowed(DomainError):
    pass


class WebhookURLRefused(DomainError):
    pass


class WebhookDeliveryBusy(DomainError):
    pass


# --- endpoints ------------------------------------------------------------------------------


def new_secret() -> str:
    """A Standard Webhooks secret: `whsec_` and base64 of 32 random bytes."""
    return SECRET_PREFIX + base64.b64encode(secrets.token_bytes(SECRET_BYTES)).decode()


@transaction.atomic
def endpoint_create(
    *, owner: User, url: str, event_types: list[str], description: str = ""
) -> WebhookEndpoint:
    if not (owner.is_builder or owner.is_curator):
        raise WebhookNotAllowed("Only model builders and curators register webhooks.")
    endpoint = WebhookEndpoint(
        owner=owner,
        url=_clean_url(url),
        event_types=_clean_event_types(event_types),
        description=description.strip()[:200],
        secret=new_secret(),
    )
    _save_unique(endpoint)
    return endpoint


@transaction.atomic
def endpoint_update(
    *,
    endpoint: WebhookEndpoint,
    url: str,
    event_types: list[str],
    description: str = "",
    is_active: bool = True,
) -> WebhookEndpoint:
    if url != endpoint.url:  # the sender checks the host again before every attempt
        endpoint.url = _clean_url(url)
    endpoint.event_types = _clean_event_types(event_types)
    endpoint.description = description.strip()[:200]
    endpoint.is_active = is_active
    _save_unique(
        endpoint, update_fields=["url", "event_types", "description", "is_active", "updated_at"]
    )
    if not is_active:
        _deliveries_fail(
            endpoint.deliveries.filter(status__in=OPEN_STATUSES), "the endpoint was disabled"
        )
    return endpoint


@transaction.atomic
def endpoint_rotate_secret(*, endpoint: WebhookEndpoint) -> WebhookEndpoint:
    """A new secret; the old one keeps signing (a second signature) for 24 hours, so that a
    receiver can switch without refusing a single message."""
    endpoint.previous_secret = endpoint.secret
    endpoint.previous_secret_expires_at = timezone.now() + SECRET_OVERLAP
    endpoint.secret = new_secret()
    endpoint.save(
        update_fields=["secret", "previous_secret", "previous_secret_expires_at", "updated_at"]
    )
    return endpoint


@transaction.atomic
def endpoint_delete(*, endpoint: WebhookEndpoint) -> None:
    endpoint.delete()


def _clean_url(url: str) -> str:
    url = (url or "").strip()
    endpoint_url_check(url)
    return url


def endpoint_url_check(url: str) -> Target:
    """The outbound policy (common.outbound) for a receiver's URL: at registration, and again
    before every attempt (what a host name resolves to can change after registration)."""
    if len(url) > 500:
        raise WebhookURLRefused("Keep the URL under 500 characters.")
    try:
        policy = OutboundPolicy.from_entries(
            settings.QUORUM_WEBHOOK_ALLOWED_HOSTS, setting="QUORUM_WEBHOOK_ALLOWED_HOSTS"
        )
        return policy.check(url)
    except URLRefused as exc:
        raise WebhookURLRefused(str(exc)) from None


def _clean_event_types(event_types) -> list[str]:
    wanted = set(event_types or ())
    unknown = wanted - set(SUBSCRIBABLE_EVENTS)
    if unknown:
        raise DomainError(f"Unknown event types: {', '.join(sorted(unknown))}.")
    if not wanted:
        raise DomainError("Choose at least one event.")
    return [str(event) for event in SUBSCRIBABLE_EVENTS if event in wanted]


def _save_unique(endpoint: WebhookEndpoint, **kwargs) -> None:
    try:
        with transaction.atomic():
            endpoint.save(**kwargs)
    except IntegrityError:
        raise DomainError("You already have an endpoint with this URL.") from None


def _check_may_manage(actor: User, endpoint: WebhookEndpoint) -> None:
    if not (actor.is_curator or endpoint.owner_id == actor.pk):
        raise WebhookNotAllowed("Only the endpoint's owner or a curator can do this.")


# --- events -------------------------------------------------------------------------------


@transaction.atomic
def webhook_event_publish(
    *,
    event_type: str,
    payload: dict,
    answer: Answer | None = None,
    question: Question | None = None,
) -> list[int]:
    """One message for every subscribed endpoint (same message id), sent after commit."""
    endpoints = selectors.endpoints_for_event(event_type, answer=answer, question=question)
    if not endpoints:
        return []
    message_id, message = _new_message_id(), events.envelope(event_type, payload)
    return _deliveries_create(
        [
            WebhookDelivery(
                endpoint=endpoint, event_type=event_type, message_id=message_id, payload=message
            )
            for endpoint in endpoints
        ]
    )


def webhook_answer_validated(*, validation) -> list[int]:
    """The primary validator settled an answer (passed, failed, abstained or error)."""
    return webhook_event_publish(
        event_type=EventType.ANSWER_VALIDATED,
        answer=validation.answer,
        payload=events.answer_validated_data(validation),
    )


def webhook_answer_reviewed(*, answer: Answer) -> list[int]:
    """The answer's review state changed: an event when experts (or a curator) verified it."""
    if answer.review_state not in (ReviewState.VERIFIED_CORRECT, ReviewState.VERIFIED_INCORRECT):
        return []
    return webhook_event_publish(
        event_type=EventType.ANSWER_VERIFIED, answer=answer, payload=events.answer_data(answer)
    )


def webhook_question_transitioned(*, question: Question, from_state: str) -> list[int]:
    """The question changed state: an event when it became solved."""
    if question.state != QuestionState.SOLVED or from_state == QuestionState.SOLVED:
        return []
    return webhook_event_publish(
        event_type=EventType.QUESTION_SOLVED,
        question=question,
        payload={"question": events.question_data(question)},
    )


@transaction.atomic
def endpoint_send_test(*, endpoint: WebhookEndpoint, actor: User) -> WebhookDelivery:
    _check_may_manage(actor, endpoint)
    if not endpoint.is_active:
        raise DomainError("Enable the endpoint first.")
    message = events.envelope(EventType.TEST, events.test_data(endpoint.pk))
    [pk] = _deliveries_create(
        [
            WebhookDelivery(
                endpoint=endpoint,
                event_type=EventType.TEST,
                requested_by=actor,
                message_id=_new_message_id(),
                payload=message,
            )
        ]
    )
    return WebhookDelivery.objects.get(pk=pk)


@transaction.atomic
def delivery_redeliver(*, delivery: WebhookDelivery, actor: User) -> WebhookDelivery:
    """Send a message again (same message id, so receivers can tell it is a repeat)."""
    delivery = WebhookDelivery.objects.select_related("endpoint").get(pk=delivery.pk)
    _check_may_manage(actor, delivery.endpoint)
    if not delivery.endpoint.is_active:
        raise DomainError("Enable the endpoint first.")
    same_message = WebhookDelivery.objects.filter(
        endpoint=delivery.endpoint, message_id=delivery.message_id
    )
    if same_message.filter(status__in=OPEN_STATUSES).exists():
        raise WebhookDeliveryBusy("This message is still being delivered; wait for its outcome.")
    again = WebhookDelivery(
        endpoint=delivery.endpoint,
        event_type=delivery.event_type,
        message_id=delivery.message_id,
        payload=delivery.payload,
        redelivery_of_id=delivery.redelivery_of_id or delivery.pk,
        requested_by=actor,
    )
    try:
        with transaction.atomic():
            [pk] = _deliveries_create([again])
    except IntegrityError:  # a redelivery requested at the same moment
        raise WebhookDeliveryBusy(
            "This message is still being delivered; wait for its outcome."
        ) from None
    return WebhookDelivery.objects.get(pk=pk)


def _new_message_id() -> str:
    return f"msg_{uuid.uuid4().hex}"


def _deliveries_create(rows: list[WebhookDelivery]) -> list[int]:
    """Due a little later: the on-commit dispatch publishes them; the sweeper is the fallback."""
    due = timezone.now() + timedelta(seconds=settings.QUORUM_BROKER_RETRY_S)
    for row in rows:
        row.status, row.next_attempt_at = DeliveryStatus.PENDING, due
    ids = [row.pk for row in WebhookDelivery.objects.bulk_create(rows)]
    transaction.on_commit(lambda: deliveries_dispatch(ids))
    return ids


def _deliveries_fail(deliveries, error: str) -> int:
    return deliveries.update(
        status=DeliveryStatus.FAILED,
        next_attempt_at=None,
        last_error=error,
        updated_at=timezone.now(),
    )


# --- sending ------------------------------------------------------------------------------


def deliveries_dispatch(delivery_ids: list[int]) -> int:
    """Publish the send tasks. A broker failure only delays them: the sweeper retries."""
    rows = WebhookDelivery.objects.filter(pk__in=delivery_ids, status__in=OPEN_STATUSES)
    return sum(_publish(pk, attempts + 1) for pk, attempts in rows.values_list("pk", "attempts"))


def _publish(delivery_id: int, attempt: int, *, countdown: float | None = None) -> bool:
    from workers.tasks.webhooks import publish_delivery

    try:
        publish_delivery(delivery_id, attempt, countdown=countdown)
    except Exception as exc:  # noqa: BLE001 — any broker failure: the sweeper retries
        logger.warning("could not publish webhook delivery %s: %s", delivery_id, type(exc).__name__)
        return False
    return True


def delivery_attempt(*, delivery_id: int, attempt: int) -> str:
    """Attempt number `attempt` of a delivery: claim it (one transaction), POST outside any
    transaction (a slow receiver holds no lock), record the outcome (a second transaction).
    A duplicate or stale task claims nothing and sends nothing."""
    delivery = _delivery_claim(delivery_id, attempt)
    if delivery is None:
        return "skipped"
    outcome = _delivery_send(delivery)
    recorded = _delivery_record(delivery_id, attempt, outcome)
    return recorded.status if recorded else "gone"


@transaction.atomic
def _delivery_claim(delivery_id: int, attempt: int) -> WebhookDelivery | None:
    now = timezone.now()
    claimed = WebhookDelivery.objects.filter(
        pk=delivery_id,
        status__in=OPEN_STATUSES,
        attempts=attempt - 1,
        attempts__lt=settings.QUORUM_WEBHOOK_MAX_ATTEMPTS,
    ).update(attempts=attempt, last_attempt_at=now, next_attempt_at=now + _lease(), updated_at=now)
    return (
        WebhookDelivery.objects.select_related("endpoint").get(pk=delivery_id) if claimed else None
    )


def _delivery_send(delivery: WebhookDelivery) -> sending.Outcome:
    endpoint = delivery.endpoint
    try:  # again, and the connection goes to the address checked now
        target = endpoint_url_check(endpoint.url)
    except WebhookURLRefused as exc:
        return sending.Outcome(error=str(exc)[: sending.MAX_ERROR_CHARS])
    body = sending.body_of(delivery.payload)
    headers = sending.signed_headers(
        message_id=delivery.message_id,
        body=body,
        secrets=_signing_secrets(endpoint),
        at=timezone.now(),
    )
    return sending.post(target, body, headers, timeout_s=settings.QUORUM_WEBHOOK_TIMEOUT_S)


def _signing_secrets(endpoint: WebhookEndpoint) -> list[str]:
    expires = endpoint.previous_secret_expires_at
    if endpoint.previous_secret and expires and expires > timezone.now():
        return [endpoint.secret, endpoint.previous_secret]
    return [endpoint.secret]


@transaction.atomic
def _delivery_record(
    delivery_id: int, attempt: int, outcome: sending.Outcome
) -> WebhookDelivery | None:
    row = WebhookDelivery.objects.select_for_update().filter(pk=delivery_id).first()
    if row is None or row.attempts != attempt or not row.is_open:
        return row  # deleted, or a later attempt (after the lease ran out) owns the row now
    row.response_status = outcome.status_code
    row.last_error = outcome.error[: sending.MAX_ERROR_CHARS]
    wait = None
    if outcome.ok:
        row.status, row.next_attempt_at = DeliveryStatus.SUCCEEDED, None
    elif outcome.retryable and attempt < settings.QUORUM_WEBHOOK_MAX_ATTEMPTS:
        wait = sending.retry_delay(
            attempt=attempt,
            retry_after_s=outcome.retry_after_s,
            factor=BACKOFF_FACTOR,
            first_s=settings.QUORUM_WEBHOOK_RETRY_S,
            most_s=LONGEST_WAIT_S,
        )
        row.status = DeliveryStatus.RETRYING
        row.next_attempt_at = timezone.now() + timedelta(seconds=wait)
    else:
        row.status, row.next_attempt_at = DeliveryStatus.FAILED, None
        if outcome.retryable:
            gave_up = f"gave up after {attempt} attempts; last: {outcome.error}"
            row.last_error = gave_up[: sending.MAX_ERROR_CHARS]
    row.save(
        update_fields=["status", "next_attempt_at", "response_status", "last_error", "updated_at"]
    )
    status = outcome.status_code
    logger.info("webhook delivery %s attempt %s: %s (HTTP %s)", row.pk, attempt, row.status, status)
    if wait is not None:
        transaction.on_commit(lambda: _publish(row.pk, attempt + 1, countdown=wait))
    return row


def _lease() -> timedelta:
    """How long an attempt may take before the sweeper sends the message again."""
    return timedelta(seconds=2 * settings.QUORUM_WEBHOOK_TIMEOUT_S + 60)


def deliveries_sweep(*, limit: int = 500) -> int:
    """Re-publish due deliveries (lost messages, broker outages, dead workers), a chunk a call."""
    now = timezone.now()
    most = settings.QUORUM_WEBHOOK_MAX_ATTEMPTS
    with transaction.atomic():
        due = list(
            WebhookDelivery.objects.select_for_update(skip_locked=True, of=("self",))
            .filter(status__in=OPEN_STATUSES, next_attempt_at__lte=now)
            .order_by("next_attempt_at", "pk")
            .values_list("pk", "attempts")[:limit]
        )
        exhausted = WebhookDelivery.objects.filter(
            pk__in=[pk for pk, attempts in due if attempts >= most]
        )
        _deliveries_fail(exhausted, f"no outcome recorded after {most} attempts")
        ready = [(pk, attempts) for pk, attempts in due if attempts < most]
        WebhookDelivery.objects.filter(pk__in=[pk for pk, _ in ready]).update(
            next_attempt_at=now + _lease()
        )
    return sum(_publish(pk, attempts + 1) for pk, attempts in ready)
