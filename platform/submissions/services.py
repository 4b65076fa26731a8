"""Every write of the submissions app: model entries and answers."""

import hashlib
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction

from accounts.models import User
from catalog.models import Question
from common.errors import DomainError
from submissions.models import Answer, ModelEntry

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
    elif len(answer) > settings.QUORUM_MAX_ANSWER_CHARS:
        errors.append(ItemError(
            index, "answer", f"{len(answer):,} characters; the limit is {settings.QUORUM_MAX_ANSWER_CHARS:,}"
        ))  # fmt: skip
    metadata = raw.get("metadata")
    if metadata is not None and not isinstance(metadata, dict):
        errors.append(ItemError(index, "metadata", "must be a JSON object"))
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
    outcome = BulkOutcome(created=len(new_rows), unchanged=len(rows) - len(new_rows))
    outcome.answers = [
        {"index": item.index, "question_id": item.question_id, "id": ids[row.question_id],
         "status": "unchanged" if row.question_id in existing else "created"}
        for item, row in zip(items, rows, strict=True)
    ]  # fmt: skip
    return outcome
