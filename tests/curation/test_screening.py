"""LLM pre-screening: UQ's aggregation on hand-made samples, parsing and retries with the
scripted backend, the job on candidates (progress, cost, cancel), and one run through the
real OpenAI-compatible client against a loopback server."""

import json

import pytest

from catalog.models import QuestionState
from curation import services
from curation.models import Candidate, JobStatus
from evaluation.services import validator_config_save
from tests.factories import QuestionFactory
from tests.support.fake_openai import FakeOpenAI
from validators.backends import ScriptedBackend
from validators.screening import (
    FAIL,
    PASS,
    ScreenSettings,
    aggregate,
    parse_assessment,
    screen_many,
)

UQ = ScreenSettings()


def sample(answerable=True, clear=True, unambiguous=True, model=10.0, expert=30.0) -> dict:
    return {"answerable": answerable, "clear": clear, "unambiguous": unambiguous,
            "model_correct": model, "expert_solvable": expert, "reason": ""}  # fmt: skip


def reply(answerable="yes", clear="yes", unambiguous="yes", model=10, expert=30) -> str:
    verdict = {"answerable": answerable, "clear": clear, "unambiguous": unambiguous,
               "model_correct": model, "expert_solvable": expert, "reason": "fine"}  # fmt: skip
    return "Thinking about it... " + json.dumps(verdict)


def test_passes_only_when_every_sample_says_yes_and_means_are_under_the_ceilings():
    assert aggregate([sample(), sample(), sample()], UQ)["decision"] == PASS
    one_unclear = aggregate([sample(), sample(clear=False), sample()], UQ)
    assert one_unclear["decision"] == FAIL
    assert one_unclear["reasons"] == ["not clear in 1 of 3 samples"]
    assert one_unclear["yes"] == {"answerable": 3, "clear": 2, "unambiguous": 3}


def test_the_means_decide_not_single_samples():
    # 0, 0, 119 would be impossible; 30, 30, 59 averages 39.67 < 40: kept
    assert aggregate([sample(model=30), sample(model=30), sample(model=59)], UQ)["decision"] == PASS
    too_easy = aggregate([sample(model=40), sample(model=40), sample(model=40)], UQ)
    assert too_easy["decision"] == FAIL and too_easy["reasons"] == ["model correctness 40 ≥ 40"]
    hopeless = aggregate([sample(expert=90), sample(expert=60), sample(expert=60)], UQ)
    assert hopeless["reasons"] == ["expert solvability 70 ≥ 70"]
    assert hopeless["means"] == {"model_correct": 10.0, "expert_solvable": 70.0}


def test_a_missing_sample_is_an_error_not_a_rejection():
    assert aggregate([sample(), None, sample()], UQ)["decision"] == "error"


def test_parsing_takes_the_last_valid_object_and_refuses_out_of_range_numbers():
    text = 'Format: {"answerable": "yes|no"} ... ' + reply(answerable="no", model="15%")
    assert parse_assessment(text)["answerable"] is False
    assert parse_assessment(text)["model_correct"] == 15.0
    assert parse_assessment(reply(model=140)) is None
    assert parse_assessment("<think>{}</think> no json here") is None


def test_garbled_samples_are_asked_again_and_cost_is_counted():
    backend = ScriptedBackend(["I cannot decide.", reply(), reply(), reply(clear="no")])
    settings = ScreenSettings(samples=3, parse_retries=1)
    (result,) = screen_many([{"title": "T", "body": "B", "tags": ["x"]}], backend, settings)
    assert result["decision"] == FAIL and result["reasons"] == ["not clear in 1 of 3 samples"]
    assert result["calls"] == 4 == len(backend.calls)
    assert [t["parsed"] for t in result["transcripts"]].count(False) == 1
    assert result["prompt_tokens"] > 0 and result["completion_tokens"] > 0


@pytest.fixture
def validator(db):
    config = {"judges": {"default": {"kind": "scripted", "model": "s", "default": reply()}},
              "pipeline": {"strategy": "vanilla"}}  # fmt: skip
    return validator_config_save(name="screen", config=config, actor=None)


def passed_candidates(n, site):
    questions = [QuestionFactory(site=site, state=QuestionState.DRAFT, votes=10 + i) for i in range(n)]
    for q in questions:
        Candidate.objects.create(question=q, filter_passed=True)
    return questions


def test_the_job_screens_candidates_records_evidence_and_cost(validator, curator, site, settings):
    settings.QUORUM_SCREEN_CHUNK = 2
    questions = passed_candidates(3, site)
    ids = services.screen_candidates()
    assert ids == [q.pk for q in reversed(questions)]  # most votes first
    job = services.screen_job_start(validator=validator, actor=curator, question_ids=ids)
    backend = ScriptedBackend(rules=[{"match": questions[0].title, "reply": reply(unambiguous="no")}],
                              default=reply())  # fmt: skip
    job = services.screen_job_run(job_id=job.pk, backend=backend)
    assert (job.status, job.passed, job.failed, job.errors) == (JobStatus.COMPLETED, 2, 1, 0)
    assert job.calls == 9 and job.prompt_tokens > 0
    evidence = Candidate.objects.get(question=questions[0])
    assert evidence.screen_state == "fail" and len(evidence.screen["transcripts"]) == 3
    assert services.screen_candidates() == []  # screened ones are not picked again


def test_a_cancelled_job_stops_between_chunks(validator, curator, site, settings, monkeypatch):
    settings.QUORUM_SCREEN_CHUNK = 1
    passed_candidates(3, site)
    job = services.screen_job_start(validator=validator, actor=curator, question_ids=services.screen_candidates())

    def screen_then_cancel(questions, judge, chosen):
        results = screen_many(questions, judge, chosen)
        services.screen_job_cancel(job=job)  # a curator clicks Cancel while it runs
        return results

    monkeypatch.setattr(services.screening, "screen_many", screen_then_cancel)
    job = services.screen_job_run(job_id=job.pk, backend=ScriptedBackend(default=reply()))
    assert job.status == JobStatus.CANCELLED and job.done == 1
    assert services.screen_job_run(job_id=job.pk) is None


def test_judge_failures_are_errors_and_the_job_goes_on(validator, curator, site):
    passed_candidates(2, site)
    job = services.screen_job_start(validator=validator, actor=curator, question_ids=services.screen_candidates())
    job = services.screen_job_run(job_id=job.pk, backend=ScriptedBackend([{"error": "400"}] * 3 + [reply()] * 3))
    assert (job.status, job.passed, job.errors) == (JobStatus.COMPLETED, 1, 1)
    assert "judge call failed" in job.last_error
    assert Candidate.objects.filter(screen_state="error").count() == 1


def test_through_the_real_openai_client(curator, site, monkeypatch):
    monkeypatch.setenv("OPENAI_API_KEY", "sk-test")
    (question,) = passed_candidates(1, site)
    with FakeOpenAI(answer=reply(model=80)) as server:
        config = {"judges": {"default": {"kind": "openai", "model": "judge-m", "base_url": server.base_url,
                                         "max_retries": 0}},
                  "pipeline": {"strategy": "vanilla"}}  # fmt: skip
        validator = validator_config_save(name="api judge", config=config, actor=None)
        job = services.screen_job_start(validator=validator, actor=curator, question_ids=[question.pk])
        job = services.screen_job_run(job_id=job.pk)
    assert (job.status, job.failed, job.calls) == (JobStatus.COMPLETED, 1, 3)
    assert (job.prompt_tokens, job.completion_tokens) == (33, 21)
    assert len(server.requests) == 3 and server.requests[0]["body"]["model"] == "judge-m"
    assert question.title in server.requests[0]["body"]["messages"][0]["content"]
    evidence = Candidate.objects.get(question=question)
    assert evidence.screen["reasons"] == ["model correctness 80 ≥ 40"]
