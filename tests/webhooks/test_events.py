"""Events reach the right endpoints when the real services validate, verify and solve."""

import json

import pytest

from catalog.models import QuestionState
from evaluation.services import validator_config_save
from reviews.services import answer_adjudicate, review_submit
from submissions.services import answer_submit_bulk
from tests.factories import ModelEntryFactory, QuestionFactory
from webhooks.models import WebhookDelivery

pytestmark = pytest.mark.django_db


def scripted_validator(reply="Looks right. [[Y]]"):
    config = {
        "judges": {"default": {"kind": "scripted", "model": "script", "default": reply}},
        "pipeline": "vanilla",
    }
    return validator_config_save(
        name="judge", config=config, actor=None, is_primary=True, runs_on_new_answers=True
    )


def events(receiver, path="/hook"):
    return [json.loads(r.body) for r in receiver.requests if r.path == path]


def test_a_validated_answer_reaches_its_builder_and_curators_but_no_other_builder(
    sending, receiver, make_endpoint, builder, rival, curator, math
):
    make_endpoint(builder, path="/builder")
    make_endpoint(rival, path="/rival")
    make_endpoint(curator, path="/curator", events=["answer.validated"])
    make_endpoint(curator, path="/curator-verified-only", events=["answer.verified"])
    scripted_validator()
    QuestionFactory(site=math, external_id="q1")
    entry = ModelEntryFactory(owner=builder, name="m")
    with sending():
        answer_submit_bulk(entry=entry, raw_items=[{"question_id": "q1", "answer": "42"}])

    [event] = events(receiver, "/builder")
    assert event["type"] == "answer.validated"
    assert event["data"]["validation"] | {"config_hash": "-"} == {
        "state": "passed",
        "validator": "judge",
        "config_hash": "-",
        "decision": "accept",
        "score": 1.0,
    }
    assert event["data"]["model_entry"]["name"] == "m"
    assert event["data"]["question"]["external_id"] == "q1"
    assert event["data"]["question"]["url"].endswith(
        f"/questions/{event['data']['question']['id']}/"
    )
    assert events(receiver, "/curator") == [event]
    assert events(receiver, "/rival") == [] and events(receiver, "/curator-verified-only") == []
    assert all(r.verified for r in receiver.requests)
    assert (
        len({r.headers["webhook-id"] for r in receiver.requests}) == 1
    )  # one message, two endpoints
    assert set(WebhookDelivery.objects.values_list("status", "attempts", "response_status")) == {
        ("succeeded", 1, 200)
    }


def test_verified_answers_and_solved_questions_are_announced(
    sending, receiver, make_endpoint, make_expert, make_answer, builder, rival, curator
):
    make_endpoint(builder, path="/builder")
    make_endpoint(rival, path="/rival")
    answer = make_answer(builder)
    make_answer(rival, question=answer.question)  # the rival answered the question too
    make_answer(rival)  # and another one, which stays unsolved
    first, second = make_expert("a"), make_expert("b")
    with sending():
        review_submit(
            expert=first, answer=answer, verdict="correct", confidence=5, rationale="Checked."
        )
    assert events(receiver, "/builder") == []  # one review is not a verdict yet
    with sending():
        review_submit(
            expert=second, answer=answer, verdict="correct", confidence=4, rationale="Checked too."
        )

    verified, solved = events(receiver, "/builder")
    assert (verified["type"], verified["data"]["answer"]["review_state"]) == (
        "answer.verified",
        "verified_correct",
    )
    assert (solved["type"], solved["data"]["question"]["state"]) == (
        "question.solved",
        QuestionState.SOLVED,
    )
    assert solved["data"]["question"]["id"] == answer.question_id
    # The rival hears that a question they answered is solved, not how another's answer fared.
    assert [e["type"] for e in events(receiver, "/rival")] == ["question.solved"]
    assert all(r.verified for r in receiver.requests)


def test_a_curator_settling_a_dispute_verifies_the_answer(
    sending, receiver, make_endpoint, make_expert, make_answer, builder, curator
):
    make_endpoint(builder, events=["answer.verified"])
    answer = make_answer(builder)
    with sending():
        review_submit(
            expert=make_expert("a"),
            answer=answer,
            verdict="correct",
            confidence=5,
            rationale="Yes.",
        )
        review_submit(
            expert=make_expert("b"),
            answer=answer,
            verdict="incorrect",
            confidence=5,
            rationale="No.",
        )
    assert events(receiver) == []  # disputed: nothing verified yet
    with sending():
        answer_adjudicate(
            answer=answer, curator=curator, outcome="verified_incorrect", reason="Step 3 fails."
        )
    [event] = events(receiver)
    assert event["data"]["answer"]["review_state"] == "verified_incorrect"


def test_disabled_endpoints_and_former_builders_receive_nothing(
    sending, receiver, make_endpoint, make_answer, builder, rival
):
    from accounts.services import user_set_role
    from webhooks.services import endpoint_update

    endpoint = make_endpoint(builder)
    endpoint_update(
        endpoint=endpoint, url=endpoint.url, event_types=endpoint.event_types, is_active=False
    )
    make_endpoint(rival, path="/rival")
    user_set_role(user=rival, role="builder", granted=False)
    scripted_validator()
    QuestionFactory(site=make_answer(builder).question.site, external_id="q9")
    with sending():
        answer_submit_bulk(
            entry=ModelEntryFactory(owner=builder), raw_items=[{"question_id": "q9", "answer": "x"}]
        )
        answer_submit_bulk(
            entry=ModelEntryFactory(owner=rival), raw_items=[{"question_id": "q9", "answer": "y"}]
        )
    assert receiver.requests == [] and not WebhookDelivery.objects.exists()
