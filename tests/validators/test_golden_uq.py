"""Golden tests: UQ's call counts, wrapping order and voting, on scripted judges."""

import pytest

import validators
from tests.validators.helpers import ANSWER, QUESTION, phase_judge
from validators import prompts
from validators.config import call_bounds, load
from validators.pipeline import tally

STRATEGIES = list(prompts.STRATEGIES)


def config(node, **defaults):
    return {"judges": {"default": {"kind": "scripted", "model": "judge"}},
            "defaults": defaults, "pipeline": node}  # fmt: skip


@pytest.mark.parametrize("strategy", STRATEGIES)
@pytest.mark.parametrize(("samples", "turns"), [(1, 1), (1, 3), (3, 1), (3, 3), (2, 2)])
def test_calls_multiply_as_in_uq(strategy, samples, turns):
    judge = phase_judge()
    node = {"strategy": strategy, "samples": samples, "turns": turns, "batch_samples": False}
    verdict = validators.judge(QUESTION, ANSWER, config(node), backends={"default": judge})
    base = 2 if strategy == "cycle_consistency" else 1
    expected = samples * (base + turns - 1)
    assert verdict["calls"] == len(judge.calls) == expected
    assert call_bounds(load(config(node))["pipeline"]) == (expected, expected)
    assert verdict["decision"] == "accept"
    assert len(verdict["votes"]) == samples * turns


@pytest.mark.parametrize(("replies", "calls", "decision", "completed"), [
    ({"cycle_consistency": ["N"]}, 2, "reject", 1),
    ({"fact_check": ["N"]}, 3, "reject", 2),
    ({"correctness": ["N"]}, 4, "reject", 3),
    ({}, 4, "accept", 3),
])  # fmt: skip
def test_uq_default_stops_at_first_rejection(replies, calls, decision, completed):
    judge = phase_judge(replies)
    verdict = validators.judge(QUESTION, ANSWER, "uq-default", backends={"default": judge})
    assert verdict["calls"] == calls
    assert verdict["decision"] == decision
    assert verdict["steps"]["completed_steps"] == completed
    evaluation = verdict["uq_evaluation"]
    assert evaluation["strategy"] == "sequential_judgment"
    assert evaluation["is_accepted"] is (decision == "accept")
    assert [s["strategy"] for s in evaluation["step_results"]] == [
        "cycle_consistency", "factual_error", "total_correctness"][:completed]


def test_uq_recommended_spends_at_most_ten_calls_and_votes_by_majority():
    # Per step 3 turns: cycle consistency 2 + 2, fact check 1 + 2, correctness 1 + 2.
    judge = phase_judge({"fact_check": ["Y", "N", "Y"], "correctness": ["N", "Y", "Y"]})
    verdict = validators.judge(QUESTION, ANSWER, "uq-recommended", backends={"default": judge})
    assert verdict["calls"] == 10
    assert verdict["decision"] == "accept"  # 2 of 3 turns accept in each step


def test_uq_strict_rejects_on_any_turn():
    judge = phase_judge({"fact_check": ["Y", "N", "Y"]})
    verdict = validators.judge(QUESTION, ANSWER, "uq-strict", backends={"default": judge})
    assert verdict["decision"] == "reject"
    assert verdict["calls"] == 4 + 3  # stops after fact check
    step = verdict["uq_evaluation"]["step_results"][1]
    assert step["strategy"] == "multi_turn(factual_error)"
    assert step["decisions"] == [True, False, True]
    assert step["voting_method"] == "unanimous"


def test_multi_turn_reflects_in_the_same_conversation():
    judge = phase_judge()
    node = {"strategy": "fact_check", "turns": 3}
    validators.judge(QUESTION, ANSWER, config(node), backends={"default": judge})
    convs = [call["messages"] for call in judge.calls]
    assert [len(c) for c in convs] == [1, 3, 5]
    assert convs[2][:3] == convs[1]
    assert [m["role"] for m in convs[2]] == ["user", "assistant", "user", "assistant", "user"]
    assert convs[2][1]["content"].endswith("[[Y]]")
    assert "reconsideration" in convs[2][2]["content"]


def test_cycle_consistency_reflects_only_on_the_comparison():
    judge = phase_judge()
    node = {"strategy": "cycle_consistency", "turns": 3}
    verdict = validators.judge(QUESTION, ANSWER, config(node), backends={"default": judge})
    phases = [call["meta"]["phase"] for call in judge.calls]
    assert phases == ["infer", "verdict", "verdict", "verdict"]
    infer, compare = judge.calls[0]["messages"], judge.calls[1]["messages"]
    assert len(infer) == 1 and ANSWER in infer[0]["content"]
    assert QUESTION["body"] not in infer[0]["content"]  # inferred from the answer alone
    assert "[Inferred Question]" in compare[0]["content"]
    assert judge.calls[3]["messages"][0] == compare[0]  # reflection continues the comparison
    inferred = verdict["uq_evaluation"]["inferred_question"]
    assert inferred.startswith("Is every bounded sequence")


def test_turns_vote_inside_samples_and_samples_vote_outside():
    # 3 samples x 3 turns, majority over turns, unanimous over samples. Samples run
    # concurrently, so the scripted replies are keyed by sample path, not by call order.
    plan = {"sample[0]": "YYN", "sample[1]": "YNN", "sample[2]": "YYY"}

    def respond(messages, meta, index):
        sample = meta["path"].split("/")[1]
        turn = int(meta["path"].rsplit("[", 1)[1].rstrip("]"))
        return f"[[{plan[sample][turn]}]]"

    from validators.backends import ScriptedBackend

    node = {"strategy": "vanilla", "samples": 3, "turns": 3, "turn_voting": "majority",
            "sample_voting": "unanimous"}  # fmt: skip
    verdict = validators.judge(QUESTION, ANSWER, config(node),
                               backends={"default": ScriptedBackend(respond)})  # fmt: skip
    samples = verdict["steps"]["sample_results"]
    assert [s["decision"] for s in samples] == ["accept", "reject", "accept"]
    assert verdict["decision"] == "reject"
    assert verdict["calls"] == 9
    evaluation = verdict["uq_evaluation"]
    assert evaluation["strategy"] == "repeated_sampling(vanilla)"
    assert evaluation["decisions"] == [True, False, True]
    assert evaluation["sample_results"][0]["strategy"] == "multi_turn(vanilla)"


@pytest.mark.parametrize(("votes", "method", "expected"), [
    (["accept", "reject"], "majority", "reject"),  # a tie rejects, as in UQ
    (["accept", "accept", "reject"], "majority", "accept"),
    (["accept", "reject", "reject"], "majority", "reject"),
    (["accept", "accept", "accept"], "unanimous", "accept"),
    (["accept", "accept", "reject"], "unanimous", "reject"),
    # Abstentions settle nothing they could have changed:
    (["accept", "accept", "abstain"], "majority", "accept"),
    (["reject", "reject", "abstain"], "majority", "reject"),
    (["accept", "reject", "abstain"], "majority", "abstain"),
    (["accept", "abstain", "abstain"], "majority", "abstain"),
    (["accept", "abstain"], "unanimous", "abstain"),
    (["reject", "abstain"], "unanimous", "reject"),
])  # fmt: skip
def test_tally(votes, method, expected):
    assert tally(votes, method) == expected


def test_reference_answer_reaches_the_prompts_that_use_it():
    judge = phase_judge()
    question = {**QUESTION, "reference_answer": "REF: Bolzano-Weierstrass."}
    node = ["relevance", "fact_check", "final_answer", "correctness", "vanilla"]
    verdict = validators.judge(question, ANSWER, config(node), backends={"default": judge})
    with_ref = ["REF: Bolzano-Weierstrass." in c["messages"][0]["content"] for c in judge.calls]
    assert with_ref == [False, True, True, True, True]  # UQ's relevance check ignores it
    assert verdict["used_reference"] is True
    judge2 = phase_judge()
    validators.judge(question, ANSWER, config(node, use_reference=False),
                     backends={"default": judge2})  # fmt: skip
    assert not any("REF:" in c["messages"][0]["content"] for c in judge2.calls)


def test_reasoning_trace_before_think_is_not_judged():
    judge = phase_judge()
    validators.judge(QUESTION, {"answer": "secret chain <think>x</think>Final: yes"},
                     config("vanilla"), backends={"default": judge})  # fmt: skip
    prompt = judge.calls[0]["messages"][0]["content"]
    assert "Final: yes" in prompt and "secret chain" not in prompt
