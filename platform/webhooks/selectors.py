from django.db.models import Count, Q, QuerySet

from accounts.models import User
from catalog.models import Question
from submissions.models import Answer
from webhooks.models import OPEN_STATUSES, DeliveryStatus, WebhookDelivery, WebhookEndpoint


def endpoints_for_event(
    event_type: str, *, answer: Answer | None = None, question: Question | None = None
) -> list[WebhookEndpoint]:
    """Active endpoints subscribed to this event: every curator's; a builder's only when the
    answer is of their models (or, for a question, when they answered it)."""
    audience = Q(owner__is_curator=True)
    if answer is not None:
        audience |= Q(owner__is_builder=True, owner_id=answer.model_entry.owner_id)
    elif question is not None:
        answered = Answer.objects.filter(question=question).values("model_entry__owner_id")
        audience |= Q(owner__is_builder=True, owner_id__in=answered)
    endpoints = WebhookEndpoint.objects.filter(audience, is_active=True).order_by("pk")
    # The subscription list is tiny JSON; filtering it here works on SQLite and PostgreSQL alike.
    return [endpoint for endpoint in endpoints if event_type in endpoint.event_types]


def endpoints_of(user: User) -> QuerySet[WebhookEndpoint]:
    return WebhookEndpoint.objects.filter(owner=user).annotate(
        failed=Count("deliveries", filter=Q(deliveries__status=DeliveryStatus.FAILED)),
        open=Count("deliveries", filter=Q(deliveries__status__in=OPEN_STATUSES)),
    )


def deliveries_of(endpoint: WebhookEndpoint, *, limit: int = 50) -> list[WebhookDelivery]:
    return list(
        endpoint.deliveries.select_related("requested_by").order_by("-created_at", "-id")[:limit]
    )


def deliveries_owned_by(user: User) -> QuerySet[WebhookDelivery]:
    """The pages manage one's own endpoints; curators redeliver anyone's in the admin."""
    return WebhookDelivery.objects.select_related("endpoint").filter(endpoint__owner=user)
