"""Sending webhooks and sweeping lost deliveries (`default` queue). The retries are new
messages published by the service with a countdown; the delivery row is the source of truth."""

from celery import shared_task


@shared_task(
    name="quorum.webhooks.deliver",
    acks_late=True,
    reject_on_worker_lost=True,
    soft_time_limit=90,
    time_limit=120,
)
def deliver_webhook(delivery_id: int, attempt: int) -> str:
    from webhooks.services import delivery_attempt

    return delivery_attempt(delivery_id=delivery_id, attempt=attempt)


@shared_task(name="quorum.webhooks.sweep", acks_late=True, time_limit=300)
def sweep_webhooks() -> int:
    from webhooks.services import deliveries_sweep

    return deliveries_sweep()


def publish_delivery(delivery_id: int, attempt: int, *, countdown: float | None = None) -> None:
    deliver_webhook.apply_async((delivery_id, attempt), countdown=countdown, retry=False)
