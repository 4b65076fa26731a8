import errno
import hashlib
import json
import zipfile
from contextlib import contextmanager
from pathlib import Path
from types import SimpleNamespace

import pyarrow.parquet as pq
import pytest
import yaml
from datasets import load_dataset
from django.db import connection
from django.db.models.query import QuerySet
from django.test.utils import CaptureQueriesContext

from accounts.services import user_set_role
from common.errors import DomainError
from evaluation.models import Validation, ValidationResult
from evaluation.services import validator_config_save
from leaderboards import exports, services
from leaderboards.export_tables import TABLES, reviewer_pseudonym
from leaderboards.models import Export
from tests.factories import (
    AnswerFactory,
    ModelEntryFactory,
    QuestionFactory,
    ReviewFactory,
    SiteFactory,
    UserFactory,
)

ALL = ["questions", "answers", "validations", "reviews"]
BUILDER = {"jsonl": "json", "csv": "csv", "parquet": "parquet"}
SCRIPTED = {"judges": {"default": {"kind": "scripted", "model": "s", "default": "[[Y]]"}}, "pipeline": "vanilla"}


@pytest.fixture
def world(db, export_dir):
    math = SiteFactory(slug="math", name="Mathematics", url="https://math.stackexchange.com",
                       attribution="Stack Exchange contributors")  # fmt: skip
    history = SiteFactory(slug="history", name="History")
    squares = QuestionFactory(site=math, source="uq", external_id="uq-1", link="https://math.stackexchange.com/q/1",
                              tags=["algebra", "squares"], attribution="Stack Exchange contributors")  # fmt: skip
    rome = QuestionFactory(site=history, source="uq", external_id="uq-2")
    draft = QuestionFactory(site=math, source="uq", external_id="uq-draft", state="draft")
    entry = ModelEntryFactory(name="m1", organisation="Lab")
    solved = AnswerFactory(question=squares, model_entry=entry, review_state="verified_correct")
    in_review = AnswerFactory(question=rome, model_entry=entry, review_state="in_review")
    unpublished = AnswerFactory(question=draft, model_entry=entry)
    ada = UserFactory(username="expert_ada", email="ada@secret.example", is_expert=True)
    bob = UserFactory(username="expert_bob", email="bob@secret.example", is_expert=True)
    reviews = {
        "ada_solved": ReviewFactory(answer=solved, expert=ada, rationale="Every step checks out."),
        "bob_solved": ReviewFactory(answer=solved, expert=bob, verdict="incorrect", confidence=2),
        "ada_blind": ReviewFactory(answer=in_review, expert=ada, rationale="Still blind."),
        "bob_draft": ReviewFactory(answer=unpublished, expert=bob),
    }
    validator = validator_config_save(name="strict", config=SCRIPTED, actor=None)
    for answer in (solved, in_review, unpublished):
        validation = Validation.objects.create(answer=answer, validator=validator, config_hash=validator.config_hash,
                                               state="passed")  # fmt: skip
        ValidationResult.objects.create(validation=validation, answer=answer, config_hash=validator.config_hash,
                                        decision="accept", score=0.9, library_version="t",
                                        verdict={"decision": "accept", "votes": []})  # fmt: skip
    return SimpleNamespace(
        math=math, history=history, solved=solved, in_review=in_review, unpublished=unpublished, ada=ada, bob=bob,
        reviews=reviews, user=UserFactory(username="reader"),
        curator=user_set_role(user=UserFactory(username="keeper"), role="curator", granted=True),
    )  # fmt: skip


@pytest.fixture
def run_export(eager, django_capture_on_commit_callbacks):
    def run(user, fmt="jsonl", tables=ALL, **kwargs) -> Export:
        with django_capture_on_commit_callbacks(execute=True):
            export = services.export_request(user=user, tables=tables, format=fmt, **kwargs)
        export.refresh_from_db()
        return export

    return run


def unpacked(export: Export, tmp_path: Path) -> Path:
    folder = tmp_path / f"unzipped-{export.pk}"
    with zipfile.ZipFile(services.export_path(export)) as archive:
        archive.extractall(folder)
    return folder


def rows_of(folder: Path, table: str, fmt: str, tmp_path: Path) -> list[dict]:
    path = folder / exports.file_name(table, fmt)
    data = load_dataset(BUILDER[fmt], data_files=str(path), split="train", cache_dir=str(tmp_path / "hf"))
    assert data.column_names == TABLES[table].schema.names
    return data.to_list()


@pytest.mark.parametrize("fmt", ["jsonl", "csv", "parquet"])
def test_each_format_round_trips_through_datasets(world, run_export, tmp_path, fmt):
    export = run_export(world.user, fmt)
    assert export.status == "succeeded", export.error
    folder = unpacked(export, tmp_path)
    assert sorted(p.name for p in folder.iterdir()) == sorted(
        [exports.file_name(t, fmt) for t in ALL] + ["LICENSE.md", "README.md"]
    )
    questions = {row["question_id"]: row for row in rows_of(folder, "questions", fmt, tmp_path)}
    assert set(questions) == {"uq-1", "uq-2"}
    squares = questions["uq-1"]
    tags = json.loads(squares["tags"]) if fmt == "csv" else squares["tags"]
    assert (squares["site"], tags, squares["link"]) == ("math", ["algebra", "squares"], "https://math.stackexchange.com/q/1")
    assert squares["licence"] == "CC BY-SA 4.0" and squares["attribution"] == "Stack Exchange contributors"
    answers = {row["id"]: row for row in rows_of(folder, "answers", fmt, tmp_path)}
    assert set(answers) == {world.solved.pk, world.in_review.pk}
    assert answers[world.solved.pk]["answer"] == world.solved.text
    assert answers[world.solved.pk]["question_id"] == "uq-1" and answers[world.solved.pk]["model_name"] == "m1"
    validations = rows_of(folder, "validations", fmt, tmp_path)
    assert sorted(v["answer"] for v in validations) == sorted([world.solved.pk, world.in_review.pk])
    assert json.loads(validations[0]["verdict_json"])["decision"] == "accept"
    reviews = rows_of(folder, "reviews", fmt, tmp_path)
    assert sorted((r["answer"], r["verdict"], r["confidence"]) for r in reviews) == [
        (world.solved.pk, "correct", 4), (world.solved.pk, "incorrect", 2)
    ]  # fmt: skip
    # The dataset card maps each table to its file: the unzipped folder loads as a dataset.
    carded = load_dataset(str(folder), "answers", split="train", cache_dir=str(tmp_path / "hf"))
    assert sorted(carded["id"]) == sorted(answers)


def test_reviewers_are_pseudonyms_stable_across_exports(world, run_export, tmp_path, settings):
    first = unpacked(run_export(world.user, "jsonl", tables=["reviews"]), tmp_path)
    second = unpacked(run_export(world.user, "parquet", tables=["reviews"]), tmp_path)
    by_review = {r["id"]: r["reviewer"] for r in rows_of(first, "reviews", "jsonl", tmp_path)}
    assert by_review == {r["id"]: r["reviewer"] for r in pq.read_table(second / "reviews.parquet").to_pylist()}
    ada, bob = by_review[world.reviews["ada_solved"].pk], by_review[world.reviews["bob_solved"].pk]
    assert ada != bob and ada == reviewer_pseudonym(world.ada.pk)
    for user, pseudonym in ((world.ada, ada), (world.bob, bob)):
        assert str(user.pk) != pseudonym and user.username not in pseudonym
    archive = b"".join(path.read_bytes() for folder in (first, second) for path in folder.iterdir())
    for private in (b"expert_ada", b"expert_bob", b"ada@secret", b"bob@secret"):
        assert private not in archive
    settings.QUORUM_EXPORT_PSEUDONYM_KEY = "another operator's key"
    assert reviewer_pseudonym(world.ada.pk) != ada  # keyed: not a bare hash anyone could recompute


def test_public_exports_leave_out_drafts_and_reviews_still_blind(world, run_export, tmp_path):
    public = unpacked(run_export(world.user), tmp_path)
    reviews = rows_of(public, "reviews", "jsonl", tmp_path)
    assert {r["id"] for r in reviews} == {world.reviews["ada_solved"].pk, world.reviews["bob_solved"].pk}
    assert "Still blind." not in (public / "reviews.jsonl").read_text()
    assert world.unpublished.pk not in {a["answer"] for a in rows_of(public, "validations", "jsonl", tmp_path)}
    full = unpacked(run_export(world.curator, scope="full"), tmp_path)
    assert {r["id"] for r in rows_of(full, "reviews", "jsonl", tmp_path)} == {r.pk for r in world.reviews.values()}
    assert "uq-draft" in {q["question_id"] for q in rows_of(full, "questions", "jsonl", tmp_path)}


def test_only_curators_may_export_everything(world):
    with pytest.raises(DomainError, match="Only curators"):
        services.export_request(user=world.user, tables=ALL, format="csv", scope="full")
    with pytest.raises(DomainError, match="tables"):
        services.export_request(user=world.user, tables=["questions", "emails"], format="csv")


def test_one_export_at_a_time_per_user(world):
    services.export_request(user=world.user, tables=ALL, format="csv")
    with pytest.raises(services.Conflict):
        services.export_request(user=world.user, tables=ALL, format="csv")


def test_a_finished_export_has_its_checksum_licence_and_card(world, run_export, tmp_path):
    export = run_export(world.user, "parquet")
    path = services.export_path(export)
    assert export.file_size == path.stat().st_size
    assert export.sha256 == hashlib.sha256(path.read_bytes()).hexdigest()
    assert export.row_counts == {"questions": 2, "answers": 2, "validations": 2, "reviews": 2}
    assert export.rows_done == export.rows_total == 8 and export.percent == 100
    folder = unpacked(export, tmp_path)
    header = yaml.safe_load((folder / "README.md").read_text().split("---")[1])
    assert header["license"] == ["cc-by-sa-4.0"]
    assert [(c["config_name"], c["data_files"]) for c in header["configs"]] == [(t, f"{t}.parquet") for t in ALL]
    licence = (folder / "LICENSE.md").read_text()
    assert "CC BY-SA 4.0" in licence and "https://math.stackexchange.com" in licence
    assert "Stack Exchange contributors" in licence and "CC-BY-SA-4.0" in licence


def test_filters_and_empty_tables_keep_their_columns(world, run_export, tmp_path):
    export = run_export(world.user, "parquet", site=world.history)
    assert export.row_counts == {"questions": 1, "answers": 1, "validations": 1, "reviews": 0}
    folder = unpacked(export, tmp_path)
    empty = pq.read_table(folder / "reviews.parquet")
    assert empty.num_rows == 0 and empty.schema.names == TABLES["reviews"].schema.names
    csv_export = run_export(world.user, "csv", tables=["reviews"], site=world.history)
    csv_folder = unpacked(csv_export, tmp_path)
    assert (csv_folder / "reviews.csv").read_text().splitlines() == [",".join(TABLES["reviews"].schema.names)]
    header = yaml.safe_load((csv_folder / "README.md").read_text().split("---")[1])
    assert header["configs"] == [{"config_name": "reviews", "data_files": "reviews.csv", "default": True}]


def test_the_default_config_is_a_table_with_rows():
    card = exports.dataset_card(title="t", fmt="csv", counts={"questions": 0, "answers": 3}, about=[],
                                data_licence="CC-BY-SA-4.0", sites=[], columns={"questions": [], "answers": []})
    configs = yaml.safe_load(card.split("---")[1])["configs"]
    assert [c["config_name"] for c in configs if c.get("default")] == ["answers"]


def spying_writer(real, calls: list, after_write=None):
    """The real table writer, recording each chunk's size (and calling `after_write(count)`)."""

    def writer(fmt, path, schema):
        @contextmanager
        def wrapped():
            with real(fmt, path, schema) as write:
                def spy(rows):
                    calls.append(len(rows))
                    write(rows)
                    if after_write:
                        after_write(len(calls))

                yield spy

        return wrapped()

    return writer


def test_rows_stream_in_chunks_and_progress_reaches_the_total(world, run_export, settings, monkeypatch):
    settings.QUORUM_EXPORT_CHUNK_ROWS = 2
    QuestionFactory.create_batch(5, site=world.math)
    chunks, progress, iterated = [], [], []
    real_progress, real_iterator = services._export_progress, QuerySet.iterator
    monkeypatch.setattr(services, "_export_progress", lambda e, done: (progress.append(done), real_progress(e, done)))
    monkeypatch.setattr(QuerySet, "iterator", lambda qs, chunk_size=None: (iterated.append(chunk_size),
                                                                          real_iterator(qs, chunk_size))[1])  # fmt: skip
    monkeypatch.setattr(exports, "table_writer", spying_writer(exports.table_writer, chunks))
    export = run_export(world.user, tables=["questions", "answers"])
    assert chunks == [2, 2, 2, 1, 2]  # 7 public questions, then 2 answers
    assert iterated == [2, 2]
    assert progress == [2, 4, 6, 7, 9] and export.rows_done == export.rows_total == 9


def test_queries_do_not_grow_with_the_rows(world, run_export):
    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            run_export(world.user)
        return len(captured)

    few = queries()
    for _ in range(20):
        answer = AnswerFactory(question=QuestionFactory(site=world.math), review_state="verified_incorrect")
        ReviewFactory(answer=answer)
    assert queries() == few


def test_cancelling_stops_a_running_export(world, run_export, settings, monkeypatch, export_dir):
    settings.QUORUM_EXPORT_CHUNK_ROWS = 1
    chunks = []

    def cancel_by_the_user(_):
        services.export_cancel(export=Export.objects.get(), actor=world.user)

    monkeypatch.setattr(exports, "table_writer", spying_writer(exports.table_writer, chunks, cancel_by_the_user))
    export = run_export(world.user)
    assert export.status == "cancelled" and chunks == [1]
    assert export.rows_done < export.rows_total and export.file_name == ""
    assert list(export_dir.iterdir()) == []


def test_cancelling_a_queued_export_is_immediate(world):
    export = services.export_request(user=world.user, tables=ALL, format="csv")
    assert services.export_cancel(export=export, actor=world.user).status == "cancelled"
    with pytest.raises(DomainError):
        services.export_cancel(export=export, actor=world.bob)
    assert services.export_run(export_id=export.pk) is None  # a late message does nothing


def no_space(*args, **kwargs):
    raise OSError(errno.ENOSPC, "No space left on device")


@pytest.mark.parametrize("where", ["table", "archive"])
def test_a_full_disk_fails_the_export_cleanly(world, run_export, settings, monkeypatch, export_dir, where):
    settings.QUORUM_EXPORT_CHUNK_ROWS = 1
    if where == "table":
        def second_chunk_fills_the_disk(count):
            if count == 2:
                no_space()

        writer = spying_writer(exports.table_writer, [], after_write=second_chunk_fills_the_disk)
        monkeypatch.setattr(exports, "table_writer", writer)
    else:
        real_write = zipfile.ZipFile.write
        written = []
        monkeypatch.setattr(zipfile.ZipFile, "write", lambda self, *a, **k: (
            written.append(1), real_write(self, *a, **k) if len(written) == 1 else no_space()))  # fmt: skip
    export = run_export(world.user)
    assert export.status == "failed"
    assert "ran out of disk space" in export.error and export.file_name == ""
    assert list(export_dir.iterdir()) == []  # no work folder, no partial archive
    assert services.export_request(user=world.user, tables=ALL, format="csv")  # the user may try again


def test_an_unusable_export_folder_fails_the_export_with_a_clear_message(world, run_export, settings, tmp_path):
    settings.QUORUM_EXPORT_DIR = tmp_path / "not-a-folder"
    settings.QUORUM_EXPORT_DIR.write_text("a file where the folder should be")
    export = run_export(world.user)
    assert export.status == "failed" and "could not be written" in export.error


def test_cleanup_removes_old_files_and_fails_lost_runs(world, run_export, export_dir):
    from datetime import timedelta

    from django.utils import timezone

    done = run_export(world.user)
    lost = Export.objects.create(requested_by=world.bob, tables=ALL, format="csv", status="running",
                                 started_at=timezone.now() - timedelta(hours=8))  # fmt: skip
    (export_dir / ".work-99-dead").mkdir()
    assert services.exports_cleanup() == 0  # nothing old enough yet
    later = timezone.now() + timedelta(days=8)
    assert services.exports_cleanup(now=later) == 2  # the archive and the dead run's folder
    done.refresh_from_db()
    lost.refresh_from_db()
    assert done.file_name == "" and not done.is_downloadable and list(export_dir.iterdir()) == []
    assert lost.status == "failed" and "worker" in lost.error
