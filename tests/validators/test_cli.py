"""python -m validators: validate (UQ formats, progress, resume), presets, explain, schema."""

import contextlib
import json
import subprocess
import sys
from pathlib import Path

import pytest

from validators.cli import main
from validators.config import config_hash

ROOT = Path(__file__).resolve().parents[2]
SCRIPTED = {
    "name": "scripted-uq",
    "judges": {"default": {"kind": "scripted", "model": "scripted-judge", "rules": [
        {"match": "Write the question", "reply": "What is asked?"},
        {"match": "FAIL429", "reply": {"error": "429"}},
        {"match": "WRONG", "reply": "Flawed. [[N]]"},
    ], "default": "Fine. [[Y]]"}},
    "pipeline": ["cycle_consistency", "fact_check", "correctness"],
}  # fmt: skip


@pytest.fixture
def files(tmp_path):
    questions = [
        {"question_id": "q1", "title": "One", "body": "Body one", "tags": ["a"], "site": "math"},
        {"id": "q2", "title": "Two", "body": "Body two", "score": 5},  # UQ crawler shape
        {"question_id": "q3", "title": "Three", "body": "Body three"},
    ]
    answers = [
        {"question_id": "q1", "model_name": "m1", "answer": "<think>hmm</think>Good answer"},
        {"question_id": "q2", "model_name": "m1", "answer": "WRONG answer"},
        {"question_id": "q3", "model_name": "m1", "answer": "Another good one"},
        {"question_id": "q1", "model_name": "m2", "answer": "Good too"},
        {"question_id": "q1", "model_name": "m3", "error": "generation failed"},
        {"question_id": "nope", "model_name": "m1", "answer": "orphan"},
    ]
    q, a, c = tmp_path / "q.jsonl", tmp_path / "a.jsonl", tmp_path / "config.json"
    q.write_text("".join(json.dumps(x) + "\n" for x in questions))
    a.write_text("".join(json.dumps(x) + "\n" for x in answers))
    c.write_text(json.dumps(SCRIPTED))
    return {"q": str(q), "a": str(a), "c": str(c), "out": tmp_path / "out" / "results.jsonl"}


def validate(files, *extra):
    return main(["validate", "--questions", files["q"], "--answers", files["a"],
                 "--config", files["c"], "--out", str(files["out"]), "--quiet", *extra])


def rows(path):
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


def test_validate_writes_uq_compatible_lines_with_the_full_verdict(files, capsys):
    assert validate(files) == 0
    out = rows(files["out"])
    assert sorted((r["question_id"], r["model_name"]) for r in out) == [
        ("q1", "m1"), ("q1", "m2"), ("q2", "m1"), ("q3", "m1")]
    by_key = {(r["question_id"], r["model_name"]): r for r in out}
    wrong = by_key[("q2", "m1")]
    assert wrong["evaluation"]["is_accepted"] is False
    assert wrong["evaluation"]["strategy"] == "sequential_judgment"
    assert wrong["verdict"]["decision"] == "reject" and wrong["verdict"]["calls"] == 2
    good = by_key[("q1", "m1")]
    assert good["evaluation"]["is_accepted"] is True and good["verdict"]["calls"] == 4
    assert good["verdict"]["config_hash"] == config_hash(SCRIPTED)
    assert good["verdict"]["library_version"]
    prompt = good["verdict"]["transcripts"][1]["messages"][0]["content"]
    assert "Good answer" in prompt and "hmm" not in prompt
    assert "accept 3, reject 1, abstain 0, error 0" in capsys.readouterr().err


def test_validate_resumes_after_an_interruption(files):
    assert validate(files, "--limit", "2") == 0
    assert len(rows(files["out"])) == 2
    with files["out"].open("a") as handle:
        handle.write('{"question_id": "q3", "model_na')  # torn by a kill mid-write
    assert validate(files) == 0
    out = rows_tolerant(files["out"])
    assert len(out) == 4
    assert len({(r["question_id"], r["model_name"]) for r in out}) == 4
    assert validate(files) == 0  # nothing left to do
    assert len(rows_tolerant(files["out"])) == 4


def rows_tolerant(path):
    out = []
    for line in path.read_text().splitlines():
        with contextlib.suppress(ValueError):
            out.append(json.loads(line))
    return out


def test_errors_are_recorded_and_retried_on_the_next_run(files):
    answers = Path(files["a"])
    answers.write_text(json.dumps({"question_id": "q1", "model_name": "m9",
                                   "answer": "FAIL429 please"}) + "\n")  # fmt: skip
    assert validate(files) == 1
    (row,) = rows(files["out"])
    assert row["transient"] is True and "429" in row["error"]
    answers.write_text(json.dumps({"question_id": "q1", "model_name": "m9",
                                   "answer": "fine now"}) + "\n")  # fmt: skip
    assert validate(files) == 0
    assert rows(files["out"])[-1]["verdict"]["decision"] == "accept"


def test_a_changed_config_judges_again(files):
    assert validate(files) == 0
    assert validate(files, "--set", "pipeline=[\"vanilla\"]") == 0
    out = rows(files["out"])
    assert len(out) == 8
    assert len({r["verdict"]["config_hash"] for r in out}) == 2


def test_bad_config_exits_2_with_a_clear_message(files, capsys):
    assert validate(files, "--set", "pipeline.0=vibes") == 2
    assert "unknown strategy 'vibes'" in capsys.readouterr().err


def test_presets_explain_schema(capsys):
    assert main(["presets"]) == 0
    text = capsys.readouterr().out
    for name in ("uq-default", "uq-recommended", "uq-strict", "quorum-cascade"):
        assert name in text
    assert main(["explain", "uq-recommended"]) == 0
    assert "at most 10" in capsys.readouterr().out
    assert main(["explain", "uq-default", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["config"]["name"] == "uq-default"
    assert main(["schema"]) == 0
    assert json.loads(capsys.readouterr().out)["title"] == "Quorum validator config"


def test_module_entry_point():
    result = subprocess.run([sys.executable, "-m", "validators", "explain", "uq-strict"],
                            cwd=ROOT, capture_output=True, text=True)  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert "unanimous" in result.stdout
