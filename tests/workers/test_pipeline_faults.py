"""The pipeline with real workers: no answer lost, exactly one result per answer."""

import time

import pytest
from django.db.models import Count

from evaluation.models import Validation, ValidationResult
from evaluation.services import validation_payload, validator_config_save
from submissions.models import Answer
from submissions.services import answer_submit_bulk
from tests.factories import ModelEntryFactory, QuestionFactory, SiteFactory
from tests.workers.conftest import wait_for
from workers.tasks.validation import publish_validation

pytestmark = pytest.mark.django_db(transaction=True)


def slow_judge(delay_s: float) -> dict:
    reply = {"text": "Checked. [[Y]]", "delay_s": delay_s}
    return {"name": f"slow-{delay_s}", "judges": {"default": {"kind": "scripted", "model": "slow",
            "default": reply}}, "pipeline": "vanilla"}  # fmt: skip


def submit_answers(n: int, delay_s: float, *, run_on_new=True, max_attempts=5) -> list[int]:
    validator_config_save(name="judge", config=slow_judge(delay_s), actor=None, is_primary=True,
                          runs_on_new_answers=run_on_new, max_attempts=max_attempts)  # fmt: skip
    site = SiteFactory(slug="math")
    for i in range(n):
        QuestionFactory(site=site, source="uq", external_id=f"w{i}")
    entry = ModelEntryFactory(name="worker-test")
    answer_submit_bulk(entry=entry, raw_items=[{"question_id": f"w{i}", "answer": f"A{i}"} for i in range(n)])
    return list(Answer.objects.values_list("pk", flat=True))


def all_recorded(n: int) -> bool:
    states = list(Validation.objects.values_list("state", "attempts", "last_error"))
    print("validations:", states)  # shown when a test fails
    return ValidationResult.objects.count() == n and all(s not in ("pending", "running") for s, _, _ in states)


def test_a_real_worker_validates_submitted_answers(workers):
    workers.start()
    submit_answers(4, 0.0)
    wait_for(lambda: all_recorded(4), timeout_s=90, what="4 results")
    assert set(Answer.objects.values_list("validation_state", flat=True)) == {"passed"}


def test_sigkill_during_validation_ten_times_loses_nothing_and_records_once(workers):
    """Kill the worker in the middle of judging, ten times; the sweeper and redelivery recover."""
    n = 6
    submit_answers(n, 1.5, max_attempts=30)  # every kill can cost each answer an attempt
    for _ in range(10):
        worker = workers.start(concurrency=2)
        time.sleep(3.0)  # started, and busy judging (each judgement takes 1.5 s)
        workers.kill(worker)
    workers.start(concurrency=2)
    wait_for(lambda: all_recorded(n), timeout_s=180, what=f"{n} results after 10 kills")
    per_answer = ValidationResult.objects.values("answer").annotate(n=Count("id"))
    assert sorted(row["n"] for row in per_answer) == [1] * n
    assert set(Answer.objects.values_list("validation_state", flat=True)) == {"passed"}


def test_duplicate_delivery_records_one_result(workers):
    submit_answers(1, 0.0, run_on_new=False)
    validator = validator_config_save(name="dup", config=slow_judge(0.0), actor=None, is_primary=False,
                                      runs_on_new_answers=False)  # fmt: skip
    row = Validation.objects.create(answer=Answer.objects.get(), validator=validator,
                                    config_hash=validator.config_hash, state="running", attempts=1)  # fmt: skip
    payload = validation_payload(Validation.objects.select_related("answer__question__site", "validator").get(pk=row.pk))
    publish_validation(payload, queue="llm_io")
    publish_validation(payload, queue="llm_io")
    workers.start()
    wait_for(lambda: Validation.objects.get(pk=row.pk).state == "passed", timeout_s=90, what="the result")
    time.sleep(2)  # let the second delivery arrive and be recorded (as nothing)
    assert ValidationResult.objects.filter(validation=row).count() == 1


def test_submissions_succeed_while_the_broker_is_down_and_validate_when_it_returns(workers, monkeypatch):
    def broker_down(payload, queue):
        raise ConnectionError("broker unreachable")

    monkeypatch.setattr("workers.tasks.validation.publish_validation", broker_down)
    from django.db import transaction

    with transaction.atomic():
        answer_ids = submit_answers(3, 0.0)
    assert len(answer_ids) == 3 and Validation.objects.filter(state="running").count() == 3
    assert ValidationResult.objects.count() == 0
    monkeypatch.undo()
    workers.start()  # with beat: the sweeper re-publishes the held-back work
    wait_for(lambda: all_recorded(3), timeout_s=120, what="3 results after the outage")
