"""Every write of the submissions app: model entries and answers."""

import hashlib
import logging
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone

from accounts.models import User
from catalog.models import Question
from common.errors import DomainError
from common.nul import contains_nul
from evaluation.services import validations_for_new_answers
from submissions.generation import (
    Endpoint,
    EndpointMisconfigured,
    check_endpoint_url,
    check_key_env,
    describe_error,
    generate_answer,
)
from submissions.models import Answer, GenerationJob, JobStatus, ModelEntry

logger = logging.getLogger(__name__)
THINK_CLOSE = "</think>"
ENTRY_FIELDS = (
    "organisation", "name", "version", "display_name", "base_model", "provider",
    "generation_params", "system_prompt", "notes", "endpoint_base_url", "endpoint_model",
    "endpoint_key_env",
)  # fmt: skip


class Conflict(DomainError):
    """The request contradicts what is stored (HTTP 409)."""


@dataclass(frozen=True)
class ItemError:
    index: int
    field: str
    reason: str


class BulkRejected(DomainError):
    """Nothing was written; every invalid item is listed."""

    def __init__(self, errors: list[ItemError], *, conflict: bool = False) -> None:
        self.errors = errors
        self.conflict = conflict
        noun = "item is" if len(errors) == 1 else "items are"
        super().__init__(f"{len(errors)} {noun} invalid; nothing was submitted.")


@dataclass
class BulkOutcome:
    created: int = 0
    unchanged: int = 0
    answers: list[dict[str, Any]] = field(default_factory=list)


# --- model entries ------------------------------------------------------------------------


@transaction.atomic
def model_entry_create(*, owner: User, **fields) -> ModelEntry:
    entry = ModelEntry(owner=owner, **_entry_fields(fields))
    if not entry.organisation:
        entry.organisation = owner.organisation
    _check_unique(entry)
    entry.save()
    return entry


@transaction.atomic
def model_entry_update(*, entry: ModelEntry, **fields) -> ModelEntry:
    changes = _entry_fields(fields)
    if {"name", "version"} & changes.keys() and entry.answers.exists():
        raise Conflict(
            "This entry already has answers: a new model or version is a new entry, "
            "so name and version can no longer change."
        )
    for name, value in changes.items():
        setattr(entry, name, value)
    _check_unique(entry)
    entry.save(update_fields=[*changes, "updated_at"])
    return entry


def _entry_fields(fields: dict) -> dict:
    unknown = set(fields) - set(ENTRY_FIELDS)
    if unknown:
        raise DomainError(f"Unknown model entry fields: {', '.join(sorted(unknown))}.")
    try:
        check_key_env(fields.get("endpoint_key_env", ""))
        if fields.get("endpoint_base_url"):  # checked again when a run starts
            check_endpoint_url(fields["endpoint_base_url"], settings.QUORUM_GENERATION_ALLOWED_HOSTS)
    except EndpointMisconfigured as exc:
        raise DomainError(str(exc)) from None
    return fields


def _check_unique(entry: ModelEntry) -> None:
    clash = ModelEntry.objects.filter(owner=entry.owner, name=entry.name, version=entry.version)
    if clash.exclude(pk=entry.pk).exists():
        raise Conflict(
            f"You already have a model entry {entry.name!r} version {entry.version!r}; "
            "use a new version for a new model."
        )


# --- answers ------------------------------------------------------------------------------


def split_reasoning(text: str) -> tuple[str, str]:
    """(reasoning, answer): text before the last closing </think> is a trace, not judged."""
    head, sep, tail = text.rpartition(THINK_CLOSE)
    if not sep:
        return "", text.strip()
    return head.replace("<think>", "", 1).strip(), tail.strip()


def content_hash(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


@dataclass(frozen=True)
class AnswerItem:
    index: int
    question_id: str
    text: str
    metadata: dict


def parse_answer_items(raw_items: Any) -> tuple[list[AnswerItem], list[ItemError]]:
    """Validate the submitted items (plain Python: this path handles 1,000 items at once)."""
    limit = settings.QUORUM_MAX_BULK_ANSWERS
    if not isinstance(raw_items, list) or not raw_items:
        return [], [ItemError(-1, "answers", "a non-empty list of answers is required")]
    if len(raw_items) > limit:
        return [], [ItemError(-1, "answers", f"{len(raw_items)} answers; at most {limit} per request")]
    items, errors = [], []
    for index, raw in enumerate(raw_items):
        item_errors = _item_errors(index, raw)
        if item_errors:
            errors.extend(item_errors)
        else:
            items.append(AnswerItem(index, str(raw["question_id"]).strip(), raw["answer"], raw.get("metadata") or {}))
    return items, errors


def _item_errors(index: int, raw: Any) -> list[ItemError]:
    if not isinstance(raw, dict):
        return [ItemError(index, "", "each answer must be a JSON object")]
    errors = []
    question_id = raw.get("question_id")
    if isinstance(question_id, bool) or not isinstance(question_id, str | int) or not str(question_id).strip():
        errors.append(ItemError(index, "question_id", "required: the question's id (string)"))
    answer = raw.get("answer")
    if "answer" not in raw and "error" in raw:
        errors.append(ItemError(index, "answer", "this line records a failed generation (error); leave it out"))
    elif not isinstance(answer, str) or not split_reasoning(answer)[1]:
        errors.append(ItemError(index, "answer", "required: a non-empty string (after any </think> trace)"))
    elif contains_nul(answer):
        errors.append(ItemError(index, "answer", "may not contain the NUL character (U+0000)"))
    elif len(answer) > settings.QUORUM_MAX_ANSWER_CHARS:
        errors.append(ItemError(
            index, "answer", f"{len(answer):,} characters; the limit is {settings.QUORUM_MAX_ANSWER_CHARS:,}"
        ))  # fmt: skip
    metadata = raw.get("metadata")
    if metadata is not None and not isinstance(metadata, dict):
        errors.append(ItemError(index, "metadata", "must be a JSON object"))
    elif contains_nul(metadata):
        errors.append(ItemError(index, "metadata", "may not contain the NUL character (U+0000)"))
    return errors


def answer_submit_bulk(
    *, entry: ModelEntry, raw_items: Any, source: str | None = None
) -> BulkOutcome:
    """Submit many answers at once: all or nothing, idempotent per (entry, question, content)."""
    items, errors = parse_answer_items(raw_items)
    questions = _resolve_questions(items, source, errors)
    if errors:
        raise BulkRejected(errors)
    rows = [_answer_row(entry, item, questions[item.question_id]) for item in items]
    try:
        with transaction.atomic():
            return _write_answers(entry, items, rows)
    except IntegrityError:
        # A concurrent request inserted some of the same answers first: compare again.
        with transaction.atomic():
            return _write_answers(entry, items, rows)


def _resolve_questions(items: list[AnswerItem], source: str | None, errors: list[ItemError]) -> dict:
    wanted = {item.question_id for item in items}
    found = Question.objects.answerable().filter(external_id__in=wanted)
    if source:
        found = found.filter(source=source)
    by_external: dict[str, list[tuple[int, str]]] = {}
    for pk, external_id, question_source in found.values_list("pk", "external_id", "source"):
        by_external.setdefault(external_id, []).append((pk, question_source))
    resolved, seen = {}, {}
    for item in items:
        matches = by_external.get(item.question_id, [])
        if item.question_id in seen:
            errors.append(ItemError(item.index, "question_id", f"repeats item {seen[item.question_id]}"))
        elif not matches:
            errors.append(ItemError(item.index, "question_id", f"no open question {item.question_id!r}"))
        elif len(matches) > 1:
            sources = ", ".join(sorted(s for _, s in matches))
            errors.append(ItemError(item.index, "question_id", f"exists in several sources ({sources}); pass source"))
        else:
            resolved[item.question_id] = matches[0][0]
        seen.setdefault(item.question_id, item.index)
    return resolved


def _answer_row(entry: ModelEntry, item: AnswerItem, question_pk: int) -> Answer:
    reasoning, text = split_reasoning(item.text)
    return Answer(
        question_id=question_pk, model_entry=entry, text=text, reasoning=reasoning,
        content_hash=content_hash(item.text), metadata=item.metadata,
    )  # fmt: skip


def _write_answers(entry: ModelEntry, items: list[AnswerItem], rows: list[Answer]) -> BulkOutcome:
    existing = dict(
        Answer.objects.filter(model_entry=entry, question_id__in=[r.question_id for r in rows])
        .values_list("question_id", "content_hash")
    )
    conflicts = [
        ItemError(item.index, "answer", "this model entry already has a different answer to this "
                  "question; submit a new model version to answer again")
        for item, row in zip(items, rows, strict=True)
        if existing.get(row.question_id, row.content_hash) != row.content_hash
    ]  # fmt: skip
    if conflicts:
        raise BulkRejected(conflicts, conflict=True)
    new_rows = [row for row in rows if row.question_id not in existing]
    Answer.objects.bulk_create(new_rows, batch_size=1000)
    ids = dict(
        Answer.objects.filter(model_entry=entry, question_id__in=[r.question_id for r in rows])
        .values_list("question_id", "pk")
    )
    validations_for_new_answers([ids[row.question_id] for row in new_rows])
    outcome = BulkOutcome(created=len(new_rows), unchanged=len(rows) - len(new_rows))
    outcome.answers = [
        {"index": item.index, "question_id": item.question_id, "id": ids[row.question_id],
         "status": "unchanged" if row.question_id in existing else "created"}
        for item, row in zip(items, rows, strict=True)
    ]  # fmt: skip
    return outcome


# --- generation jobs ----------------------------------------------------------------------

GENERATION_CHUNK_PER_WORKER = 4


def _job_questions(selection: dict) -> list[int]:
    questions = Question.objects.answerable()
    if selection.get("site"):
        questions = questions.filter(site__slug=selection["site"])
    if selection.get("tag"):
        questions = questions.with_tag(selection["tag"])
    if selection.get("diamond"):
        questions = questions.filter(diamond=True)
    if selection.get("question_ids"):
        questions = questions.filter(external_id__in=selection["question_ids"])
    ids = questions.order_by("-votes", "id").values_list("pk", flat=True)
    limit = selection.get("limit")
    return list(ids[:limit] if limit else ids)


@transaction.atomic
def generation_job_start(
    *, entry: ModelEntry, actor: User, selection: dict, concurrency: int = 4, max_tokens: int = 4096
) -> GenerationJob:
    if not (actor.is_curator or entry.owner_id == actor.pk):
        raise DomainError("Only the entry's owner or a curator can start a generation run.")
    if not entry.endpoint_base_url:
        raise DomainError("Set the model entry's endpoint (base URL and model) first.")
    if not 1 <= concurrency <= 64:
        raise DomainError("Concurrency must be between 1 and 64.")
    if entry.generation_jobs.filter(status__in=[JobStatus.QUEUED, JobStatus.RUNNING]).exists():
        raise Conflict("This model entry already has a generation run in progress.")
    question_ids = _job_questions(selection)
    if not question_ids:
        raise DomainError("No open question matches this selection.")
    job = GenerationJob.objects.create(
        model_entry=entry, created_by=actor, selection=selection, question_ids=question_ids,
        concurrency=concurrency, max_tokens=max_tokens, total=len(question_ids),
    )  # fmt: skip
    from workers.tasks.generation import run_generation_job

    transaction.on_commit(lambda: run_generation_job.delay(job.pk))
    return job


def generation_job_cancel(*, job: GenerationJob, actor: User) -> GenerationJob:
    if not (actor.is_curator or job.created_by_id == actor.pk or job.model_entry.owner_id == actor.pk):
        raise DomainError("You cannot cancel this run.")
    updated = GenerationJob.objects.filter(pk=job.pk, status=JobStatus.QUEUED).update(
        status=JobStatus.CANCELLED, cancel_requested=True, finished_at=timezone.now()
    )
    if not updated:
        GenerationJob.objects.filter(pk=job.pk, status=JobStatus.RUNNING).update(cancel_requested=True)
    job.refresh_from_db()
    return job


def generation_job_run(*, job_id: int) -> GenerationJob | None:
    """The worker's side: answer every question of the job not yet answered, in chunks."""
    job = _generation_job_claim(job_id)
    if job is None:
        return None
    entry = job.model_entry
    endpoint = Endpoint(
        entry.endpoint_base_url, entry.endpoint_model or entry.name, entry.endpoint_key_env,
        allowed_hosts=frozenset(settings.QUORUM_GENERATION_ALLOWED_HOSTS),
    )  # fmt: skip
    try:
        client = endpoint.client()
        return _generation_job_answer_all(job, entry, endpoint, client)
    except EndpointMisconfigured as exc:
        return _generation_job_finish(job, JobStatus.FAILED, str(exc))
    except Exception as exc:  # a crash must not leave the job running (and the entry blocked)
        logger.exception("generation job %s crashed", job.pk)
        return _generation_job_finish(job, JobStatus.FAILED, f"stopped: {describe_error(exc)}")


def _generation_job_answer_all(job, entry, endpoint, client) -> GenerationJob:
    answered = set(
        Answer.objects.filter(model_entry=entry, question_id__in=job.question_ids)
        .values_list("question_id", flat=True)
    )
    GenerationJob.objects.filter(pk=job.pk).update(done=len(answered), failed=0)
    todo = [pk for pk in job.question_ids if pk not in answered]
    chunk_size = job.concurrency * GENERATION_CHUNK_PER_WORKER
    for start in range(0, len(todo), chunk_size):
        if GenerationJob.objects.filter(pk=job.pk, cancel_requested=True).exists():
            return _generation_job_finish(job, JobStatus.CANCELLED, "")
        _generation_chunk(job, entry, endpoint, client, todo[start : start + chunk_size])
    return _generation_job_finish(job, JobStatus.COMPLETED, "")


def _generation_job_claim(job_id: int) -> GenerationJob | None:
    with transaction.atomic():
        job = GenerationJob.objects.select_for_update().select_related("model_entry").filter(pk=job_id).first()
        if job is None or job.status not in (JobStatus.QUEUED, JobStatus.RUNNING):
            return None
        job.status = JobStatus.RUNNING
        job.started_at = job.started_at or timezone.now()
        job.save(update_fields=["status", "started_at"])
    return job


def _generation_chunk(job, entry, endpoint, client, question_pks: list[int]) -> None:
    by_pk = Question.objects.select_related("site").in_bulk(question_pks)
    questions = [by_pk[pk] for pk in question_pks if pk in by_pk]  # in the job's order
    payloads = [
        {"title": q.title, "tags": q.tags, "site": q.site.slug, "link": q.link,
         "category": q.category, "body": q.body}
        for q in questions
    ]  # fmt: skip

    def call(payload):
        try:
            return generate_answer(
                client, endpoint, payload, system_prompt=entry.system_prompt,
                params=entry.generation_params, max_tokens=job.max_tokens,
            )  # fmt: skip
        except Exception as exc:  # noqa: BLE001 — one question's failure is counted, not fatal
            return exc

    with ThreadPoolExecutor(max_workers=job.concurrency) as pool:
        results = list(pool.map(call, payloads))
    stored, errors, usage = [], [], [0, 0]
    for question, result in zip(questions, results, strict=True):
        if isinstance(result, Exception) or not result.text:
            reason = describe_error(result) if isinstance(result, Exception) else "empty answer"
            errors.append(f"{question.external_id}: {reason}")
            continue
        usage[0] += result.prompt_tokens
        usage[1] += result.completion_tokens
        metadata = {"generation_job": job.pk, "finish_reason": result.finish_reason,
                    "prompt_tokens": result.prompt_tokens, "completion_tokens": result.completion_tokens}
        stored.append((question, result.text, metadata))  # fmt: skip
    written = _store_generated(entry, stored, errors)
    GenerationJob.objects.filter(pk=job.pk).update(
        done=F("done") + written, failed=F("failed") + len(questions) - written,
        prompt_tokens=F("prompt_tokens") + usage[0], completion_tokens=F("completion_tokens") + usage[1],
        **({"last_error": errors[-1][:2000]} if errors else {}),
    )  # fmt: skip


def _store_generated(entry: ModelEntry, stored: list, errors: list[str]) -> int:
    items = [AnswerItem(i, q.external_id, text, meta) for i, (q, text, meta) in enumerate(stored)]
    rows = [_answer_row(entry, item, q.pk) for item, (q, _, _) in zip(items, stored, strict=True)]
    if not rows:
        return 0
    try:
        with transaction.atomic():
            return _write_answers(entry, items, rows).created
    except (BulkRejected, IntegrityError) as exc:
        errors.append(f"storing answers: {exc}")
        return 0


def _generation_job_finish(job, status: str, error: str) -> GenerationJob:
    fields = {"status": status, "finished_at": timezone.now()}
    if error:
        fields["last_error"] = error
    GenerationJob.objects.filter(pk=job.pk).update(**fields)
    job.refresh_from_db()
    return job
