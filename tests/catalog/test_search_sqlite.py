"""SQLite's search machinery: FTS5 present, the MATCH translation always valid, triggers that
survive Django's table rebuilds; and, on PostgreSQL, the translation checked against
websearch_to_tsquery itself."""

import random
import sqlite3

import pytest
from django.db import connection

from catalog import search_sqlite, websearch
from catalog.apps import check_sqlite_fts5, fts5_errors
from tests.factories import QuestionFactory


def test_this_python_sqlite_has_fts5():
    assert search_sqlite.fts5_available(), search_sqlite.NO_FTS5


def test_a_sqlite_without_fts5_is_reported_at_start_up(monkeypatch):
    assert check_sqlite_fts5() == []  # this machine's settings and Python
    sqlite, postgres = {"django.db.backends.sqlite3"}, {"common.postgresql"}
    monkeypatch.setattr(search_sqlite, "fts5_available", lambda: False)
    errors = fts5_errors(sqlite)
    assert [e.id for e in errors] == ["catalog.E001"]
    assert "FTS5" in errors[0].msg and "DATABASE_URL" in errors[0].msg
    assert fts5_errors(postgres) == []
    with pytest.raises(RuntimeError, match="FTS5"):  # and the migration refuses to go on
        search_sqlite.install(None)


@pytest.mark.parametrize(
    ("query", "positive", "negative_only"),
    [
        ('"spectral gap"', '("spectral gap")', []),
        ("gap -spectral", '(("gap") NOT ("spectral"))', []),
        ('"spectral gap" random', '("spectral gap" AND "random")', []),
        ("zeta or rome", '("zeta") OR ("rome")', []),
        ("-a -spectral -\"x y\"", None, ['"spectral" OR "x y"']),
        ("title:zeta NEAR(x*) ^y", '("title" AND "zeta" AND "near" AND "x" AND "y")', []),
        ('say "hello', '("say" AND "hello")', []),
        ("number-theory Rome's", '("number theory" AND "rome")', []),
    ],
)
def test_websearch_becomes_quoted_fts5_terms(query, positive, negative_only):
    parsed = websearch.parse(query)
    assert parsed.fts5_positive() == positive
    assert parsed.fts5_negative_only() == negative_only


def test_every_translation_is_a_valid_fts5_query():
    """Thousands of hostile strings: FTS5 accepts every MATCH expression built from them."""
    db = sqlite3.connect(":memory:")
    db.execute(search_sqlite.CREATE_TABLE)
    table = search_sqlite.TABLE  # a constant name; the queries are parameters
    db.execute(f"INSERT INTO {table} (rowid, title) VALUES (1, 'spectral gap')")  # noqa: S608
    pieces = ['"', "-", "(", ")", ":", "*", "^", "+", "NEAR", "AND", "OR", "NOT", "or", "{", "}",
              "title", "spectral", "gap", "the", " ", " ", "'", "\\", ",", ".", "é", "_", "0"]  # fmt: skip
    rng = random.Random(13)
    for _ in range(3000):
        query = "".join(rng.choice(pieces) for _ in range(rng.randint(1, 12)))
        parsed = websearch.parse(query)
        for expr in filter(None, [parsed.fts5_positive(), *parsed.fts5_negative_only()]):
            db.execute(f"SELECT rowid FROM {table} WHERE {table} MATCH ?", [expr]).fetchall()  # noqa: S608


@pytest.mark.skipif(connection.vendor != "sqlite", reason="SQLite's triggers (run there by test_search_backends)")
def test_triggers_dropped_by_a_table_rebuild_come_back_after_migrate(client, site):
    from django.core.management import call_command

    QuestionFactory(site=site, title="Kakeya conjecture")
    with connection.cursor() as cursor:
        for name in search_sqlite.TRIGGERS:  # what Django's _remake_table leaves behind
            cursor.execute(f"DROP TRIGGER {name}")
    QuestionFactory(site=site, title="Kakeya sets in finite fields")  # missed by the index
    call_command("migrate", verbosity=0)
    found = [q.title for q in client.get("/", {"q": "kakeya"}).context["page"]]
    assert sorted(found) == ["Kakeya conjecture", "Kakeya sets in finite fields"]
    QuestionFactory(site=site, title="Kakeya needle problem")  # and it follows writes again
    assert len(client.get("/", {"q": "kakeya"}).context["page"]) == 3


def random_query(rng, vocab, ops) -> str:
    query = ""
    for _ in range(rng.randint(1, 6)):
        inside_quotes = query.count('"') % 2 == 1
        piece = rng.choice(ops) if rng.random() < 0.4 else " " + rng.choice(vocab)
        if not (inside_quotes and piece.strip().lower() == "or"):  # a stop word in a phrase
            query += piece
    return query


@pytest.mark.skipif(connection.vendor != "postgresql", reason="needs PostgreSQL to compare with")
def test_the_translation_agrees_with_postgresql_websearch(db):
    """Random queries of words, quotes, minus, `or` and punctuation over random documents:
    FTS5 given the translation finds exactly what websearch_to_tsquery finds. Hyphenated words
    and stop words inside phrases are left out: there the two differ (see the README)."""
    rng = random.Random(5)
    vocab = ["spectral", "gap", "gaps", "prime", "primes", "zeta", "rome", "graph", "random", "orbit"]
    docs = [" ".join(rng.choice(vocab + ["the", "of"]) for _ in range(rng.randint(1, 7))) for _ in range(50)]
    lite = sqlite3.connect(":memory:")
    lite.execute(search_sqlite.CREATE_TABLE)
    table = search_sqlite.TABLE
    lite.executemany(f"INSERT INTO {table} (rowid, body) VALUES (?, ?)", enumerate(docs))  # noqa: S608
    match = f"SELECT rowid FROM {table} WHERE {table} MATCH ?"  # noqa: S608
    ops = [' "', '" ', " -", " or ", " OR ", " (", ") ", " * ", "^", " NEAR ", " -\"", "|", "!", " & "]
    with connection.cursor() as cursor:
        cursor.execute("CREATE TEMPORARY TABLE search_docs (id int, v tsvector)")
        cursor.executemany("INSERT INTO search_docs VALUES (%s, to_tsvector('english', %s))", list(enumerate(docs)))
        for _ in range(1500):
            query = random_query(rng, vocab, ops)
            cursor.execute("SELECT id FROM search_docs WHERE v @@ websearch_to_tsquery('english', %s)", [query])
            expected = {row[0] for row in cursor.fetchall()}
            parsed = websearch.parse(query)
            found = set()
            if parsed.fts5_positive():
                found |= {row[0] for row in lite.execute(match, [parsed.fts5_positive()])}
            for excluded in parsed.fts5_negative_only():
                found |= set(range(len(docs))) - {row[0] for row in lite.execute(match, [excluded])}
            assert found == expected, query


@pytest.mark.skipif(connection.vendor != "sqlite", reason="SQLite's migration (run there by test_search_backends)")
def test_the_migration_indexes_the_questions_already_there(client, site):
    import importlib
    from types import SimpleNamespace

    migration = importlib.import_module("catalog.migrations.0004_sqlite_search")
    editor = SimpleNamespace(connection=connection)
    migration.backward(None, editor)
    QuestionFactory(site=site, title="Inscribed square problem")  # written with no index at all
    migration.forward(None, editor)
    found = [q.title for q in client.get("/", {"q": '"inscribed square"'}).context["page"]]
    assert found == ["Inscribed square problem"]
