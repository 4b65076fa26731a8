"""Question search on SQLite: an FTS5 index kept by triggers, queried through `catalog.websearch`.

`catalog_question_fts` is a contentless FTS5 table (rowid = question id) over title, tags,
category and the first 100,000 characters of the body, the fields and limit of PostgreSQL's
search vector. Triggers on the question table keep it current for every write, the ORM's
`bulk_create(update_conflicts=True)` upsert included (SQLite fires INSERT or UPDATE triggers for
`INSERT … ON CONFLICT DO UPDATE`). The user's text never reaches MATCH: only expressions built
by `catalog.websearch`, whose every term is a quoted FTS5 string.
"""

import logging
import sqlite3

from django.db.models import Q
from django.db.models.expressions import RawSQL

from catalog.websearch import Parsed

logger = logging.getLogger(__name__)

TABLE = "catalog_question_fts"
# ts_rank's default weights for A (title), B (tags), C (category), D (body): 1, 0.4, 0.2, 0.1.
BM25 = f"bm25({TABLE}, 1.0, 0.4, 0.2, 0.1)"
# Porter stemming over unicode61 tokens; accents kept, as PostgreSQL's english config keeps them.
TOKENIZE = "porter unicode61 remove_diacritics 0"

NO_FTS5 = (
    "Question search on SQLite needs FTS5, and the SQLite library of this Python "
    f"({sqlite3.sqlite_version}) was built without it. Use a Python whose sqlite3 has FTS5 "
    "(the python.org, Debian/Ubuntu, Homebrew and official Docker builds all do) or set "
    "DATABASE_URL to a PostgreSQL database."
)


def _indexed(row: str) -> str:
    """The indexed values of NEW or OLD, in the table's column order."""
    return (
        f"{row}.id, {row}.title, "  # noqa: S608 — constant names  # nosec B608
        f"(SELECT group_concat(value, ' ') FROM json_each({row}.tags)), "
        f"{row}.category, substr({row}.body, 1, 100000)"
    )


COLUMNS = "rowid, title, tags, category, body"
# Only constant names are formatted into this module's SQL; values are always parameters.
_INSERT = f"INSERT INTO {TABLE} ({COLUMNS}) VALUES ({_indexed('NEW')});"  # noqa: S608  # nosec B608
# A contentless table forgets a row by being told the values it indexed for it.
_DELETE = f"INSERT INTO {TABLE} ({TABLE}, {COLUMNS}) VALUES ('delete', {_indexed('OLD')});"  # noqa: S608  # nosec B608
TRIGGERS = {
    "catalog_question_fts_insert": (
        f"CREATE TRIGGER catalog_question_fts_insert AFTER INSERT ON catalog_question "
        f"BEGIN {_INSERT} END;"
    ),
    "catalog_question_fts_delete": (
        f"CREATE TRIGGER catalog_question_fts_delete AFTER DELETE ON catalog_question "
        f"BEGIN {_DELETE} END;"
    ),
    "catalog_question_fts_update": (
        "CREATE TRIGGER catalog_question_fts_update "
        "AFTER UPDATE OF id, title, body, tags, category ON catalog_question "
        f"BEGIN {_DELETE} {_INSERT} END;"
    ),
}
CREATE_TABLE = (
    f"CREATE VIRTUAL TABLE {TABLE} USING fts5("
    f"title, tags, category, body, content='', tokenize='{TOKENIZE}')"
)
BACKFILL = (
    f"INSERT INTO {TABLE} ({COLUMNS}) "  # noqa: S608 — constant names, no input  # nosec B608
    f"SELECT {_indexed('q')} FROM catalog_question AS q"
)


def fts5_available() -> bool:
    """Whether this Python's sqlite3 can create an FTS5 table."""
    probe = sqlite3.connect(":memory:")
    try:
        probe.execute("CREATE VIRTUAL TABLE probe USING fts5(x)")
    except sqlite3.OperationalError:
        return False
    finally:
        probe.close()
    return True


def install(cursor) -> None:
    """Create the index and its triggers and fill it from the questions already there."""
    if not fts5_available():
        raise RuntimeError(NO_FTS5)
    cursor.execute(CREATE_TABLE)
    for statement in TRIGGERS.values():
        cursor.execute(statement)
    cursor.execute(BACKFILL)


def uninstall(cursor) -> None:
    for name in TRIGGERS:
        cursor.execute(f"DROP TRIGGER IF EXISTS {name}")
    cursor.execute(f"DROP TABLE IF EXISTS {TABLE}")


def rebuild(cursor) -> None:
    """Refill the index from the questions table (its triggers must exist)."""
    cursor.execute(f"INSERT INTO {TABLE} ({TABLE}) VALUES ('delete-all')")  # noqa: S608  # nosec B608
    cursor.execute(BACKFILL)


def restore_triggers(using: str = "default", **kwargs) -> None:
    """post_migrate: put back triggers a later migration dropped, then rebuild the index.

    Django's SQLite schema editor alters a table by copying it into a new one and dropping
    the old, and the old table's triggers go with it; the index may then have missed writes.
    """
    from django.db import connections

    connection = connections[using]
    if connection.vendor != "sqlite":
        return
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT name FROM sqlite_master WHERE type IN ('table', 'trigger') AND name LIKE %s",
            ["catalog_question_fts%"],
        )
        names = {row[0] for row in cursor.fetchall()}
        if TABLE not in names:
            return  # the catalogue's migrations have not run (or were reversed)
        missing = [name for name in TRIGGERS if name not in names]
        if not missing:
            return
        logger.warning("search index triggers were missing (%s): rebuilding the index", missing)
        for name in missing:
            cursor.execute(TRIGGERS[name])
        rebuild(cursor)


_MATCHING_IDS = f"SELECT rowid FROM {TABLE} WHERE {TABLE} MATCH %s"  # noqa: S608  # nosec B608


def matching(parsed: Parsed) -> Q:
    """The questions the parsed query finds (nothing when it has nothing to search for)."""
    condition = Q(pk__in=[])
    positive = parsed.fts5_positive()
    if positive:
        condition |= Q(pk__in=RawSQL(_MATCHING_IDS, [positive]))  # noqa: S611 — a parameter  # nosec B611
    for excluded in parsed.fts5_negative_only():
        condition |= ~Q(pk__in=RawSQL(_MATCHING_IDS, [excluded]))  # noqa: S611 — a parameter  # nosec B611
    return condition


def best_first(queryset, parsed: Parsed):
    """Order by weighted bm25, best first, in one FTS5 scan (a correlated bm25 per row would
    recount the terms' documents for every row: seconds for a common word).

    The join drops questions found only by an exclusion, so a query with an exclusion-only
    side (`-a`, `b or -c`) is ordered by votes instead.
    """
    match = parsed.fts5_positive()
    if not match or parsed.fts5_negative_only():
        return queryset.order_by("-votes", "-id")
    return queryset.extra(  # noqa: S610 — constant SQL, the match is a parameter  # nosec B610
        select={"rank": f"-{BM25}"},
        tables=[TABLE],
        where=[f"{TABLE} MATCH %s", f'{TABLE}.rowid = "catalog_question"."id"'],
        params=[match],
    ).order_by("-rank", "-votes", "-id")
