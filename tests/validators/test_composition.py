"""Cascade, panel, batched samples, concurrency caps, reward-model scorer, purity."""

import asyncio
import subprocess
import sys

import pytest

import validators
from tests.validators.helpers import ANSWER, QUESTION, phase_judge
from validators.backends import Capabilities, ScriptedBackend
from validators.scorers import register_scorer, unregister_scorer


def test_cascade_rejects_cheaply_when_the_cheap_judge_is_sure():
    cheap, strong = phase_judge({"fact_check": ["N"]}), phase_judge()
    verdict = validators.judge(QUESTION, ANSWER, "quorum-cascade",
                               backends={"cheap": cheap, "strong": strong})  # fmt: skip
    assert verdict["decision"] == "reject"
    assert verdict["calls"] == 1 and len(strong.calls) == 0
    assert verdict["steps"]["stages_run"] == 1


def test_cascade_escalates_an_accept_to_the_strong_judge():
    cheap = phase_judge()
    strong = phase_judge({"correctness": ["Y", "N", "Y"]})
    verdict = validators.judge(QUESTION, ANSWER, "quorum-cascade",
                               backends={"cheap": cheap, "strong": strong})  # fmt: skip
    assert verdict["steps"]["stages_run"] == 2
    assert verdict["steps"]["escalations"] == [["decision accept"]]
    assert verdict["decision"] == "reject"  # unanimity over the strong samples
    assert len(cheap.calls) == 2 and len(strong.calls) == 4
    assert verdict["calls"] == 6
    assert {v["judge"] for v in verdict["votes"]} == {"cheap", "strong"}


def test_cascade_escalates_disagreement_and_low_confidence():
    config = {
        "judges": {"cheap": {"kind": "scripted", "model": "small"},
                   "strong": {"kind": "scripted", "model": "big"}},
        "pipeline": {"type": "cascade", "stages": [
            {"strategy": "vanilla", "judge": "cheap", "samples": 3, "batch_samples": False},
            {"strategy": "vanilla", "judge": "strong"}],
            "escalate": {"decisions": ["abstain"], "on_disagreement": True,
                         "score_band": [0.2, 0.8]}},
    }  # fmt: skip
    split = iter(["[[N]]", "[[Y]]", "[[N]]"])
    cheap = ScriptedBackend(lambda m, meta, i: next(split))
    strong = ScriptedBackend(["[[Y]]"])
    verdict = validators.judge(QUESTION, ANSWER, config, backends={"cheap": cheap, "strong": strong})
    assert verdict["decision"] == "accept"
    assert verdict["steps"]["escalations"][0][0] == "votes disagree"
    # unanimous cheap rejection: no escalation
    cheap, strong = ScriptedBackend(default="[[N]]"), ScriptedBackend([])
    verdict = validators.judge(QUESTION, ANSWER, config, backends={"cheap": cheap, "strong": strong})
    assert verdict["decision"] == "reject" and verdict["calls"] == 3


def test_panel_of_model_families():
    config = {
        "judges": {"gpt": {"kind": "scripted", "model": "gpt-x", "family": "gpt"},
                   "qwen": {"kind": "scripted", "model": "qwen-x", "family": "qwen"},
                   "llama": {"kind": "scripted", "model": "llama-x", "family": "llama"}},
        "pipeline": {"type": "panel", "voting": "majority", "members": [
            {"strategy": "correctness", "judge": "gpt"},
            {"strategy": "correctness", "judge": "qwen"},
            {"strategy": "correctness", "judge": "llama"}]},
    }  # fmt: skip
    backends = {"gpt": phase_judge(model="gpt-x"), "qwen": phase_judge({"correctness": ["N"]}),
                "llama": phase_judge(model="llama-x")}  # fmt: skip
    verdict = validators.judge(QUESTION, ANSWER, config, backends=backends)
    assert verdict["decision"] == "accept"
    assert verdict["score"] == pytest.approx(2 / 3)
    assert verdict["steps"]["disagreement"] is True
    assert verdict["uq_evaluation"]["strategy"] == "panel"
    config["pipeline"]["voting"] = "unanimous"
    backends["qwen"] = phase_judge({"correctness": ["N"]})
    assert validators.judge(QUESTION, ANSWER, config, backends=backends)["decision"] == "reject"
    config["pipeline"].update(voting="mean", threshold=0.6)
    backends["qwen"] = phase_judge({"correctness": ["N"]})
    assert validators.judge(QUESTION, ANSWER, config, backends=backends)["decision"] == "accept"


def test_samples_use_n_in_one_request_where_the_server_supports_it():
    judge = ScriptedBackend(default="[[Y]]", capabilities=Capabilities(n=True))
    config = {"judges": {"default": {"kind": "scripted", "model": "m"}},
              "pipeline": {"strategy": "correctness", "samples": 3}}  # fmt: skip
    verdict = validators.judge(QUESTION, ANSWER, config, backends={"default": judge})
    assert verdict["calls"] == 3 and verdict["requests"] == 1
    assert judge.calls[0]["n"] == 3
    assert verdict["prompt_tokens"] > 0
    booked = [t["prompt_tokens"] for t in verdict["transcripts"]]
    assert booked[0] > 0 and booked[1:] == [0, 0]  # the request's usage is counted once
    # an unparseable choice is retried on its own
    replies = iter(["[[Y]]", "hmm", "[[N]]", "[[N]]"])
    judge = ScriptedBackend(lambda m, meta, i: next(replies), capabilities=Capabilities(n=True))
    verdict = validators.judge(QUESTION, ANSWER, config, backends={"default": judge})
    assert verdict["calls"] == 4 and verdict["requests"] == 2
    assert verdict["decision"] == "reject"


def test_samples_run_concurrently_and_answers_are_capped():
    judge = phase_judge(delay_s=0.05)
    config = {"judges": {"default": {"kind": "scripted", "model": "m"}},
              "pipeline": {"strategy": "vanilla", "samples": 4}}  # fmt: skip
    validators.judge(QUESTION, ANSWER, config, backends={"default": judge})
    assert judge.max_in_flight == 4  # all four samples were in flight at once

    async def many():
        judge = phase_judge(delay_s=0.02)
        validator = validators.Validator(config, backends={"default": judge})
        items = [((f"q{i}", "m"), QUESTION, ANSWER) for i in range(12)]
        results = [r async for r in validator.judge_many(items, concurrency=2)]
        return judge, results

    judge, results = asyncio.run(many())
    assert len(results) == 12 and all(err is None for _, _, err in results)
    assert judge.max_in_flight == 2 * 4  # two answers at a time, four samples each


def test_backend_concurrency_cap_holds_across_answers():
    judge = phase_judge(delay_s=0.01, max_concurrency=3)
    validator = validators.Validator("uq-default", backends={"default": judge})

    async def many():
        items = [((f"q{i}", "m"), QUESTION, ANSWER) for i in range(10)]
        return [r async for r in validator.judge_many(items, concurrency=10)]

    assert len(asyncio.run(many())) == 10
    assert judge.max_in_flight == 3


def test_transient_errors_surface_for_the_worker_to_retry():
    judge = ScriptedBackend([{"error": "429"}])
    with pytest.raises(validators.TransientBackendError):
        validators.judge(QUESTION, ANSWER, "uq-default", backends={"default": judge})
    judge = ScriptedBackend([{"error": "400"}])
    with pytest.raises(validators.BackendError) as info:
        validators.judge(QUESTION, ANSWER, "uq-default", backends={"default": judge})
    assert not info.value.transient


def test_reward_model_scorer_in_a_pipeline():
    class Fixed:
        device = "cpu"

        def score(self, question, answer):
            return 0.9 if "Bolzano" in answer else 0.1

    register_scorer("fake-rm", Fixed())
    try:
        config = {"judges": {"default": {"kind": "scripted", "model": "m"}},
                  "pipeline": [{"type": "reward_model", "model": "fake-rm", "threshold": 0.5},
                               "correctness"]}  # fmt: skip
        verdict = validators.judge(QUESTION, ANSWER, config, backends={"default": phase_judge()})
        assert verdict["decision"] == "accept" and verdict["calls"] == 1
        assert verdict["votes"][0]["score"] == 0.9
        verdict = validators.judge(QUESTION, "no idea", config,
                                   backends={"default": phase_judge()})  # fmt: skip
        assert verdict["decision"] == "reject" and verdict["calls"] == 0
        alone = {"pipeline": {"type": "reward_model", "model": "fake-rm", "threshold": 0.95}}
        verdict = validators.judge(QUESTION, ANSWER, alone)
        assert verdict["decision"] == "reject" and verdict["score"] == 0.9
        assert verdict["uq_evaluation"]["strategy"] == "reward_model"
    finally:
        unregister_scorer("fake-rm")


def test_reward_model_scorer_with_transformers():
    torch = pytest.importorskip("torch")
    transformers = pytest.importorskip("transformers")
    from validators.scorers.reward_model import RewardModelScorer

    vocab = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", "yes", "no", "bolzano", "theorem"]
    tokenizer_dir = __import__("tempfile").mkdtemp()
    with open(f"{tokenizer_dir}/vocab.txt", "w") as handle:
        handle.write("\n".join(vocab))
    tokenizer = transformers.BertTokenizer(f"{tokenizer_dir}/vocab.txt")
    torch.manual_seed(0)
    module = transformers.BertForSequenceClassification(transformers.BertConfig(
        vocab_size=len(vocab), hidden_size=16, num_hidden_layers=1, num_attention_heads=2,
        intermediate_size=32, num_labels=1))  # fmt: skip
    scorer = RewardModelScorer("tiny", device="cpu", tokenizer=tokenizer, module=module,
                               max_length=64)  # fmt: skip
    value = scorer.score(QUESTION, "bolzano theorem yes")
    assert 0.0 <= value <= 1.0
    # the whole path: a reward_model node loading a saved model folder (no hub)
    folder = __import__("tempfile").mkdtemp()
    module.save_pretrained(folder)
    tokenizer.save_pretrained(folder)
    config = {"pipeline": {"type": "reward_model", "model": folder, "threshold": 0.0,
                           "device": "cpu", "max_length": 64}}  # fmt: skip
    verdict = validators.judge(QUESTION, "bolzano theorem yes", config)
    assert verdict["decision"] == "accept" and verdict["calls"] == 0
    assert verdict["score"] == pytest.approx(value, abs=1e-5)
    assert verdict["steps"]["device"] == "cpu"


def test_the_library_never_imports_django_or_celery():
    code = ("import sys, validators, validators.cli, validators.backends.openai_compat, "
            "validators.backends.llamacpp, validators.scorers.reward_model; "
            "bad = [m for m in sys.modules if m.split('.')[0] in "
            "('django', 'celery', 'rest_framework', 'torch', 'transformers', 'llama_cpp')]; "
            "print(bad); sys.exit(1 if bad else 0)")  # fmt: skip
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            cwd=__import__("pathlib").Path(__file__).parents[2])  # fmt: skip
    assert result.returncode == 0, result.stdout + result.stderr
