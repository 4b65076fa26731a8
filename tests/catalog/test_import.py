import io
import json

import pytest
from django.core.management import CommandError, call_command
from django.db import connection

from catalog.models import Question, QuestionState, QuestionTransition, Site
from catalog.services import question_open, question_retire


def record(n: int, **changes) -> dict:
    base = {
        "question_id": f"q{n}",
        "title": f"Question {n} about $\\zeta(s)$",
        "body": f"<p>Body {n}</p>",
        "site": "math" if n % 2 else "history",
        "category": "math",
        "tags": ["analysis", f"t{n}"],
        "link": f"https://math.stackexchange.com/questions/{n}",
        "votes": n,
        "diamond": 0,
    }
    return {**base, **changes}


def write_jsonl(tmp_path, rows, name="questions.jsonl"):
    path = tmp_path / name
    path.write_text("\n".join(r if isinstance(r, str) else json.dumps(r) for r in rows) + "\n")
    return path


def run_import(*args):
    out, err = io.StringIO(), io.StringIO()
    call_command("import_questions", *args, "--no-progress", stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


@pytest.mark.django_db
def test_import_creates_questions_sites_and_a_recorded_first_state(tmp_path):
    path = write_jsonl(tmp_path, [record(n) for n in range(1, 6)])
    out, err = run_import(str(path))
    assert "5 created, 0 updated, 0 unchanged, 0 bad" in out
    assert err == ""
    assert Question.objects.count() == 5
    assert set(Site.objects.values_list("slug", flat=True)) == {"math", "history"}
    q = Question.objects.get(external_id="q3")
    assert q.state == QuestionState.OPEN and q.site.slug == "math" and q.tags == ["analysis", "t3"]
    assert q.attribution and q.licence == "CC BY-SA 4.0"
    first = QuestionTransition.objects.get(question=q)
    assert (first.from_state, first.to_state) == ("", QuestionState.OPEN)


@pytest.mark.django_db
def test_reimport_is_idempotent_and_updates_only_changed_records(tmp_path):
    rows = [record(n) for n in range(1, 4)]
    run_import(str(write_jsonl(tmp_path, rows)))
    out, _ = run_import(str(write_jsonl(tmp_path, rows)))
    assert "0 created, 0 updated, 3 unchanged" in out
    rows[1]["votes"] = 999
    out, _ = run_import(str(write_jsonl(tmp_path, rows)))
    assert "0 created, 1 updated, 2 unchanged" in out
    assert Question.objects.get(external_id="q2").votes == 999
    assert Question.objects.count() == 3
    assert QuestionTransition.objects.count() == 3


@pytest.mark.django_db
def test_reimport_keeps_the_lifecycle_state(tmp_path, curator):
    path = write_jsonl(tmp_path, [record(1)])
    run_import(str(path))
    q = Question.objects.get()
    question_retire(question=q, actor=curator, retire_reason="duplicate")
    run_import(str(write_jsonl(tmp_path, [record(1, votes=50)])))
    q.refresh_from_db()
    assert (q.state, q.retire_reason, q.votes) == (QuestionState.RETIRED, "duplicate", 50)


@pytest.mark.django_db
def test_bad_lines_are_reported_with_number_and_reason_and_the_rest_imported(tmp_path):
    rows = [
        record(1),
        "{broken json",
        record(2, title=""),
        "",
        record(3, votes="lots"),
        record(4),
    ]
    out, err = run_import(str(write_jsonl(tmp_path, rows)))
    assert "line 2: not valid JSON" in err
    assert "line 3: title: required" in err
    assert "line 5: votes: expected an integer" in err
    assert "6 lines read: 2 created, 0 updated, 0 unchanged, 3 bad, 1 blank" in out
    assert sorted(Question.objects.values_list("external_id", flat=True)) == ["q1", "q4"]


@pytest.mark.django_db
def test_strict_exits_non_zero_after_importing_the_good_lines(tmp_path):
    path = write_jsonl(tmp_path, [record(1), "nope"])
    with pytest.raises(CommandError) as excinfo:
        run_import(str(path), "--strict")
    assert excinfo.value.returncode == 1
    assert Question.objects.filter(external_id="q1").exists()


@pytest.mark.django_db
def test_reads_standard_input(monkeypatch):
    data = "\n".join(json.dumps(record(n)) for n in (1, 2)).encode()
    monkeypatch.setattr("sys.stdin", io.TextIOWrapper(io.BytesIO(data)))
    out, _ = run_import("-")
    assert "2 created" in out


@pytest.mark.django_db
def test_invalid_utf8_is_a_bad_line_not_a_crash(tmp_path):
    path = tmp_path / "mixed.jsonl"
    path.write_bytes(json.dumps(record(1)).encode() + b"\n\xff\xfe{}\n")
    out, err = run_import(str(path))
    assert "line 2: not valid UTF-8" in err
    assert "1 created" in out


@pytest.mark.django_db
def test_dry_run_writes_nothing(tmp_path):
    out, _ = run_import(str(write_jsonl(tmp_path, [record(1), record(2)])), "--dry-run")
    assert "2 valid records would be imported" in out
    assert not Question.objects.exists()


@pytest.mark.django_db
def test_draft_state_for_candidates_and_missing_file_is_a_clear_error(tmp_path):
    run_import(str(write_jsonl(tmp_path, [record(1)])), "--state", "draft", "--source", "se")
    q = Question.objects.get()
    assert (q.state, q.source) == (QuestionState.DRAFT, "se")
    question_open(question=q, actor=None)
    with pytest.raises(CommandError, match="No such file"):
        run_import(str(tmp_path / "missing.jsonl"))


@pytest.mark.django_db
def test_same_id_from_two_sources_are_two_questions(tmp_path):
    path = write_jsonl(tmp_path, [record(1)])
    run_import(str(path), "--source", "a")
    run_import(str(path), "--source", "b")
    assert Question.objects.filter(external_id="q1").count() == 2


@pytest.mark.django_db
def test_a_record_the_database_refuses_fails_alone(tmp_path, monkeypatch):
    """All or nothing per record: one refused row does not cost the batch its other rows."""
    from catalog import services

    real_row = services._question_row

    def row(record, *args):
        values = real_row(record, *args)
        if record.external_id == "q2":
            values["state"] = "retired"  # breaks the retired-needs-a-reason constraint
        return values

    monkeypatch.setattr(services, "_question_row", row)
    out, err = run_import(str(write_jsonl(tmp_path, [record(1), record(2), record(3)])))
    assert "line 2: the database refused it" in err
    assert sorted(Question.objects.values_list("external_id", flat=True)) == ["q1", "q3"]
    assert QuestionTransition.objects.count() == 2


@pytest.mark.django_db
def test_one_batch_creates_updates_and_skips_and_an_update_keeps_state_and_dates(tmp_path):
    run_import(str(write_jsonl(tmp_path, [record(1), record(2, creation_date=1_600_000_000)])))
    before = Question.objects.get(external_id="q2")
    rows = [record(1), record(2, creation_date=1_700_000_000, title="New"), record(3)]
    out, _ = run_import(str(write_jsonl(tmp_path, rows)))
    assert "1 created, 1 updated, 1 unchanged" in out
    q = Question.objects.get(external_id="q2")
    assert (q.title, q.source_created_at.year) == ("New", 2023)
    assert (q.state, q.created_at, q.last_activity_at) == (
        before.state, before.created_at, before.last_activity_at
    )
    assert q.updated_at > before.updated_at
    assert QuestionTransition.objects.count() == 3


@pytest.mark.django_db
def test_the_last_of_repeated_ids_in_a_batch_wins(tmp_path):
    out, _ = run_import(str(write_jsonl(tmp_path, [record(1, votes=1), record(1, votes=2)])))
    assert "1 created, 0 updated, 0 unchanged" in out
    assert Question.objects.get().votes == 2


@pytest.mark.django_db
def test_text_and_json_columns_round_trip(tmp_path):
    body = '<p>tab\there, line\nbreak, back\\slash, "quotes", \\N, ζ(s) ≠ 0 🙂</p>'
    comments = [{"text": "a\tb\\c \\N", "score": 2}, {"nested": {"list": [1, None, True]}}]
    row = record(1, body=body, tags=["Analysis", "zeta-function"], comments=comments)
    run_import(str(write_jsonl(tmp_path, [row, record(2, tags=[])])))
    q = Question.objects.get(external_id="q1")
    assert q.body == body
    assert q.tags == ["analysis", "zeta-function"]
    assert q.extra == {"comments": comments}
    assert Question.objects.get(external_id="q2").tags == []
    assert list(Question.objects.with_tag("zeta-function")) == [q]
    out, _ = run_import(str(write_jsonl(tmp_path, [row])))
    assert "0 created, 0 updated, 1 unchanged" in out


@pytest.mark.django_db
def test_a_record_postgres_refuses_while_copying_fails_alone(tmp_path):
    """PostgreSQL refuses a NUL in JSON text; the other records of the batch still land."""
    if connection.vendor != "postgresql":
        pytest.skip("SQLite stores a NUL in JSON")
    rows = [record(1), record(2, comments=[{"text": "nul \u0000 here"}]), record(3)]
    out, err = run_import(str(write_jsonl(tmp_path, rows)))
    assert "line 2: the database refused it" in err
    assert "2 created, 0 updated, 0 unchanged, 1 bad" in out
    assert sorted(Question.objects.values_list("external_id", flat=True)) == ["q1", "q3"]
    assert QuestionTransition.objects.count() == 2
