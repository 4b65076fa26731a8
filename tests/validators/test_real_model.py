"""A real judge: SmolLM2-135M behind llama.cpp's OpenAI-compatible server on loopback,
reached through the real `openai` client. Structure, call counts, token accounting and
retries are asserted, never the tiny model's judgement. Skipped only when llama-cpp-python
(extra `llm-local`) is not installed."""

import json

import validators
from tests.support.llama import requires_llama
from tests.validators.helpers import ANSWER, QUESTION
from validators.cli import main

pytestmark = requires_llama  # the session's llama_server fixture (tests/conftest.py)


def config(base, max_tokens, pipeline, parse_retries=1):
    return {
        "judges": {"default": {"model": "smollm2", "base_url": base, "api_key_env": None,
                               "profile": "llamacpp", "timeout_s": 120, "max_retries": 2,
                               "params": {"max_tokens": max_tokens, "temperature": 0.0,
                                          "seed": 0}}},
        "defaults": {"parse_retries": parse_retries},
        "pipeline": pipeline,
    }  # fmt: skip


def check_accounting(verdict):
    transcripts = verdict["transcripts"]
    assert verdict["calls"] == len(transcripts) == verdict["requests"]
    assert verdict["prompt_tokens"] == sum(t["prompt_tokens"] for t in transcripts) > 0
    assert verdict["completion_tokens"] == sum(t["completion_tokens"] for t in transcripts) > 0
    assert all(t["prompt_tokens"] > 0 and t["finish_reason"] in ("stop", "length")
               for t in transcripts)  # fmt: skip
    verdict_calls = [t for t in transcripts if t["kind"] == "verdict"]
    assert len(verdict_calls) == sum(v["attempts"] for v in verdict["votes"])
    for vote in verdict["votes"]:
        assert vote["decision"] in ("accept", "reject", "abstain")
        if vote["decision"] == "abstain":
            assert vote["attempts"] == 2  # retried once, then recorded as abstain
            assert vote["reason"] in ("truncated", "unparseable")
        for tid in vote["transcripts"][:-1]:  # every retried attempt had a reason to be
            t = transcripts[tid]
            assert t["finish_reason"] == "length" or "[[" not in t["response"]
    assert 0.0 <= verdict["score"] <= 1.0
    json.dumps(verdict)  # plain data


def test_uq_default_pipeline_through_the_openai_client(llama_server):
    verdict = validators.judge(QUESTION, ANSWER, config(llama_server, 24, [
        "cycle_consistency", "fact_check", "correctness"]))  # fmt: skip
    check_accounting(verdict)
    assert verdict["transcripts"][0]["kind"] == "infer"
    steps = verdict["steps"]
    assert steps["type"] == "sequential" and 1 <= steps["completed_steps"] <= 3
    assert verdict["calls"] <= 1 + 2 * 3  # inference + (1 + 1 retry) per verdict
    assert verdict["judges"] == {"default": "smollm2"}


def test_truncation_is_retried_then_abstains(llama_server):
    verdict = validators.judge(QUESTION, ANSWER, config(llama_server, 3, "vanilla"))
    check_accounting(verdict)
    (vote,) = verdict["votes"]
    if vote["decision"] == "abstain":
        assert verdict["calls"] == 2
        first = verdict["transcripts"][0]
        if first["finish_reason"] == "length":
            # the retry was allowed more tokens
            assert verdict["transcripts"][1]["completion_tokens"] <= 6


def test_cli_against_the_server(llama_server, tmp_path):
    q, a, out = tmp_path / "q.jsonl", tmp_path / "a.jsonl", tmp_path / "out.jsonl"
    q.write_text(json.dumps(QUESTION) + "\n")
    a.write_text(json.dumps({"question_id": "q1", "model_name": "m", "answer": ANSWER}) + "\n")
    cfg = tmp_path / "c.json"
    cfg.write_text(json.dumps(config(llama_server, 16, "vanilla")))
    assert main(["validate", "--questions", str(q), "--answers", str(a), "--config", str(cfg),
                 "--out", str(out), "--quiet"]) == 0  # fmt: skip
    (row,) = [json.loads(line) for line in out.read_text().splitlines()]
    assert isinstance(row["evaluation"]["is_accepted"], bool)
    check_accounting(row["verdict"])


def test_in_process_llama_cpp_backend():
    verdict = validators.judge(QUESTION, ANSWER, "demo-inprocess",
                               overrides={"judges.default.params.max_tokens": "16"})  # fmt: skip
    check_accounting(verdict)
    assert verdict["config_name"] == "demo-inprocess"
