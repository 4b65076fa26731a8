"""Last-tag / JSON parsing, retries of unparseable or truncated replies, abstentions."""

import math

import pytest

import validators
from tests.validators.helpers import ANSWER, QUESTION, phase_judge
from validators.backends import Capabilities, ScriptedBackend
from validators.parsing import p_yes, parse_verdict


def config(node, **defaults):
    return {"judges": {"default": {"kind": "scripted", "model": "judge"}},
            "defaults": defaults, "pipeline": node}  # fmt: skip


@pytest.mark.parametrize(("text", "decision", "method"), [
    ('Use "[[Y]]" if right or "[[N]]" if wrong. ... It is wrong. [[N]]', "N", "tag"),
    ("Accepted: [[N]] ... on reflection the proof holds. Accepted: [[Y]]", "Y", "tag"),
    ("[[ yes ]]", "Y", "tag"),
    ('{"reasoning": "fine", "verdict": "Y"}', "Y", "json"),
    ('```json\n{"reasoning": "bad", "verdict": "N"}\n```', "N", "json"),
    ('<think>maybe [[Y]]</think>Final: [[N]]', "N", "tag"),
    ('<think>[[Y]] surely</think>I cannot decide.', None, None),
    ("No decision here.", None, None),
    ("", None, None),
])  # fmt: skip
def test_parse_verdict(text, decision, method):
    parsed = parse_verdict(text)
    assert (parsed.decision, parsed.method) == (decision, method)


def test_json_format_prefers_the_json_object():
    text = '{"reasoning": "the format says [[N]] for wrong answers", "verdict": "Y"}'
    assert parse_verdict(text, "json").decision == "Y"
    assert parse_verdict(text, "tag").decision == "N"  # a tag-format judge would read the tag


def test_p_yes_reads_the_decision_token():
    text = "Fine. [[Y]]"
    tokens = [("Fine.", -0.1, []), (" [[", -0.01, []),
              ("Y", math.log(0.8), [("Y", math.log(0.8)), ("N", math.log(0.2))]),
              ("]]", -0.01, [])]  # fmt: skip
    from validators.backends.scripted import _logprobs

    parsed = parse_verdict(text)
    assert p_yes(text, _logprobs(tokens), parsed.offset) == pytest.approx(0.8)
    # the decision letter fused with the bracket in one token
    tokens = [("Fine. ", -0.1, []), ("[[N", math.log(0.3), [("[[Y", math.log(0.6)),
              ("[[N", math.log(0.3))]), ("]]", 0.0, [])]  # fmt: skip
    assert p_yes("Fine. [[N]]", _logprobs(tokens), parse_verdict("Fine. [[N]]").offset) == (
        pytest.approx(0.6 / 0.9))
    assert p_yes(text, None, parsed.offset) is None


def test_unparseable_reply_is_retried_then_abstains_not_rejects():
    judge = phase_judge({"vanilla": ["I think so.", "Hmm.", "Not sure."]})
    verdict = validators.judge(QUESTION, ANSWER, config("vanilla", parse_retries=2),
                               backends={"default": judge})  # fmt: skip
    assert verdict["decision"] == "abstain" and verdict["is_accepted"] is False
    assert verdict["calls"] == 3
    vote = verdict["votes"][0]
    assert vote["decision"] == "abstain" and vote["reason"] == "unparseable"
    assert vote["attempts"] == 3 and vote["transcripts"] == [0, 1, 2]
    assert verdict["score"] == 0.5


def test_retry_recovers():
    judge = phase_judge({"vanilla": ["I think so.", "N"]})
    verdict = validators.judge(QUESTION, ANSWER, config("vanilla"), backends={"default": judge})
    assert verdict["decision"] == "reject"
    assert verdict["votes"][0]["attempts"] == 2
    assert verdict["calls"] == 2


def test_truncated_reply_is_retried_even_if_it_holds_a_tag():
    # An echoed instruction cut off by the token limit must not count.
    replies = [{"text": 'Format: "[[Y]]" if correct', "finish_reason": "length"},
               {"text": "Checked. [[N]]"}]  # fmt: skip
    judge = ScriptedBackend(replies)
    cfg = {"judges": {"default": {"kind": "scripted", "model": "j",
                                  "params": {"max_tokens": 100}}},
           "pipeline": "vanilla"}  # fmt: skip
    verdict = validators.judge(QUESTION, ANSWER, cfg, backends={"default": judge})
    assert verdict["decision"] == "reject"
    assert verdict["transcripts"][0]["finish_reason"] == "length"
    assert [c["params"]["max_tokens"] for c in judge.calls] == [100, 200]  # room to finish


def test_truncated_every_time_abstains():
    judge = ScriptedBackend(default={"text": "Let me think", "finish_reason": "length"})
    verdict = validators.judge(QUESTION, ANSWER, config("vanilla", parse_retries=1),
                               backends={"default": judge})  # fmt: skip
    assert verdict["decision"] == "abstain"
    assert verdict["votes"][0]["reason"] == "truncated"
    assert verdict["calls"] == 2


def test_sequential_goes_on_after_an_abstention_and_a_later_reject_decides():
    judge = phase_judge({"fact_check": ["?", "?", "?"], "correctness": ["N"]})
    verdict = validators.judge(QUESTION, ANSWER, "uq-default", backends={"default": judge})
    assert verdict["decision"] == "reject"
    assert verdict["calls"] == 2 + 3 + 1
    judge = phase_judge({"fact_check": ["?", "?", "?"]})
    verdict = validators.judge(QUESTION, ANSWER, "uq-default", backends={"default": judge})
    assert verdict["decision"] == "abstain"


def test_score_comes_from_logprobs_when_the_backend_gives_them():
    reply = {"text": "[[Y]]", "logprobs": [("[[", 0.0, []), ("Y", math.log(0.7), [
        ("Y", math.log(0.7)), ("N", math.log(0.3))]), ("]]", 0.0, [])]}  # fmt: skip
    caps = Capabilities(logprobs=True)
    judge = ScriptedBackend([reply], capabilities=caps)
    verdict = validators.judge(QUESTION, ANSWER, config("vanilla"), backends={"default": judge})
    assert verdict["score"] == pytest.approx(0.7)
    assert verdict["votes"][0]["score_source"] == "logprobs"
    assert judge.calls[0]["params"]["logprobs"] is True
    # without the capability nothing is asked and the score is the vote
    judge = ScriptedBackend([reply])
    verdict = validators.judge(QUESTION, ANSWER, config("vanilla"), backends={"default": judge})
    assert "logprobs" not in judge.calls[0]["params"]
    assert verdict["score"] == 1.0 and verdict["votes"][0]["score_source"] == "decision"


def test_vote_share_score_over_samples():
    replies = iter(["[[Y]]", "[[N]]", "[[Y]]", "[[Y]]"])
    judge = ScriptedBackend(lambda m, meta, i: next(replies))
    node = {"strategy": "vanilla", "samples": 4, "batch_samples": False}
    verdict = validators.judge(QUESTION, ANSWER, config(node), backends={"default": judge})
    assert verdict["score"] == pytest.approx(0.75)
    assert verdict["decision"] == "accept"


def test_json_verdict_format_asks_for_a_schema_where_supported():
    judge = ScriptedBackend(['{"reasoning": "ok", "verdict": "N"}'],
                            capabilities=Capabilities(json_schema=True))  # fmt: skip
    verdict = validators.judge(QUESTION, ANSWER, config("vanilla", verdict_format="json"),
                               backends={"default": judge})  # fmt: skip
    assert verdict["decision"] == "reject"
    assert verdict["votes"][0]["parsed_from"] == "json"
    assert judge.calls[0]["params"]["response_format"]["type"] == "json_schema"
    assert '"verdict"' in judge.calls[0]["messages"][0]["content"]
