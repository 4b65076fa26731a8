from django.conf import settings
from django.db import models
from django.db.models import Q

from common.models import TimeStampedModel


class EventType(models.TextChoices):
    ANSWER_VALIDATED = "answer.validated", "Answer validated"
    ANSWER_VERIFIED = "answer.verified", "Answer verified"
    QUESTION_SOLVED = "question.solved", "Question solved"
    TEST = "webhook.test", "Test event"


SECRET_PREFIX = "whsec_"  # noqa: S105 — Standard Webhooks: the prefix, then base64 of the key
SUBSCRIBABLE_EVENTS = (
    EventType.ANSWER_VALIDATED,
    EventType.ANSWER_VERIFIED,
    EventType.QUESTION_SOLVED,
)


class WebhookEndpoint(TimeStampedModel):
    """A URL that receives signed events (Standard Webhooks). Builders get events about their
    own models' answers; curators' endpoints get every event."""

    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="webhook_endpoints"
    )
    url = models.URLField(max_length=500)
    description = models.CharField(max_length=200, blank=True)
    event_types = models.JSONField(default=list)
    secret = models.CharField(max_length=100, editable=False)
    # After a rotation the old secret signs too (a second signature) until it expires.
    previous_secret = models.CharField(max_length=100, blank=True, editable=False)
    previous_secret_expires_at = models.DateTimeField(null=True, blank=True, editable=False)
    is_active = models.BooleanField(default=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["owner", "url"], name="webhook_endpoint_unique_owner_url"
            ),
            models.CheckConstraint(
                condition=Q(secret__startswith=SECRET_PREFIX), name="webhook_secret_is_whsec"
            ),
            models.CheckConstraint(
                condition=Q(previous_secret="", previous_secret_expires_at=None)
                | (
                    Q(previous_secret__startswith=SECRET_PREFIX)
                    & Q(previous_secret_expires_at__isnull=False)
                ),
                name="webhook_previous_secret_expires",
            ),
        ]

    def __str__(self) -> str:
        return self.url

    @property
    def secret_hint(self) -> str:
        return f"{self.secret[:10]}…"


class DeliveryStatus(models.TextChoices):
    PENDING = "pending", "Pending"
    RETRYING = "retrying", "Retrying"
    SUCCEEDED = "succeeded", "Succeeded"
    FAILED = "failed", "Failed"


OPEN_STATUSES = (DeliveryStatus.PENDING, DeliveryStatus.RETRYING)


class WebhookDelivery(models.Model):
    """One message to one endpoint: the outbox row the sender, its retries and the sweeper
    work from. A manual redelivery is a new row with the same message id."""

    endpoint = models.ForeignKey(
        WebhookEndpoint, on_delete=models.CASCADE, related_name="deliveries"
    )
    event_type = models.CharField(max_length=40, choices=EventType.choices)
    message_id = models.CharField(max_length=40, db_index=True)
    payload = models.JSONField()
    status = models.CharField(
        max_length=20, choices=DeliveryStatus.choices, default=DeliveryStatus.PENDING
    )
    attempts = models.PositiveSmallIntegerField(default=0)
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    last_attempt_at = models.DateTimeField(null=True, blank=True)
    response_status = models.PositiveSmallIntegerField(null=True, blank=True)
    last_error = models.CharField(max_length=300, blank=True)
    redelivery_of = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="redeliveries"
    )
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        help_text="Who asked for a redelivery or a test event.",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name_plural = "webhook deliveries"
        constraints = [
            models.CheckConstraint(
                condition=Q(status__in=DeliveryStatus.values), name="webhook_delivery_status_valid"
            ),
            models.CheckConstraint(
                condition=Q(event_type__in=EventType.values), name="webhook_delivery_event_valid"
            ),
            models.CheckConstraint(
                condition=Q(message_id__startswith="msg_"), name="webhook_delivery_msg_id"
            ),
            models.CheckConstraint(
                condition=Q(status__in=OPEN_STATUSES, next_attempt_at__isnull=False)
                | (~Q(status__in=OPEN_STATUSES) & Q(next_attempt_at=None)),
                name="webhook_delivery_open_iff_scheduled",
            ),
            models.CheckConstraint(
                condition=~Q(status=DeliveryStatus.SUCCEEDED)
                | Q(response_status__gte=200, response_status__lt=300),
                name="webhook_delivery_success_is_2xx",
            ),
            models.UniqueConstraint(
                fields=["endpoint", "message_id"],
                condition=Q(redelivery_of=None),
                name="webhook_delivery_one_original_per_message",
            ),
            models.UniqueConstraint(
                fields=["endpoint", "message_id"],
                condition=Q(status__in=OPEN_STATUSES),
                name="webhook_delivery_one_open_per_message",
            ),
        ]
        indexes = [
            models.Index(fields=["status", "next_attempt_at"], name="webhook_delivery_due"),
            models.Index(fields=["endpoint", "-created_at"], name="webhook_delivery_log"),
        ]

    def __str__(self) -> str:
        return f"{self.event_type} {self.message_id} → {self.endpoint_id}: {self.status}"

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_STATUSES
