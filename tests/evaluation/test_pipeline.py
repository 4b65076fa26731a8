from datetime import timedelta

import pytest
from django.utils import timezone

from catalog.models import QuestionState
from common.errors import DomainError
from evaluation import services
from evaluation.models import Replay, Validation, ValidationResult, ValidationState
from submissions.models import Answer
from submissions.services import answer_submit_bulk
from tests.factories import ModelEntryFactory, QuestionFactory, SiteFactory

pytestmark = pytest.mark.django_db


def submit(entry, ids):
    return answer_submit_bulk(entry=entry, raw_items=[{"question_id": i, "answer": f"A to {i}"} for i in ids])


def test_a_submitted_answer_is_judged_recorded_and_makes_its_question_a_candidate(
    eager, make_validator, django_capture_on_commit_callbacks
):
    validator = make_validator()
    site = SiteFactory(slug="math")
    question = QuestionFactory(site=site, external_id="q1")
    entry = ModelEntryFactory()
    with django_capture_on_commit_callbacks(execute=True):
        submit(entry, ["q1"])
    answer = Answer.objects.get()
    result = ValidationResult.objects.get(answer=answer)
    assert (result.decision, result.score, result.calls) == ("accept", 1.0, 1)
    assert result.config_hash == validator.config_hash and result.library_version
    assert result.verdict["transcripts"][0]["response"] == "Looks right. [[Y]]"
    assert answer.validation_state == "passed"
    question.refresh_from_db()
    assert question.state == QuestionState.CANDIDATE
    assert "passed judge" in question.transitions.last().reason


def test_a_rejection_fails_the_answer_and_leaves_the_question_open(
    eager, make_validator, answered, django_capture_on_commit_callbacks
):
    make_validator("Wrong. [[N]]")
    entry = ModelEntryFactory()
    with django_capture_on_commit_callbacks(execute=True):
        submit(entry, ["v0"])
    answer = Answer.objects.get(model_entry=entry)
    assert answer.validation_state == "failed"
    assert answer.question.state == QuestionState.OPEN


def test_only_the_primary_validator_sets_the_answer_state(
    eager, make_validator, django_capture_on_commit_callbacks
):
    make_validator("[[N]]", name="primary")
    make_validator("[[Y]]", name="secondary", primary=False)
    QuestionFactory(site=SiteFactory(slug="math"), external_id="q1")
    with django_capture_on_commit_callbacks(execute=True):
        submit(ModelEntryFactory(), ["q1"])
    answer = Answer.objects.get()
    assert answer.validation_state == "failed"
    assert sorted(answer.validation_results.values_list("decision", flat=True)) == ["accept", "reject"]


def test_validators_run_only_on_their_sites(make_validator, django_capture_on_commit_callbacks):
    math, history = SiteFactory(slug="math"), SiteFactory(slug="history")
    make_validator(sites=[history])
    QuestionFactory(site=math, external_id="m1")
    QuestionFactory(site=history, external_id="h1")
    submit(ModelEntryFactory(), ["m1", "h1"])
    assert list(Validation.objects.values_list("answer__question__external_id", flat=True)) == ["h1"]


def test_recording_the_same_result_twice_keeps_one_row(make_validator, answered):
    validator = make_validator()
    [pk] = services.validations_create(answers=Answer.objects.filter(pk=answered[0].pk), validator=validator)
    payload = services.validation_payload(Validation.objects.select_related("answer__question__site", "validator").get(pk=pk))
    import validators

    verdict = validators.judge(payload["question"], payload["answer"], payload["config"])
    result = {"validation_id": pk, "config_hash": validator.config_hash, "verdict": verdict}
    services.validation_record(result=result)
    services.validation_record(result=result)
    late_failure = {"validation_id": pk, "config_hash": validator.config_hash, "error": "late", "transient": True}
    services.validation_record(result=late_failure)
    assert ValidationResult.objects.count() == 1
    assert Validation.objects.get(pk=pk).state == ValidationState.PASSED


def test_transient_errors_back_off_then_give_up_as_error(make_validator, answered, settings):
    validator = make_validator(max_attempts=2)
    [pk] = services.validations_create(answers=Answer.objects.filter(pk=answered[0].pk), validator=validator)
    Validation.objects.filter(pk=pk).update(attempts=1, state="running")
    services.validation_record(result={"validation_id": pk, "error": "429 from judge", "transient": True})
    row = Validation.objects.get(pk=pk)
    assert row.state == "pending" and row.next_attempt_at > timezone.now() and "429" in row.last_error
    Validation.objects.filter(pk=pk).update(attempts=2, state="running")
    services.validation_record(result={"validation_id": pk, "error": "500 again", "transient": True})
    row = Validation.objects.get(pk=pk)
    assert row.state == "error"
    assert Answer.objects.get(pk=answered[0].pk).validation_state == "error"


def test_a_fatal_judge_error_is_an_error_at_once(make_validator, answered):
    validator = make_validator()
    [pk] = services.validations_create(answers=Answer.objects.filter(pk=answered[0].pk), validator=validator)
    Validation.objects.filter(pk=pk).update(attempts=1, state="running")
    services.validation_record(result={"validation_id": pk, "error": "401 bad key", "transient": False})
    assert Validation.objects.get(pk=pk).state == "error"


def test_sweeper_republishes_due_work_and_gives_up_after_the_attempt_limit(
    make_validator, answered, monkeypatch
):
    published = []
    monkeypatch.setattr("workers.tasks.validation.publish_validation", lambda p, queue: published.append((p, queue)))
    validator = make_validator(max_attempts=2)
    ids = services.validations_create(answers=Answer.objects.all(), validator=validator)
    assert services.validations_sweep() == 0  # new rows wait for their on-commit dispatch first
    Validation.objects.update(next_attempt_at=timezone.now() - timedelta(seconds=1))  # it was lost
    assert services.validations_sweep() == 3
    assert {p["validation_id"] for p, _ in published} == set(ids)
    payload, queue = published[0]
    assert queue == "llm_io" and set(payload) == {"validation_id", "config_hash", "config", "attempt", "question", "answer"}
    assert services.validations_sweep() == 0  # leased: not due yet
    Validation.objects.update(next_attempt_at=timezone.now() - timedelta(seconds=1))
    assert services.validations_sweep() == 3
    Validation.objects.update(next_attempt_at=timezone.now() - timedelta(seconds=1))
    assert services.validations_sweep() == 0
    assert set(Validation.objects.values_list("state", flat=True)) == {"error"}
    assert "no result after 2 attempts" in Validation.objects.first().last_error


def test_a_late_duplicate_never_undoes_a_recorded_result(make_validator, answered, monkeypatch):
    """A dispatch that raced a result: the row keeps the result's state."""
    monkeypatch.setattr("workers.tasks.validation.publish_validation", lambda p, queue: None)
    validator = make_validator()
    [pk] = services.validations_create(answers=Answer.objects.filter(pk=answered[0].pk), validator=validator)
    services.validations_dispatch([pk])
    row = Validation.objects.select_related("answer__question__site", "validator").get(pk=pk)
    import validators

    payload = services.validation_payload(row)
    verdict = validators.judge(payload["question"], payload["answer"], payload["config"])
    services.validation_record(result={"validation_id": pk, "config_hash": row.config_hash, "verdict": verdict})
    assert services.validations_dispatch([pk]) == 0  # recorded rows are never claimed again
    Validation.objects.filter(pk=pk).update(state="running")  # as if an old dispatch won a race
    services.validation_record(result={"validation_id": pk, "config_hash": row.config_hash, "verdict": verdict})
    assert Validation.objects.get(pk=pk).state == "passed"


def test_a_broker_outage_delays_dispatch_but_loses_nothing(make_validator, answered, monkeypatch, settings):
    def broker_down(payload, queue):
        raise ConnectionError("broker unreachable")

    monkeypatch.setattr("workers.tasks.validation.publish_validation", broker_down)
    validator = make_validator()
    ids = services.validations_create(answers=Answer.objects.all(), validator=validator)
    assert services.validations_dispatch(ids) == 0
    soon = timezone.now() + timedelta(seconds=settings.QUORUM_BROKER_RETRY_S + 1)
    assert all(row.next_attempt_at < soon for row in Validation.objects.all())
    published = []
    monkeypatch.setattr("workers.tasks.validation.publish_validation", lambda p, queue: published.append(p))
    Validation.objects.update(next_attempt_at=timezone.now() - timedelta(seconds=1))
    assert services.validations_sweep() == 3


def test_replay_runs_a_config_over_history_skipping_what_it_already_judged(
    eager, make_validator, answered, django_capture_on_commit_callbacks
):
    validator = make_validator(on_new=False, primary=False)
    with django_capture_on_commit_callbacks(execute=True):
        replay = services.replay_start(validator=validator, actor=None, filters={"site": "math"})
    assert replay.total == 3
    assert replay.validations.filter(state="passed").count() == 3
    services.validations_sweep()
    replay.refresh_from_db()
    assert replay.status == "completed" and replay.finished_at is not None
    with pytest.raises(DomainError, match="already has a result"):
        services.replay_start(validator=validator, actor=None, filters={})
    assert Replay.objects.count() == 1


def test_replay_cancel_stops_pending_work(make_validator, answered):
    validator = make_validator(on_new=False)
    replay = services.replay_start(validator=validator, actor=None, filters={})
    services.replay_cancel(replay=replay)
    assert set(replay.validations.values_list("state", flat=True)) == {"cancelled"}
    assert services.validations_sweep() == 0


def test_invalid_configs_are_refused_with_the_library_errors(db):
    with pytest.raises(DomainError, match="judges"):
        services.validator_config_save(name="bad", config={"pipeline": "vanilla"}, actor=None)


def test_rerun_puts_errors_back_with_a_fresh_budget(make_validator, answered, monkeypatch, django_capture_on_commit_callbacks):
    published = []
    monkeypatch.setattr("workers.tasks.validation.publish_validation", lambda p, queue: published.append(p))
    validator = make_validator()
    ids = services.validations_create(answers=Answer.objects.all(), validator=validator)
    Validation.objects.filter(pk=ids[0]).update(state="error", attempts=5, last_error="x")
    with django_capture_on_commit_callbacks(execute=True):
        assert services.validation_rerun(validations=Validation.objects.all()) == 1
    row = Validation.objects.get(pk=ids[0])
    assert (row.state, row.attempts, row.last_error) == ("running", 1, "")
    assert [p["validation_id"] for p in published] == [ids[0]]
