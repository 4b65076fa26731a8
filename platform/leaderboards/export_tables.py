"""What an export contains: one table per kind, its columns (an Arrow schema) and its rows.

Public exports hold what every visitor sees on the question pages: questions that are not
drafts, their answers and validation results, and the reviews of answers the experts have
resolved (reviews in progress stay blind). Curators' full exports add drafts and the reviews
still in progress. Reviewers appear only as pseudonyms; comments and flags are never exported.
"""

import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from itertools import islice

import pyarrow as pa
from django.conf import settings
from django.db.models import Max, QuerySet
from django.utils.crypto import salted_hmac

from catalog.models import Question
from evaluation.models import ValidationResult
from leaderboards.models import Export, ExportScope, ExportTable
from reviews.models import Review
from submissions.models import Answer, ReviewState

TIMESTAMP = pa.timestamp("us", tz="UTC")
VISIBLE_REVIEW_STATES = (ReviewState.VERIFIED_CORRECT, ReviewState.VERIFIED_INCORRECT, ReviewState.DISPUTED)
PSEUDONYM_SALT = "quorum.exports.reviewer"


def reviewer_pseudonym(user_id: int) -> str:
    """Stable across exports, not reversible without the key: HMAC-SHA256 of the user id."""
    key = settings.QUORUM_EXPORT_PSEUDONYM_KEY or settings.SECRET_KEY
    digest = salted_hmac(PSEUDONYM_SALT, str(user_id), secret=key, algorithm="sha256").hexdigest()
    return f"reviewer-{digest[:16]}"


def _json_text(value) -> str:
    return json.dumps(value, ensure_ascii=False, sort_keys=True)


@dataclass(frozen=True)
class Column:
    name: str
    lookup: str
    type: pa.DataType
    convert: Callable | None = None


@dataclass(frozen=True)
class Table:
    name: str
    columns: tuple[Column, ...]
    base: Callable[[Export], QuerySet]
    site_lookup: str
    since_lookup: str

    @property
    def schema(self) -> pa.Schema:
        return pa.schema([pa.field(c.name, c.type) for c in self.columns])

    def queryset(self, export: Export, *, up_to_pk: int | None) -> QuerySet:
        """The export's rows, with ids at most `up_to_pk` so the count and the stream agree."""
        rows = self.base(export)
        if export.site_id:
            rows = rows.filter(**{self.site_lookup: export.site_id})
        if export.since:
            rows = rows.filter(**{f"{self.since_lookup}__gte": export.since})
        return rows.filter(pk__lte=up_to_pk or 0).order_by("pk")

    def snapshot_pk(self, export: Export) -> int:
        return self.base(export).aggregate(top=Max("pk"))["top"] or 0

    def chunks(self, rows: QuerySet, size: int) -> Iterator[list[dict]]:
        """Rows as plain dicts, `size` at a time, streamed from the database."""
        stream = rows.values_list(*(c.lookup for c in self.columns)).iterator(chunk_size=size)
        while chunk := list(islice(stream, size)):
            yield [self._row(values) for values in chunk]

    def _row(self, values: tuple) -> dict:
        return {
            c.name: (c.convert(v) if c.convert and v is not None else v)
            for c, v in zip(self.columns, values, strict=True)
        }


def _questions(export: Export) -> QuerySet:
    return Question.objects.all() if export.scope == ExportScope.FULL else Question.objects.public()


def _answers(export: Export) -> QuerySet:
    answers = Answer.objects.all()
    return answers if export.scope == ExportScope.FULL else answers.filter(question__in=Question.objects.public())


def _validations(export: Export) -> QuerySet:
    return ValidationResult.objects.filter(answer__in=_answers(export))


def _reviews(export: Export) -> QuerySet:
    reviews = Review.objects.filter(answer__in=_answers(export))
    if export.scope == ExportScope.FULL:
        return reviews
    return reviews.filter(answer__review_state__in=VISIBLE_REVIEW_STATES)


QUESTIONS = Table(
    name=ExportTable.QUESTIONS,
    columns=(
        Column("id", "pk", pa.int64()),
        Column("source", "source", pa.string()),
        Column("question_id", "external_id", pa.string()),
        Column("site", "site__slug", pa.string()),
        Column("title", "title", pa.string()),
        Column("body", "body", pa.string()),
        Column("category", "category", pa.string()),
        Column("tags", "tags", pa.list_(pa.string()), lambda tags: [str(tag) for tag in tags]),
        Column("link", "link", pa.string()),
        Column("votes", "votes", pa.int64()),
        Column("views", "views", pa.int64()),
        Column("diamond", "diamond", pa.bool_()),
        Column("comment_count", "comment_count", pa.int64()),
        Column("source_created_at", "source_created_at", TIMESTAMP),
        Column("state", "state", pa.string()),
        Column("retire_reason", "retire_reason", pa.string()),
        Column("licence", "licence", pa.string()),
        Column("attribution", "attribution", pa.string()),
        Column("created_at", "created_at", TIMESTAMP),
    ),
    base=_questions, site_lookup="site_id", since_lookup="created_at",
)  # fmt: skip

ANSWERS = Table(
    name=ExportTable.ANSWERS,
    columns=(
        Column("id", "pk", pa.int64()),
        Column("question", "question_id", pa.int64()),
        Column("question_id", "question__external_id", pa.string()),
        Column("model_name", "model_entry__name", pa.string()),
        Column("model_version", "model_entry__version", pa.string()),
        Column("model_display_name", "model_entry__display_name", pa.string()),
        Column("organisation", "model_entry__organisation", pa.string()),
        Column("answer", "text", pa.string()),
        Column("reasoning", "reasoning", pa.string()),
        Column("submitted_at", "submitted_at", TIMESTAMP),
        Column("validation_state", "validation_state", pa.string()),
        Column("review_state", "review_state", pa.string()),
        Column("p_correct", "assessment__p_correct", pa.float64()),
    ),
    base=_answers, site_lookup="question__site_id", since_lookup="submitted_at",
)  # fmt: skip

VALIDATIONS = Table(
    name=ExportTable.VALIDATIONS,
    columns=(
        Column("id", "pk", pa.int64()),
        Column("answer", "answer_id", pa.int64()),
        Column("validator", "validation__validator__name", pa.string()),
        Column("config_hash", "config_hash", pa.string()),
        Column("decision", "decision", pa.string()),
        Column("score", "score", pa.float64()),
        Column("calls", "calls", pa.int64()),
        Column("prompt_tokens", "prompt_tokens", pa.int64()),
        Column("completion_tokens", "completion_tokens", pa.int64()),
        Column("latency_s", "latency_s", pa.float64()),
        Column("library_version", "library_version", pa.string()),
        Column("verdict_json", "verdict", pa.string(), _json_text),
        Column("created_at", "created_at", TIMESTAMP),
    ),
    base=_validations, site_lookup="answer__question__site_id", since_lookup="created_at",
)  # fmt: skip

REVIEWS = Table(
    name=ExportTable.REVIEWS,
    columns=(
        Column("id", "pk", pa.int64()),
        Column("answer", "answer_id", pa.int64()),
        Column("reviewer", "expert_id", pa.string(), reviewer_pseudonym),
        Column("verdict", "verdict", pa.string()),
        Column("confidence", "confidence", pa.int64()),
        Column("rationale", "rationale", pa.string()),
        Column("first_wrong_step", "first_wrong_step", pa.string()),
        Column("created_at", "created_at", TIMESTAMP),
        Column("updated_at", "updated_at", TIMESTAMP),
    ),
    base=_reviews, site_lookup="answer__question__site_id", since_lookup="updated_at",
)  # fmt: skip

TABLES = {table.name: table for table in (QUESTIONS, ANSWERS, VALIDATIONS, REVIEWS)}
