"""A generation run against a real OpenAI-compatible server (llama.cpp + SmolLM2-135M)."""

import pytest

from submissions.models import Answer, GenerationJob, JobStatus
from submissions.services import generation_job_run
from tests.factories import ModelEntryFactory, QuestionFactory, SiteFactory, UserFactory
from tests.support.llama import requires_llama

pytestmark = [requires_llama, pytest.mark.django_db]


def test_generation_run_through_the_real_client_path(llama_server):
    owner = UserFactory(username="llama-owner", is_builder=True)
    site = SiteFactory(slug="math")
    questions = [QuestionFactory(site=site, title=f"What is {n} + {n}?", body="Answer briefly.")
                 for n in range(3)]  # fmt: skip
    entry = ModelEntryFactory(owner=owner, name="smollm2", endpoint_base_url=llama_server,
                              endpoint_model="smollm2", generation_params={"temperature": 0, "seed": 1})  # fmt: skip
    job = GenerationJob.objects.create(model_entry=entry, created_by=owner, total=3, max_tokens=24,
                                       concurrency=2, question_ids=[q.pk for q in questions])  # fmt: skip
    generation_job_run(job_id=job.pk)
    job.refresh_from_db()
    assert (job.status, job.done, job.failed) == (JobStatus.COMPLETED, 3, 0), job.last_error
    answers = list(Answer.objects.filter(model_entry=entry))
    assert len(answers) == 3 and all(a.text for a in answers)
    # Token accounting comes from the server's usage block, per answer and in total.
    assert job.prompt_tokens == sum(a.metadata["prompt_tokens"] for a in answers) > 0
    assert job.completion_tokens == sum(a.metadata["completion_tokens"] for a in answers) > 0
    assert all(a.metadata["completion_tokens"] <= 24 for a in answers)
    assert {a.metadata["finish_reason"] for a in answers} <= {"stop", "length"}
