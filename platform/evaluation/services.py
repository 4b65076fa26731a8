"""Validation: configs, the outbox of (answer × validator) rows, dispatch, recording, sweeping.

The worker that judges never touches the database: it gets plain data and returns a verdict.
Everything here runs on the web process or on `default` workers.
"""

import logging
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import F, Q, QuerySet
from django.utils import timezone

import validators
from accounts.models import User
from accounts.services import notify
from catalog.models import Question, QuestionState
from catalog.services import question_transition
from common.errors import DomainError
from evaluation.models import (
    OPEN_STATES,
    Replay,
    ReplayStatus,
    Validation,
    ValidationResult,
    ValidationState,
    ValidatorConfig,
)
from evaluation.selectors import answers_unjudged
from submissions.models import Answer
from webhooks.services import webhook_answer_validated

logger = logging.getLogger(__name__)

DECISION_STATES = {
    "accept": ValidationState.PASSED,
    "reject": ValidationState.FAILED,
    "abstain": ValidationState.ABSTAINED,
}


# --- validator configs --------------------------------------------------------------------


def validator_config_normalise(config) -> tuple[dict, str]:
    """The library's validation and canonical hash; problems become one clear DomainError."""
    try:
        loaded = validators.load(config)
    except validators.ConfigError as exc:
        raise DomainError("The validator config is not valid: " + "; ".join(exc.errors)) from None
    return loaded, validators.config_hash(loaded)


@transaction.atomic
def validator_config_save(
    *, name: str, config, actor: User | None, queue: str = "llm_io", description: str = "",
    runs_on_new_answers: bool = False, is_primary: bool = False, sites=(), max_attempts: int = 5,
    demo_judge: bool = False, instance: ValidatorConfig | None = None,
) -> ValidatorConfig:  # fmt: skip
    loaded, config_hash = validator_config_normalise(config)
    if is_primary:
        ValidatorConfig.objects.filter(is_primary=True).exclude(pk=getattr(instance, "pk", None)).update(
            is_primary=False
        )
    validator = instance or ValidatorConfig(created_by=actor)
    for field, value in {
        "name": name, "config": loaded, "config_hash": config_hash, "queue": queue,
        "description": description, "runs_on_new_answers": runs_on_new_answers,
        "is_primary": is_primary, "max_attempts": max_attempts, "demo_judge": demo_judge,
    }.items():  # fmt: skip
        setattr(validator, field, value)
    validator.save()
    validator.sites.set(sites)
    return validator


# --- creating and dispatching work ----------------------------------------------------------


def validations_create(
    *, answers: QuerySet[Answer], validator: ValidatorConfig, replay: Replay | None = None
) -> list[int]:
    """Outbox rows for these answers (already validated with this config hash: skipped)."""
    done = Validation.objects.filter(config_hash=validator.config_hash)
    wanted = answers.exclude(pk__in=done.values("answer_id")).values_list("pk", flat=True)
    # Due a little later: the on-commit dispatch publishes them; the sweeper is the fallback.
    due = timezone.now() + timedelta(seconds=settings.QUORUM_BROKER_RETRY_S)
    rows = [
        Validation(answer_id=pk, validator=validator, config_hash=validator.config_hash,
                   replay=replay, next_attempt_at=due)
        for pk in wanted.iterator(chunk_size=2000)
    ]  # fmt: skip
    Validation.objects.bulk_create(rows, ignore_conflicts=True, batch_size=1000)
    created = Validation.objects.filter(config_hash=validator.config_hash, answer_id__in=[r.answer_id for r in rows])
    return list(created.values_list("pk", flat=True))


def validations_for_new_answers(answer_ids: list[int]) -> list[int]:
    """Called in the transaction that stores answers: the outbox rows commit with them."""
    created = []
    active = ValidatorConfig.objects.filter(runs_on_new_answers=True).prefetch_related("sites")
    for validator in active:
        answers = Answer.objects.filter(pk__in=answer_ids)
        site_ids = [site.pk for site in validator.sites.all()]
        if site_ids:
            answers = answers.filter(question__site_id__in=site_ids)
        created += validations_create(answers=answers, validator=validator)
    if created:
        transaction.on_commit(lambda: validations_dispatch(created))
    return created


def validations_dispatch(validation_ids: list[int]) -> int:
    """Publish the judging tasks. A broker failure only delays them: the sweeper retries."""
    sent = 0
    for chunk_start in range(0, len(validation_ids), 500):
        chunk = validation_ids[chunk_start : chunk_start + 500]
        with transaction.atomic():
            claimable = Validation.objects.select_for_update(skip_locked=True, of=("self",)).filter(
                pk__in=chunk, state__in=OPEN_STATES
            )
            claimed = _claim(list(claimable.values_list("pk", flat=True)))
        sent += _publish(claimed)
    return sent


def _claim(ids: list[int]) -> list[int]:
    """One conditional UPDATE: an attempt, the running state and a lease (a result recorded
    meanwhile is never overwritten: its row is no longer open)."""
    now = timezone.now()
    Validation.objects.filter(pk__in=ids, state__in=OPEN_STATES).update(
        attempts=F("attempts") + 1, state=ValidationState.RUNNING, updated_at=now,
        next_attempt_at=now + timedelta(seconds=settings.QUORUM_VALIDATION_LEASE_S),
    )  # fmt: skip
    return ids


def _publish(ids: list[int]) -> int:
    from workers.tasks.validation import publish_validation

    sent = 0
    rows = Validation.objects.filter(pk__in=ids).select_related("answer__question__site", "validator")
    for row in rows:
        try:
            publish_validation(validation_payload(row), queue=row.validator.queue)
            sent += 1
        except Exception as exc:  # noqa: BLE001 — any broker failure: the sweeper retries
            logger.warning("could not publish validation %s: %s", row.pk, exc)
            Validation.objects.filter(pk=row.pk).update(
                next_attempt_at=timezone.now() + timedelta(seconds=settings.QUORUM_BROKER_RETRY_S)
            )
    return sent


def validation_payload(row: Validation) -> dict:
    question = row.answer.question
    return {
        "validation_id": row.pk,
        "config_hash": row.config_hash,
        "config": row.validator.config,
        "attempt": row.attempts,
        "question": {"title": question.title, "body": question.body, "tags": question.tags,
                     "category": question.category, "site": question.site.slug},  # fmt: skip
        "answer": {"answer": row.answer.text},
    }


def validations_sweep(*, limit: int = 500) -> int:
    """Re-publish due work (lost messages, broker outages, killed workers), one chunk a call."""
    now = timezone.now()
    with transaction.atomic():
        due = list(
            Validation.objects.select_for_update(skip_locked=True, of=("self",))
            .filter(state__in=OPEN_STATES)
            .filter(Q(next_attempt_at__lte=now) | Q(next_attempt_at=None))
            .order_by("next_attempt_at", "pk")
            .values_list("pk", "attempts", "validator__max_attempts")[:limit]
        )
        exhausted = [pk for pk, attempts, most in due if attempts >= most]
        for row in Validation.objects.filter(pk__in=exhausted).select_related("validator", "answer"):
            _validation_give_up(row, f"no result after {row.attempts} attempts")
        ready = _claim([pk for pk, attempts, most in due if attempts < most])
    _replays_finish()
    return _publish(ready)


def _replays_finish() -> None:
    """A running replay with no open validation left is complete."""
    Replay.objects.filter(status=ReplayStatus.RUNNING).exclude(validations__state__in=OPEN_STATES).update(
        status=ReplayStatus.COMPLETED, finished_at=timezone.now()
    )


# --- recording results ----------------------------------------------------------------------


@transaction.atomic
def validation_record(*, result: dict) -> Validation | None:
    """Store a worker's result. Idempotent: a second delivery of the same result changes nothing."""
    # Lock only this row: the joined validator row is shared by every recording.
    row = (
        Validation.objects.select_for_update(of=("self",))
        .select_related("validator", "answer__question", "answer__model_entry")
        .filter(pk=result.get("validation_id")).first()
    )
    if row is None or row.config_hash != result.get("config_hash", row.config_hash):
        return None
    if "verdict" in result:
        return _record_verdict(row, result["verdict"])
    return _record_error(row, result.get("error", "unknown error"), transient=result.get("transient", False))


def _record_verdict(row: Validation, verdict: dict) -> Validation:
    existing = ValidationResult.objects.filter(answer_id=row.answer_id, config_hash=row.config_hash).first()
    if existing is not None:  # a duplicate delivery: keep the first result, and its state
        state = DECISION_STATES.get(existing.decision, ValidationState.ABSTAINED)
        if row.state != state:
            Validation.objects.filter(pk=row.pk).update(state=state, next_attempt_at=None)
        return row
    ValidationResult.objects.create(
        validation=row, answer_id=row.answer_id, config_hash=row.config_hash,
        decision=verdict["decision"], score=min(1.0, max(0.0, float(verdict["score"]))),
        calls=verdict.get("calls", 0), prompt_tokens=verdict.get("prompt_tokens", 0),
        completion_tokens=verdict.get("completion_tokens", 0), latency_s=verdict.get("latency_s", 0),
        library_version=verdict.get("library_version", ""), verdict=verdict,
    )  # fmt: skip
    row.state = DECISION_STATES.get(verdict["decision"], ValidationState.ABSTAINED)
    row.last_error = ""
    row.next_attempt_at = None
    row.save(update_fields=["state", "last_error", "next_attempt_at", "updated_at"])
    _reflect_on_answer(row)
    return row


def _record_error(row: Validation, error: str, *, transient: bool) -> Validation:
    if row.state not in OPEN_STATES:
        return row
    if transient and row.attempts < row.validator.max_attempts:
        backoff = min(3600, settings.QUORUM_VALIDATION_RETRY_S * 2 ** max(0, row.attempts - 1))
        row.state = ValidationState.PENDING
        row.next_attempt_at = timezone.now() + timedelta(seconds=backoff)
        row.last_error = error[:2000]
        row.save(update_fields=["state", "next_attempt_at", "last_error", "updated_at"])
        return row
    return _validation_give_up(row, error)


def _validation_give_up(row: Validation, error: str) -> Validation:
    row.state = ValidationState.ERROR
    row.last_error = error[:2000]
    row.next_attempt_at = None
    row.save(update_fields=["state", "last_error", "next_attempt_at", "updated_at"])
    _reflect_on_answer(row)
    return row


def _reflect_on_answer(row: Validation) -> None:
    """The primary validator's state is the answer's; a pass makes the question a candidate."""
    if not row.validator.is_primary:
        return
    Answer.objects.filter(pk=row.answer_id).update(validation_state=row.state)
    webhook_answer_validated(validation=row)
    if row.state == ValidationState.PASSED:
        # Locked and re-read: two passes for one question must not both try the transition.
        _notify_experts(row.answer)
        question = Question.objects.select_for_update().get(pk=row.answer.question_id)
        if question.state == QuestionState.OPEN:
            question_transition(
                question=question, to_state=QuestionState.CANDIDATE, actor=None,
                reason=f"answer {row.answer_id} passed {row.validator.name}",
            )  # fmt: skip


def _notify_experts(answer: Answer) -> None:
    experts = User.objects.filter(
        expert_domains__site_id=answer.question.site_id
    ).exclude(pk=answer.model_entry.owner_id)
    notify(users=experts, kind="queue", text="Answers in your domains are waiting for review",
           url="/reviews/", once_while_unread=True)  # fmt: skip


# --- curators' controls -------------------------------------------------------------------


def validation_rerun(*, validations: QuerySet[Validation]) -> int:
    """Put errored (or any) validations back in the queue, with a fresh attempt budget."""
    ids = list(validations.exclude(state__in=OPEN_STATES).filter(result__isnull=True).values_list("pk", flat=True))
    Validation.objects.filter(pk__in=ids).update(
        state=ValidationState.PENDING, attempts=0, next_attempt_at=None, last_error=""
    )
    transaction.on_commit(lambda: validations_dispatch(ids))
    return len(ids)


@transaction.atomic
def replay_start(*, validator: ValidatorConfig, actor: User | None, filters: dict) -> Replay:
    """Judge existing answers. `filters`: site (slug), model_entry (id), submitted_after, and
    unjudged (true: only the answers of the config's sites that nothing will judge under its
    hash, see `answers_unjudged`; their cancelled validations are reopened)."""
    answers = answers_unjudged(validator) if filters.get("unjudged") else Answer.objects.all()
    if filters.get("site"):
        answers = answers.filter(question__site__slug=filters["site"])
    if filters.get("model_entry"):
        answers = answers.filter(model_entry_id=filters["model_entry"])
    if filters.get("submitted_after"):
        answers = answers.filter(submitted_at__gte=filters["submitted_after"])
    replay = Replay.objects.create(validator=validator, created_by=actor, filters=filters)
    created = validations_create(answers=answers, validator=validator, replay=replay)
    if filters.get("unjudged"):
        created += _validations_reopen_cancelled(answers=answers, validator=validator, replay=replay)
    if not created:
        raise DomainError("Every matching answer already has a result from this config.")
    replay.total = len(created)
    replay.save(update_fields=["total"])
    transaction.on_commit(lambda: validations_dispatch(created))
    return replay


def _validations_reopen_cancelled(*, answers: QuerySet[Answer], validator: ValidatorConfig, replay: Replay) -> list[int]:
    """Cancelled validations (never judged) of these answers join this replay, as fresh work."""
    reopened = Validation.objects.filter(
        config_hash=validator.config_hash, state=ValidationState.CANCELLED, result__isnull=True,
        answer_id__in=answers.values("pk"),
    )  # fmt: skip
    ids = list(reopened.values_list("pk", flat=True))
    Validation.objects.filter(pk__in=ids).update(
        state=ValidationState.PENDING, attempts=0, last_error="", replay=replay,
        next_attempt_at=timezone.now() + timedelta(seconds=settings.QUORUM_BROKER_RETRY_S),
    )  # fmt: skip
    return ids


@transaction.atomic
def replay_unjudged_start(*, validator: ValidatorConfig, actor: User | None) -> tuple[Replay, bool]:
    """Replay a config over the answers it has not judged: (the replay, whether it is new).
    Asked again while that replay runs and nothing new is unjudged, it answers the same replay."""
    ValidatorConfig.objects.select_for_update().filter(pk=validator.pk).first()  # one at a time per config
    if answers_unjudged(validator).exists():
        return replay_start(validator=validator, actor=actor, filters={"unjudged": True}), True
    running = validator.replays.filter(status=ReplayStatus.RUNNING, filters__unjudged=True).first()
    if running is not None:
        return running, False
    raise DomainError(f"Every answer for {validator.name} has a verdict from it or is queued for one.")


@transaction.atomic
def replay_cancel(*, replay: Replay) -> Replay:
    replay.validations.filter(state=ValidationState.PENDING).update(
        state=ValidationState.CANCELLED, next_attempt_at=None
    )
    replay.validations.filter(state=ValidationState.RUNNING).update(state=ValidationState.CANCELLED)
    replay.status = ReplayStatus.CANCELLED
    replay.finished_at = timezone.now()
    replay.save(update_fields=["status", "finished_at"])
    return replay
