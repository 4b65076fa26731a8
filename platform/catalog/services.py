"""Every write to the catalogue: lifecycle transitions and the question import."""

import logging
from collections.abc import Iterable
from dataclasses import dataclass, field

from django.db import DatabaseError, IntegrityError, connection, models, transaction
from django.utils import timezone
from psycopg.types.json import Jsonb

from accounts.models import User
from catalog.models import (
    DEFAULT_LICENCE,
    Question,
    QuestionState,
    QuestionTransition,
    RetireReason,
    Site,
)
from catalog.records import QuestionRecord
from common.errors import DomainError, InvalidTransition
from webhooks.services import webhook_question_transitioned

logger = logging.getLogger(__name__)

S = QuestionState
ALLOWED_TRANSITIONS: dict[str, set[str]] = {
    S.DRAFT: {S.OPEN, S.RETIRED},
    S.OPEN: {S.CANDIDATE, S.SOLVED, S.DISPUTED, S.RETIRED},
    S.CANDIDATE: {S.OPEN, S.SOLVED, S.DISPUTED, S.RETIRED},
    S.SOLVED: {S.DISPUTED, S.OPEN, S.RETIRED},
    S.DISPUTED: {S.OPEN, S.CANDIDATE, S.SOLVED, S.RETIRED},
    S.RETIRED: {S.OPEN},
}

CONTENT_FIELDS = [
    "site", "title", "body", "body_markdown", "category", "tags", "link", "licence",
    "attribution", "votes", "views", "diamond", "comment_count", "source_created_at", "extra",
    "content_hash", "updated_at",
]  # fmt: skip


@transaction.atomic
def question_transition(
    *,
    question: Question,
    to_state: str,
    actor: User | None,
    reason: str = "",
    retire_reason: str = "",
) -> Question:
    """Move a question to another state and record who did it and why."""
    question = Question.objects.select_for_update().get(pk=question.pk)
    from_state = question.state
    if to_state not in ALLOWED_TRANSITIONS.get(from_state, set()):
        raise InvalidTransition(
            f"A {question.get_state_display().lower()} question cannot become "
            f"{QuestionState(to_state).label.lower()}."
        )
    if to_state == S.RETIRED:
        if retire_reason not in RetireReason.values:
            raise DomainError(
                f"Retiring needs a reason: one of {', '.join(RetireReason.values)}."
            )
    else:
        retire_reason = ""
    question.state = to_state
    question.retire_reason = retire_reason
    question.last_activity_at = timezone.now()
    question.save(update_fields=["state", "retire_reason", "last_activity_at", "updated_at"])
    QuestionTransition.objects.create(
        question=question,
        from_state=from_state,
        to_state=to_state,
        actor=actor,
        reason=reason or retire_reason,
    )
    webhook_question_transitioned(question=question, from_state=from_state)
    return question


def question_open(*, question: Question, actor: User | None, reason: str = "") -> Question:
    return question_transition(question=question, to_state=S.OPEN, actor=actor, reason=reason)


def question_retire(
    *, question: Question, actor: User | None, retire_reason: str, note: str = ""
) -> Question:
    label = RetireReason(retire_reason).label if retire_reason in RetireReason.values else ""
    return question_transition(
        question=question,
        to_state=S.RETIRED,
        actor=actor,
        reason=f"{label}: {note}" if note and label else note or label,
        retire_reason=retire_reason,
    )


# --- import -------------------------------------------------------------------------------


@dataclass
class ImportOutcome:
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    failed: list[tuple[int, str]] = field(default_factory=list)

    def add(self, other: "ImportOutcome") -> None:
        self.created += other.created
        self.updated += other.updated
        self.unchanged += other.unchanged
        self.failed.extend(other.failed)


@dataclass(frozen=True)
class NumberedRecord:
    line_number: int
    record: QuestionRecord


KNOWN_SITES = {
    "math": ("Mathematics", "https://math.stackexchange.com"),
    "mathoverflow": ("MathOverflow", "https://mathoverflow.net"),
    "cstheory": ("Theoretical Computer Science", "https://cstheory.stackexchange.com"),
    "softwareengineering": ("Software Engineering", "https://softwareengineering.stackexchange.com"),
    "unix": ("Unix & Linux", "https://unix.stackexchange.com"),
    "scifi": ("Science Fiction & Fantasy", "https://scifi.stackexchange.com"),
    "stackoverflow": ("Stack Overflow", "https://stackoverflow.com"),
    "superuser": ("Super User", "https://superuser.com"),
    "serverfault": ("Server Fault", "https://serverfault.com"),
}


class SiteCache:
    """Sites by slug, created on first sight (one query per new site, not per question)."""

    def __init__(self) -> None:
        self._by_slug: dict[str, Site] = {}

    def forget(self) -> None:
        self._by_slug.clear()

    def get(self, slug: str) -> Site:
        if slug not in self._by_slug:
            name, url = KNOWN_SITES.get(
                slug, (slug.replace("-", " ").title(), f"https://{slug}.stackexchange.com")
            )
            site, _ = Site.objects.get_or_create(
                slug=slug,
                defaults={"name": name, "url": url, "attribution": "Stack Exchange contributors"},
            )
            self._by_slug[slug] = site
        return self._by_slug[slug]


def question_import_batch(
    *,
    items: Iterable[NumberedRecord],
    source: str,
    initial_state: str = S.OPEN,
    actor: User | None = None,
    sites: SiteCache | None = None,
) -> ImportOutcome:
    """Upsert validated records on (source, external id); each record is all or nothing.

    The batch is written in one transaction; if the database refuses it, each record is
    retried alone so one bad record cannot take the others down with it.
    """
    if initial_state not in (S.DRAFT, S.OPEN):
        raise DomainError("Imported questions start as draft or open.")
    latest = {item.record.external_id: item for item in items}  # a later line wins
    sites = sites or SiteCache()
    try:
        with transaction.atomic():
            return _upsert(list(latest.values()), source, initial_state, actor, sites)
    except (IntegrityError, DatabaseError) as exc:
        logger.warning("import batch refused (%s); retrying record by record", exc)
    outcome = ImportOutcome()
    for item in latest.values():
        sites.forget()  # sites created inside a rolled-back transaction are gone
        try:
            with transaction.atomic():
                outcome.add(_upsert([item], source, initial_state, actor, sites))
        except (IntegrityError, DatabaseError) as exc:
            outcome.failed.append((item.line_number, f"the database refused it: {exc}"))
    return outcome


def _upsert(
    items: list[NumberedRecord], source: str, state: str, actor: User | None, sites: SiteCache
) -> ImportOutcome:
    if connection.vendor == "postgresql":
        return _upsert_by_copy(items, source, state, actor, sites)
    return _upsert_by_orm(items, source, state, actor, sites)


def _upsert_by_orm(
    items: list[NumberedRecord], source: str, state: str, actor: User | None, sites: SiteCache
) -> ImportOutcome:
    outcome = ImportOutcome()
    known = dict(
        Question.objects.filter(
            source=source, external_id__in=[i.record.external_id for i in items]
        ).values_list("external_id", "content_hash")
    )
    now = timezone.now()
    rows = []
    for item in items:
        record = item.record
        content_hash = record.content_hash
        if known.get(record.external_id) == content_hash:
            outcome.unchanged += 1
            continue
        if record.external_id in known:
            outcome.updated += 1
        else:
            outcome.created += 1
        rows.append(Question(**_question_row(record, source, state, content_hash, sites, now)))
    if rows:
        Question.objects.bulk_create(
            rows,
            update_conflicts=True,
            unique_fields=["source", "external_id"],
            update_fields=CONTENT_FIELDS,
        )
    new_ids = [row.external_id for row in rows if row.external_id not in known]
    if new_ids:
        created = Question.objects.filter(source=source, external_id__in=new_ids)
        _record_first_states(created.values_list("pk", flat=True), source, state, actor)
    return outcome


STAGING_TABLE = "question_import_staging"


def _upsert_by_copy(
    items: list[NumberedRecord], source: str, state: str, actor: User | None, sites: SiteCache
) -> ImportOutcome:
    """COPY the batch into a temporary table, then upsert it in one statement.

    Much cheaper than binding every value of a multi-row INSERT as a parameter; only names
    are formatted into the SQL. Rows whose content hash is unchanged are left alone and not
    returned, which gives the counts.
    """
    if not items:
        return ImportOutcome()
    now = timezone.now()
    rows = [
        _question_row(item.record, source, state, item.record.content_hash, sites, now)
        for item in items
    ]
    columns = list(rows[0])
    with connection.cursor() as cursor:
        _copy_to_staging(cursor, columns, rows)
        cursor.execute(_upsert_from_staging_sql(columns))
        written = cursor.fetchall()
        # Dropped now, not at commit: batches sharing an outer transaction each create it.
        cursor.execute(f"DROP TABLE {STAGING_TABLE}")
    new_ids = [pk for pk, created in written if created]
    _record_first_states(new_ids, source, state, actor)
    return ImportOutcome(
        created=len(new_ids),
        updated=len(written) - len(new_ids),
        unchanged=len(rows) - len(written),
    )


def _copy_to_staging(cursor, columns: list[str], rows: list[dict]) -> None:
    names = ", ".join(connection.ops.quote_name(c) for c in columns)
    table = connection.ops.quote_name(Question._meta.db_table)
    json_columns = {
        f.column for f in Question._meta.concrete_fields if isinstance(f, models.JSONField)
    }
    # The question table's column types, none of its constraints: the upsert checks those.
    cursor.execute(
        f"CREATE TEMPORARY TABLE {STAGING_TABLE} AS SELECT {names} FROM {table} WITH NO DATA"  # noqa: S608 — quoted model names, no input  # nosec B608
    )
    # COPY's errors are psycopg's own: make them Django's, as execute() does.
    with (
        connection.wrap_database_errors,
        cursor.copy(f"COPY {STAGING_TABLE} ({names}) FROM STDIN") as copy,
    ):
        for row in rows:
            copy.write_row([Jsonb(row[c]) if c in json_columns else row[c] for c in columns])


def _upsert_from_staging_sql(columns: list[str]) -> str:
    quote = connection.ops.quote_name
    table = quote(Question._meta.db_table)
    names = ", ".join(quote(c) for c in columns)
    updates = ", ".join(
        f"{quote(c)} = EXCLUDED.{quote(c)}"
        for c in (Question._meta.get_field(f).column for f in CONTENT_FIELDS)
    )
    # xmax is 0 only on a row version this statement inserted.
    return (
        f"INSERT INTO {table} ({names}) SELECT {names} FROM {STAGING_TABLE} "  # noqa: S608 — quoted model names, no input  # nosec B608
        f'ON CONFLICT ("source", "external_id") DO UPDATE SET {updates} '
        f'WHERE {table}."content_hash" IS DISTINCT FROM EXCLUDED."content_hash" '
        'RETURNING "id", ("xmax" = 0) AS "created"'
    )


def _record_first_states(
    question_ids: Iterable[int], source: str, state: str, actor: User | None
) -> None:
    QuestionTransition.objects.bulk_create(
        QuestionTransition(
            question_id=pk, from_state="", to_state=state, actor=actor,
            reason=f"imported from {source}",
        )
        for pk in question_ids
    )  # fmt: skip


def _question_row(
    record: QuestionRecord, source: str, state: str, content_hash: str, sites: SiteCache, now
) -> dict:
    """A new question's column values."""
    site = sites.get(record.site)
    return {
        "source": source,
        "external_id": record.external_id,
        "site_id": site.pk,
        "title": record.title,
        "body": record.body,
        "body_markdown": record.body_markdown,
        "category": record.category,
        "tags": record.tags,
        "link": record.link,
        "licence": site.licence or DEFAULT_LICENCE,
        "attribution": site.attribution,
        "votes": record.votes,
        "views": record.views,
        "diamond": record.diamond,
        "comment_count": record.comment_count,
        "source_created_at": record.source_created_at,
        "extra": record.extra,
        "content_hash": content_hash,
        "state": state,
        "retire_reason": "",
        "last_activity_at": record.source_created_at or now,
        "created_at": now,
        "updated_at": now,
    }
