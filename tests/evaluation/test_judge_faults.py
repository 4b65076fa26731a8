"""A judge that answers 429, 500, garbage or nothing: retried within the limits, then `error`
— never a silent reject. Through the real openai client against a local HTTP server."""

import pytest

from evaluation import services
from evaluation.models import Validation, ValidationResult
from submissions.models import Answer
from tests.support.fake_openai import FakeOpenAI

pytestmark = pytest.mark.django_db


def openai_judge(base_url: str) -> dict:
    return {"name": "http-judge", "judges": {"default": {
        "kind": "openai", "model": "judge", "base_url": base_url, "api_key_env": None,
        "max_retries": 1, "backoff_base_s": 0.01, "backoff_max_s": 0.02, "timeout_s": 2,
    }}, "pipeline": "vanilla"}  # fmt: skip


def run_one(base_url, answered, django_capture_on_commit_callbacks, max_attempts=1):
    validator = services.validator_config_save(
        name="http", config=openai_judge(base_url), actor=None, is_primary=True, max_attempts=max_attempts
    )
    with django_capture_on_commit_callbacks(execute=True):
        ids = services.validations_create(answers=Answer.objects.filter(pk=answered[0].pk), validator=validator)
        services.validations_dispatch(ids)
    return Validation.objects.get(pk=ids[0])


@pytest.mark.parametrize(
    ("faults", "expected_error"),
    [
        ([(429, {"Retry-After": "0"})] * 40, "judge unavailable"),
        ([(500, {})] * 40, "judge unavailable"),
        ([(401, {})], "401"),
    ],
)
def test_judge_failures_end_in_error_never_a_reject(
    eager, answered, django_capture_on_commit_callbacks, faults, expected_error, monkeypatch
):
    monkeypatch.setattr("workers.tasks.judging.random.random", lambda: 0.0)
    with FakeOpenAI() as server:
        server.faults.extend(faults)
        row = run_one(server.base_url, answered, django_capture_on_commit_callbacks)
    assert row.state == "error" and expected_error in row.last_error
    assert not ValidationResult.objects.exists()
    assert Answer.objects.get(pk=answered[0].pk).validation_state == "error"


def test_garbage_judge_output_abstains_instead_of_rejecting(eager, answered, django_capture_on_commit_callbacks):
    with FakeOpenAI(answer="I am not sure what you want from me.") as server:
        row = run_one(server.base_url, answered, django_capture_on_commit_callbacks)
    assert row.state == "abstained"
    result = ValidationResult.objects.get()
    assert result.decision == "abstain" and result.calls == 3  # the first try and two re-asks


def test_transient_faults_then_success_pass(eager, answered, django_capture_on_commit_callbacks):
    with FakeOpenAI(answer="Verified. [[Y]]") as server:
        server.faults.extend([(429, {"Retry-After": "0"}), (503, {})])
        row = run_one(server.base_url, answered, django_capture_on_commit_callbacks)
    assert row.state == "passed"


def test_a_judge_that_times_out_ends_in_error(eager, answered, django_capture_on_commit_callbacks, monkeypatch):
    monkeypatch.setattr("workers.tasks.judging.random.random", lambda: 0.0)
    with FakeOpenAI(answer="[[Y]]", delay_s=0.6) as server:
        config = openai_judge(server.base_url)
        config["judges"]["default"]["timeout_s"] = 0.2
        validator = services.validator_config_save(name="slow", config=config, actor=None, is_primary=True)
        with django_capture_on_commit_callbacks(execute=True):
            ids = services.validations_create(answers=Answer.objects.filter(pk=answered[0].pk), validator=validator)
            services.validations_dispatch(ids)
    row = Validation.objects.get(pk=ids[0])
    assert row.state == "pending" and "judge unavailable" in row.last_error  # retried later
    assert row.next_attempt_at is not None and not ValidationResult.objects.exists()
