import re

import pytest

from common.errors import DomainError
from submissions.models import Answer, GenerationJob, JobStatus
from submissions.services import generation_job_cancel, generation_job_run, generation_job_start
from tests.factories import ModelEntryFactory, QuestionFactory, SiteFactory, UserFactory
from tests.support.fake_openai import FakeOpenAI
from workers.celery_app import app as celery_app


@pytest.fixture
def eager_tasks():
    celery_app.conf.task_always_eager = True
    yield
    celery_app.conf.task_always_eager = False


@pytest.fixture
def owner(db):
    return UserFactory(username="gen", is_builder=True)


@pytest.fixture
def catalogue(db):
    site = SiteFactory(slug="math")
    return [QuestionFactory(site=site, source="uq", external_id=f"g{n}", votes=n) for n in range(6)]


def entry_for(owner, base_url, **extra):
    return ModelEntryFactory(owner=owner, name="local", endpoint_base_url=base_url,
                             endpoint_model="smol", system_prompt="Answer precisely.", **extra)  # fmt: skip


def test_a_run_answers_the_selection_with_progress_and_tokens(
    owner, catalogue, eager_tasks, django_capture_on_commit_callbacks
):
    with FakeOpenAI(answer="<think>hmm</think>The answer is 4.") as server:
        entry = entry_for(owner, server.base_url, generation_params={"temperature": 0.2})
        with django_capture_on_commit_callbacks(execute=True):
            job = generation_job_start(entry=entry, actor=owner, selection={"limit": 4}, concurrency=2)
        job.refresh_from_db()
    assert (job.status, job.total, job.done, job.failed) == (JobStatus.COMPLETED, 4, 4, 0)
    assert (job.prompt_tokens, job.completion_tokens) == (44, 28)
    answers = Answer.objects.filter(model_entry=entry)
    assert answers.count() == 4
    assert {a.question.external_id for a in answers} == {"g5", "g4", "g3", "g2"}  # most voted first
    answer = answers.first()
    assert (answer.text, answer.reasoning) == ("The answer is 4.", "hmm")
    assert answer.metadata["generation_job"] == job.pk
    request = server.requests[0]["body"]
    assert request["model"] == "smol" and request["temperature"] == 0.2
    assert request["messages"][0] == {"role": "system", "content": "Answer precisely."}
    assert request["messages"][1]["content"].startswith("### Question Details\nTitle: ")


def test_429_and_5xx_are_retried_and_resumed_runs_skip_answered_questions(owner, catalogue):
    with FakeOpenAI() as server:
        server.faults.extend([(429, {"Retry-After": "0"}), (500, {})])
        entry = entry_for(owner, server.base_url)
        Answer.objects.create(question=catalogue[5], model_entry=entry, text="old", content_hash="x")
        job = GenerationJob.objects.create(model_entry=entry, created_by=owner, total=3,
                                           question_ids=[q.pk for q in catalogue[3:]], concurrency=1)  # fmt: skip
        generation_job_run(job_id=job.pk)
    job.refresh_from_db()
    assert (job.status, job.done, job.failed) == (JobStatus.COMPLETED, 3, 0)
    assert len(server.requests) == 4  # two questions, two retried faults
    assert Answer.objects.filter(model_entry=entry).count() == 3


def test_failures_after_retries_are_counted_not_fatal(owner, catalogue):
    with FakeOpenAI() as server:
        server.faults.extend([(400, {})])  # not retryable: this question fails
        entry = entry_for(owner, server.base_url)
        job = GenerationJob.objects.create(model_entry=entry, created_by=owner, total=2,
                                           question_ids=[catalogue[0].pk, catalogue[1].pk], concurrency=1)  # fmt: skip
        generation_job_run(job_id=job.pk)
    job.refresh_from_db()
    assert (job.status, job.done, job.failed) == (JobStatus.COMPLETED, 1, 1)
    assert "g0" in job.last_error


def test_missing_key_variable_fails_the_run_with_a_clear_error(owner, catalogue, monkeypatch):
    monkeypatch.delenv("QUORUM_GENKEY_SMOL", raising=False)
    entry = entry_for(owner, "http://127.0.0.1:9/v1", endpoint_key_env="QUORUM_GENKEY_SMOL")
    job = GenerationJob.objects.create(model_entry=entry, created_by=owner, total=1, question_ids=[catalogue[0].pk])
    generation_job_run(job_id=job.pk)
    job.refresh_from_db()
    assert job.status == JobStatus.FAILED and "QUORUM_GENKEY_SMOL is not set" in job.last_error


def test_cancel_stops_a_queued_run_and_checks_between_batches(owner, catalogue):
    entry = entry_for(owner, "http://127.0.0.1:9/v1")
    job = GenerationJob.objects.create(model_entry=entry, created_by=owner, total=6, question_ids=[q.pk for q in catalogue])
    generation_job_cancel(job=job, actor=owner)
    assert job.status == JobStatus.CANCELLED
    assert generation_job_run(job_id=job.pk) is None
    running = GenerationJob.objects.create(model_entry=entry, created_by=owner, total=6,
                                           question_ids=[q.pk for q in catalogue], status=JobStatus.RUNNING)  # fmt: skip
    generation_job_cancel(job=running, actor=owner)
    assert generation_job_run(job_id=running.pk).status == JobStatus.CANCELLED
    assert not Answer.objects.exists()


def test_start_refuses_what_cannot_run(owner, catalogue):
    stranger = UserFactory(username="stranger", is_builder=True)
    no_endpoint = ModelEntryFactory(owner=owner)
    with pytest.raises(DomainError, match="endpoint"):
        generation_job_start(entry=no_endpoint, actor=owner, selection={})
    entry = entry_for(owner, "http://127.0.0.1:9/v1")
    with pytest.raises(DomainError, match="owner or a curator"):
        generation_job_start(entry=entry, actor=stranger, selection={})
    with pytest.raises(DomainError, match="No open question"):
        generation_job_start(entry=entry, actor=owner, selection={"site": "nowhere"})


def test_pages_start_show_progress_and_cancel(client, owner, catalogue, django_capture_on_commit_callbacks):
    entry = entry_for(owner, "http://127.0.0.1:9/v1")
    client.force_login(owner)
    assert "Generate answers" in client.get("/builders/").content.decode()
    response = client.post(f"/builders/entries/{entry.pk}/generate/", {"site": "math", "limit": 2,
                           "concurrency": 2, "max_tokens": 256})  # fmt: skip
    job = GenerationJob.objects.get()
    assert response.status_code == 302 and response.url == f"/builders/jobs/{job.pk}/"
    partial = client.get(response.url, headers={"HX-Request": "true"}).content.decode()
    assert partial.lstrip().startswith('<section id="progress"') and 'hx-trigger="every 2s"' in partial
    assert "0 of 2" in partial
    cancelled = client.post(f"/builders/jobs/{job.pk}/cancel/", headers={"HX-Request": "true"}).content.decode()
    assert "Cancelled" in cancelled and "every 2s" not in cancelled
    other = UserFactory(username="nosy", is_builder=True)
    client.force_login(other)
    assert client.get(f"/builders/jobs/{job.pk}/").status_code == 404


def test_builders_cannot_read_worker_secrets_or_reach_internal_hosts(owner, catalogue, monkeypatch, settings):
    """The worker sends the named variable's value to the builder's URL: only QUORUM_GENKEY_*
    variables may be named, and private addresses need the operator's permission."""
    from submissions.services import model_entry_create

    monkeypatch.setenv("SECRET_KEY", "worker-secret")
    with pytest.raises(DomainError, match="QUORUM_GENKEY_"):
        model_entry_create(owner=owner, name="thief", endpoint_base_url="https://example.org/v1",
                           endpoint_key_env="SECRET_KEY")  # fmt: skip
    sneaky = entry_for(owner, "http://127.0.0.1:9/v1", version="sneaky")
    type(sneaky).objects.filter(pk=sneaky.pk).update(endpoint_key_env="SECRET_KEY")  # bypassing the service
    job = GenerationJob.objects.create(model_entry=sneaky, created_by=owner, total=1, question_ids=[catalogue[0].pk])
    generation_job_run(job_id=job.pk)
    job.refresh_from_db()
    assert job.status == JobStatus.FAILED and "QUORUM_GENKEY_" in job.last_error

    settings.QUORUM_GENERATION_ALLOWED_HOSTS = []
    for n, url in enumerate(("http://127.0.0.1:9/v1", "http://169.254.169.254/v1", "http://10.0.0.5/v1")):
        entry = entry_for(owner, url, version=f"internal-{n}")
        job = GenerationJob.objects.create(model_entry=entry, created_by=owner, total=1, question_ids=[catalogue[0].pk])
        generation_job_run(job_id=job.pk)
        job.refresh_from_db()
        assert job.status == JobStatus.FAILED and "non-public address" in job.last_error, url


def test_a_crashing_endpoint_fails_the_run_instead_of_blocking_the_entry(owner, catalogue, monkeypatch):
    def crash(*args, **kwargs):
        raise IndexError("choices was empty")

    monkeypatch.setattr("submissions.services._generation_chunk", crash)
    entry = entry_for(owner, "http://127.0.0.1:9/v1")
    job = GenerationJob.objects.create(model_entry=entry, created_by=owner, total=1, question_ids=[catalogue[0].pk])
    generation_job_run(job_id=job.pk)
    job.refresh_from_db()
    assert job.status == JobStatus.FAILED and "IndexError" in job.last_error


def test_saving_an_entry_checks_its_endpoint_url_not_only_the_run(owner, settings):
    """Refused when saved (service and API), with the address and the setting named."""
    from submissions.services import model_entry_create, model_entry_update

    settings.QUORUM_GENERATION_ALLOWED_HOSTS = ["127.0.0.1:8000"]
    for url, reason in (
        ("http://127.0.0.1:8001/v1", "allow 127.0.0.1:8001 with QUORUM_GENERATION_ALLOWED_HOSTS"),
        ("http://169.254.169.254/v1", "non-public address 169.254.169.254 (link-local)"),
        ("ftp://127.0.0.1:8000/v1", "http(s)"),
    ):
        with pytest.raises(DomainError, match=re.escape(reason)):
            model_entry_create(owner=owner, name="m", endpoint_base_url=url)
    entry = model_entry_create(owner=owner, name="m", endpoint_base_url="http://127.0.0.1:8000/v1")
    with pytest.raises(DomainError, match="non-public address"):
        model_entry_update(entry=entry, endpoint_base_url="http://[::1]:8000/v1")
