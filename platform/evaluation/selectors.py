"""Reads for the validation pages: queue health and replay progress."""

from datetime import timedelta

from django.db.models import Count, Min, Q, Sum
from django.utils import timezone

from evaluation.models import Replay, Validation, ValidationResult, ValidationState, ValidatorConfig


def queue_health() -> dict:
    counts = dict(Validation.objects.values_list("state").annotate(n=Count("id")).values_list("state", "n"))
    oldest = Validation.objects.filter(state=ValidationState.PENDING).aggregate(at=Min("created_at"))["at"]
    return {
        "counts": {state: counts.get(state, 0) for state, _ in ValidationState.choices},
        "oldest_pending_s": (timezone.now() - oldest).total_seconds() if oldest else None,
        "errors": list(
            Validation.objects.filter(state=ValidationState.ERROR)
            .select_related("validator", "answer__question", "answer__model_entry")
            .order_by("-updated_at")[:50]
        ),
    }


def validators_with_counts():
    states = {f"n_{s}": Count("validations", filter=Q(validations__state=s)) for s, _ in ValidationState.choices}
    return ValidatorConfig.objects.annotate(**states).order_by("name")


def replays_with_progress(limit: int = 20):
    states = {f"n_{s}": Count("validations", filter=Q(validations__state=s)) for s, _ in ValidationState.choices}
    return (
        Replay.objects.select_related("validator", "created_by")
        .annotate(**states)
        .annotate(
            calls=Sum("validations__result__calls"),
            prompt_tokens=Sum("validations__result__prompt_tokens"),
            completion_tokens=Sum("validations__result__completion_tokens"),
        )[:limit]
    )


def recent_validation_latencies(*, within_s: float, limit: int = 2000) -> list[float]:
    """Latencies of the newest results (by primary key, so no scan) recorded in the window."""
    since = timezone.now() - timedelta(seconds=within_s)
    newest = ValidationResult.objects.order_by("-pk").values_list("latency_s", "created_at")[:limit]
    return [latency for latency, created_at in newest if created_at >= since]
