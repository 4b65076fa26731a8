import threading

import pytest
from django.db import connection
from django.test import override_settings

from submissions.models import Answer
from tests.factories import QuestionFactory

BULK = "/api/v1/answers/bulk/"


def items(n=3, text="The answer is 42.", **extra):
    return [{"question_id": f"uq{i}", "answer": f"{text} ({i})", **extra} for i in range(n)]


def submit(api, entry, answers, **body):
    return api.post(BULK, {"model_entry": entry.pk, "answers": answers, **body}, format="json")


def test_bulk_creates_answers_and_reports_each(api, entry, questions):
    response = submit(api, entry, items(3))
    assert response.status_code == 201, response.json()
    body = response.json()
    assert (body["created"], body["unchanged"]) == (3, 0)
    assert [a["status"] for a in body["answers"]] == ["created"] * 3
    assert Answer.objects.filter(model_entry=entry).count() == 3
    answer = Answer.objects.get(pk=body["answers"][0]["id"])
    assert answer.validation_state == "pending" and answer.question.external_id == "uq0"


def test_same_content_again_is_an_idempotent_success(api, entry, questions):
    submit(api, entry, items(2))
    response = submit(api, entry, items(3))
    assert response.status_code == 201
    assert [a["status"] for a in response.json()["answers"]] == ["unchanged", "unchanged", "created"]
    again = submit(api, entry, items(3))
    assert again.status_code == 200 and again.json()["unchanged"] == 3
    assert Answer.objects.count() == 3


def test_different_content_for_the_same_pair_is_a_409_and_nothing_is_written(api, entry, questions):
    submit(api, entry, items(1))
    answers = items(3)
    answers[0]["answer"] = "A different answer."
    response = submit(api, entry, answers)
    assert response.status_code == 409
    body = response.json()
    assert body["errors"] == [{"index": 0, "field": "answer", "reason": body["errors"][0]["reason"]}]
    assert "already has a different answer" in body["errors"][0]["reason"]
    assert Answer.objects.count() == 1


def test_every_invalid_item_is_reported_and_nothing_is_written(api, entry, questions):
    answers = [
        {"question_id": "uq0", "answer": "fine"},
        {"question_id": "nope", "answer": "unknown question"},
        {"answer": "no id"},
        {"question_id": "uq1", "answer": ""},
        {"question_id": "uq2", "error": "generation failed"},
        "not an object",
        {"question_id": "uq3", "answer": "x", "metadata": [1]},
        {"question_id": "uq0", "answer": "repeated"},
        {"question_id": "uq4", "answer": "y", "metadata": {"note": "nul\u0000"}},
        {"question_id": "uq4", "answer": "a NUL \u0000 in the text"},
    ]
    response = submit(api, entry, answers)
    assert response.status_code == 400
    errors = {(e["index"], e["field"]) for e in response.json()["errors"]}
    assert errors == {
        (1, "question_id"), (2, "question_id"), (3, "answer"), (4, "answer"), (5, ""),
        (6, "metadata"), (7, "question_id"), (8, "metadata"), (9, "answer"),
    }  # fmt: skip
    assert "8 items" not in response.json()["detail"]
    assert not Answer.objects.exists()


def test_reasoning_trace_is_split_off_and_not_judged(api, entry, questions):
    text = "<think>Let me think about zeta.</think>\n\nThe zeros lie on the line."
    submit(api, entry, [{"question_id": "uq0", "answer": text, "metadata": {"tokens": 12}}])
    answer = Answer.objects.get()
    assert answer.reasoning == "Let me think about zeta."
    assert answer.text == "The zeros lie on the line."
    assert answer.metadata == {"tokens": 12}


@override_settings(QUORUM_MAX_BULK_ANSWERS=3, QUORUM_MAX_ANSWER_CHARS=50)
def test_limits_have_clear_errors(api, entry, questions):
    too_many = submit(api, entry, items(4))
    assert too_many.status_code == 400 and "at most 3 per request" in too_many.json()["errors"][0]["reason"]
    too_long = submit(api, entry, [{"question_id": "uq0", "answer": "x" * 51}])
    assert "51 characters; the limit is 50" in too_long.json()["errors"][0]["reason"]


@override_settings(QUORUM_MAX_API_REQUEST_BYTES=1000)
def test_oversized_request_is_413(api, entry, questions):
    response = submit(api, entry, items(1, text="y" * 2000))
    assert response.status_code == 413
    assert "limit is 1,000" in response.json()["detail"]


def test_unknown_or_foreign_model_entry_is_404_without_leaking(api, other_api, entry, questions):
    response = submit(other_api, entry, items(1))
    assert response.status_code == 404
    assert "gpt-x" not in response.content.decode()
    missing = api.post(BULK, {"model_entry": 10**6, "answers": items(1)}, format="json")
    assert missing.status_code == 404
    assert not Answer.objects.exists()


def test_ambiguous_question_ids_need_a_source(api, entry, questions):
    QuestionFactory(site=questions[0].site, source="other", external_id="uq0")
    ambiguous = submit(api, entry, items(1))
    assert ambiguous.status_code == 400 and "several sources" in ambiguous.json()["errors"][0]["reason"]
    assert submit(api, entry, items(1), source="uq").status_code == 201


def test_idempotency_key_replays_the_first_response(api, entry, questions):
    first = api.post(BULK, {"model_entry": entry.pk, "answers": items(2)}, format="json",
                     HTTP_IDEMPOTENCY_KEY="batch-1")  # fmt: skip
    again = api.post(BULK, {"model_entry": entry.pk, "answers": items(2)}, format="json",
                     HTTP_IDEMPOTENCY_KEY="batch-1")  # fmt: skip
    assert first.status_code == again.status_code == 201
    assert again["Idempotent-Replayed"] == "true"
    assert again.json() == first.json()
    other = api.post(BULK, {"model_entry": entry.pk, "answers": items(1)}, format="json",
                     HTTP_IDEMPOTENCY_KEY="batch-1")  # fmt: skip
    assert other.status_code == 422 and "different request" in other.json()["detail"]


def test_read_only_token_cannot_submit(builder_user, entry, questions):
    from tests.submissions.conftest import token_client

    reader = token_client(builder_user, scopes=("read",))
    response = submit(reader, entry, items(1))
    assert response.status_code == 403 and "`submit` scope" in response.json()["detail"]
    assert reader.get("/api/v1/answers/").status_code == 200


def test_throttled_requests_get_429_with_retry_after(api, entry, questions, settings):
    from django.core.cache import cache

    cache.clear()
    rates = {**settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"], "submit": "2/min"}
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "DEFAULT_THROTTLE_RATES": rates}
    from api.throttling import TokenRateThrottle

    original = TokenRateThrottle.THROTTLE_RATES
    TokenRateThrottle.THROTTLE_RATES = rates
    try:
        responses = [submit(api, entry, items(1)) for _ in range(3)]
    finally:
        TokenRateThrottle.THROTTLE_RATES = original
        cache.clear()
    assert [r.status_code for r in responses] == [201, 200, 429]
    assert 0 < int(responses[2]["Retry-After"]) <= 60
    assert "throttled" in responses[2].json()["detail"].lower()


@pytest.mark.django_db(transaction=True)
def test_the_same_bulk_sent_twice_at_once_creates_one_set(builder_user, questions):
    from tests.factories import ModelEntryFactory
    from tests.submissions.conftest import token_client

    entry = ModelEntryFactory(owner=builder_user)
    clients = [token_client(builder_user), token_client(builder_user)]
    barrier = threading.Barrier(2)
    codes = []

    def send(client):
        barrier.wait()
        try:
            codes.append(submit(client, entry, items(5)).status_code)
        finally:
            connection.close()

    threads = [threading.Thread(target=send, args=(c,)) for c in clients]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(codes) == [200, 201]
    assert Answer.objects.filter(model_entry=entry).count() == 5
