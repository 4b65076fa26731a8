"""Reads for the validation pages: queue health, replay progress, the answers a config has not
judged, and what one answer is waiting for."""

from dataclasses import dataclass
from datetime import timedelta

from django.db.models import Count, Min, Q, QuerySet, Sum
from django.utils import timezone

from evaluation.models import Replay, Validation, ValidationResult, ValidationState, ValidatorConfig
from submissions.models import Answer


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


# --- answers a config has not judged (the replay offer) --------------------------------------


def answers_in_scope(validator: ValidatorConfig) -> QuerySet[Answer]:
    """The answers a config is for: those of its sites (no sites: every answer)."""
    site_ids = [site.pk for site in validator.sites.all()]
    answers = Answer.objects.all()
    return answers.filter(question__site_id__in=site_ids) if site_ids else answers


def answers_unjudged(validator: ValidatorConfig) -> QuerySet[Answer]:
    """Answers in its scope that nothing will judge under the config's current hash (a changed
    config has a new hash): no validation at all, or one whose replay was cancelled. Queued,
    running, errored (re-run those) and judged ones are not counted."""
    taken = Validation.objects.filter(config_hash=validator.config_hash).exclude(
        state=ValidationState.CANCELLED, result__isnull=True
    )
    return answers_in_scope(validator).exclude(pk__in=taken.values("answer_id"))


def unjudged_count(validator: ValidatorConfig) -> int:
    return answers_unjudged(validator).count()


def replay_offers() -> list[tuple[ValidatorConfig, int]]:
    """(config, answers it has not judged) for every config with any, the primary first."""
    configs = ValidatorConfig.objects.prefetch_related("sites").order_by("-is_primary", "name")
    counted = ((validator, unjudged_count(validator)) for validator in configs)
    return [(validator, count) for validator, count in counted if count]


def primary_validator() -> ValidatorConfig | None:
    return ValidatorConfig.objects.filter(is_primary=True).prefetch_related("sites").first()


# --- what an answer is waiting for ----------------------------------------------------------


class Waiting:
    """The kinds of `WaitingFor`, in the words the pages use."""

    NO_JUDGE = "no_judge"  # no primary config at all
    OUT_OF_SCOPE = "out_of_scope"  # the primary config is for other sites
    NOT_QUEUED = "not_queued"  # nothing queued under the primary's current hash: a replay would
    QUEUED = "queued"
    RUNNING = "running"
    RETRYING = "retrying"
    ERROR = "error"  # dead-lettered: no more attempts
    CANCELLED = "cancelled"  # its replay was cancelled
    DONE = "done"


@dataclass(frozen=True)
class WaitingFor:
    kind: str
    validator: ValidatorConfig | None = None
    validation: Validation | None = None
    # The verdict's state (passed, failed, abstained): None where the viewer may not see it.
    verdict: str | None = None

    @property
    def attempts(self) -> int:
        return self.validation.attempts if self.validation else 0

    @property
    def max_attempts(self) -> int:
        return self.validator.max_attempts if self.validator else 0

    @property
    def next_attempt_at(self):
        return self.validation.next_attempt_at if self.validation else None

    @property
    def is_waiting(self) -> bool:
        return self.kind != Waiting.DONE

    @property
    def can_rerun(self) -> bool:
        """A curator may put it back in the queue (validation_rerun's own rule)."""
        return self.kind in (Waiting.ERROR, Waiting.CANCELLED)

    @property
    def can_replay(self) -> bool:
        return self.kind == Waiting.NOT_QUEUED


_NOT_GIVEN = object()


def answer_waiting_for(answer: Answer, *, show_validation: bool, primary=_NOT_GIVEN, validations=None) -> WaitingFor:
    """What this answer's validation state waits for, from its row under the primary config's
    current hash. `show_validation` comes from the answer-visibility selector (reviews'
    `blindness`): without it a finished validation says only that it is done, never its verdict.
    Pass `primary` (from `primary_validator()`) when asking for many answers; the answer's
    `validations` are read through `.all()`, so prefetch them (or pass them as `validations`)."""
    if primary is _NOT_GIVEN:
        primary = primary_validator()
    if primary is None:
        return WaitingFor(Waiting.NO_JUDGE)
    site_ids = [site.pk for site in primary.sites.all()]
    rows = answer.validations.all() if validations is None else validations
    row = next((v for v in rows if v.config_hash == primary.config_hash), None)
    if row is None:
        if site_ids and answer.question.site_id not in site_ids:
            return WaitingFor(Waiting.OUT_OF_SCOPE, primary)
        return WaitingFor(Waiting.NOT_QUEUED, primary)
    kind = _ROW_KINDS.get(row.state)
    if kind is None:  # a verdict: passed, failed or abstained
        return WaitingFor(Waiting.DONE, primary, row, verdict=row.state if show_validation else None)
    if kind == Waiting.QUEUED and row.attempts:
        kind = Waiting.RETRYING
    return WaitingFor(kind, primary, row)


_ROW_KINDS = {
    ValidationState.PENDING: Waiting.QUEUED,
    ValidationState.RUNNING: Waiting.RUNNING,
    ValidationState.ERROR: Waiting.ERROR,
    ValidationState.CANCELLED: Waiting.CANCELLED,
}


def replay_done_count(replay: Replay) -> int:
    finished = (ValidationState.PASSED, ValidationState.FAILED, ValidationState.ABSTAINED, ValidationState.ERROR)
    return replay.validations.filter(state__in=finished).count()
