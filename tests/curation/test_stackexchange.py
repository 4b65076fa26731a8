"""The Stack Exchange client and harvest job against pages in the API's documented format:
paging, backoff honoured, quota exhaustion (stops, resumable), the error wrapper; and the
periodic re-check that flags questions answered at the source."""

import pytest

from catalog.models import Question, QuestionState
from curation import services
from curation.models import HarvestJob, JobStatus, SourceFlag, SourceStatus
from curation.stackexchange import StackExchangeError
from tests.factories import QuestionFactory
from tests.support.fake_stackexchange import error, se_question, wrapper


def test_a_page_is_read_with_the_documented_parameters(fake_se, se_client):
    fake_se.serve(wrapper([se_question(1), se_question(2)], has_more=True, quota_remaining=299))
    page = se_client.unanswered(site="math", page=3, tagged="analysis", min_votes=5)
    assert [i["question_id"] for i in page.items] == [1, 2]
    assert (page.has_more, page.quota_max, page.quota_remaining, page.quota_exhausted) == (True, 300, 299, False)
    request = fake_se.requests[0]
    assert request["path"] == "/2.3/questions/unanswered"
    assert request["query"] == {"site": "math", "page": "3", "pagesize": "100", "order": "desc", "sort": "votes",
                                "filter": "withbody", "tagged": "analysis", "min": "5"}  # fmt: skip


def test_backoff_is_honoured_before_the_same_method_only(fake_se, se_client, waits):
    fake_se.serve(wrapper([se_question(1)], has_more=True, backoff=10))
    fake_se.serve(wrapper([se_question(2)]))
    fake_se.serve(wrapper([se_question(1)]))
    se_client.unanswered(site="math", page=1)
    se_client.questions(site="math.stackexchange.com", ids=[1])  # another method: no wait
    assert waits == []
    se_client.unanswered(site="math", page=2)
    assert waits == [10.0]


def test_the_error_wrapper_becomes_an_exception(fake_se, se_client):
    fake_se.serve(error(502, "throttle_violation", "too many requests from this IP"), status=400)
    with pytest.raises(StackExchangeError) as caught:
        se_client.unanswered(site="math", page=1)
    assert (caught.value.error_id, caught.value.error_name, caught.value.transient) == (502, "throttle_violation", True)


def test_a_harvest_stores_drafts_and_stops_at_the_end(fake_se, se_client, curator):
    fake_se.serve(wrapper([se_question(1), se_question(2)], has_more=True))
    fake_se.serve(wrapper([se_question(3, title="Is &quot;this&quot; open?", score=40)]))
    job = services.harvest_job_start(actor=curator, site="math", limit=100)
    job = services.harvest_job_run(job_id=job.pk, client=se_client)
    assert (job.status, job.pages, job.fetched, job.created, job.next_page) == (JobStatus.COMPLETED, 2, 3, 3, 3)
    question = Question.objects.get(source="stackexchange", external_id="math:3")
    assert question.state == QuestionState.DRAFT and question.title == 'Is "this" open?'
    assert (question.votes, question.views, question.site.slug) == (40, 900, "math")
    assert question.extra["owner"] == "Ada" and question.source_created_at.year == 2017
    assert [r["query"]["page"] for r in fake_se.requests] == ["1", "2"]


def test_quota_exhaustion_pauses_and_the_harvest_resumes_at_the_next_page(fake_se, se_client, curator):
    fake_se.serve(wrapper([se_question(1)], has_more=True, quota_remaining=0))
    job = services.harvest_job_start(actor=curator, site="math")
    job = services.harvest_job_run(job_id=job.pk, client=se_client)
    assert (job.status, job.next_page, job.quota_remaining) == (JobStatus.PAUSED, 2, 0)
    assert "quota" in job.last_error
    assert len(fake_se.requests) == 1  # stopped cleanly: no request beyond the quota

    services.harvest_job_resume(job=job)
    fake_se.serve(wrapper([se_question(2)], quota_remaining=9999))
    job = services.harvest_job_run(job_id=job.pk, client=se_client)
    assert (job.status, job.fetched, job.created) == (JobStatus.COMPLETED, 2, 2)
    assert fake_se.requests[-1]["query"]["page"] == "2"


def test_throttling_pauses_and_a_bad_parameter_fails(fake_se, se_client, curator):
    fake_se.serve(error(502, "throttle_violation", "too many requests"), status=400)
    job = services.harvest_job_run(job_id=services.harvest_job_start(actor=curator, site="math").pk, client=se_client)
    assert job.status == JobStatus.PAUSED and "throttle_violation" in job.last_error
    fake_se.serve(error(400, "bad_parameter", "site is not valid"), status=400)
    job = services.harvest_job_run(job_id=services.harvest_job_start(actor=curator, site="nope").pk, client=se_client)
    assert job.status == JobStatus.FAILED


def test_the_limit_and_cancel_stop_a_harvest(fake_se, se_client, curator):
    fake_se.serve(wrapper([se_question(i) for i in range(1, 6)], has_more=True))
    job = services.harvest_job_run(job_id=services.harvest_job_start(actor=curator, site="math", limit=3).pk,
                                   client=se_client)  # fmt: skip
    assert (job.status, job.fetched) == (JobStatus.COMPLETED, 3)
    queued = services.harvest_job_start(actor=curator, site="math")
    services.harvest_job_cancel(job=queued)
    assert services.harvest_job_run(job_id=queued.pk, client=se_client) is None
    assert HarvestJob.objects.get(pk=queued.pk).status == JobStatus.CANCELLED


def test_recheck_flags_answered_and_vanished_questions_never_retires(fake_se, se_client, site, curator):
    def linked(n, state=QuestionState.OPEN):
        return QuestionFactory(site=site, state=state, link=f"https://math.stackexchange.com/questions/{n}/t")

    answered, quiet, gone, draft = linked(11), linked(12), linked(13), linked(14, QuestionState.DRAFT)
    fake_se.serve(wrapper([se_question(11, is_answered=True, accepted_answer_id=99, answer_count=2),
                           se_question(12)]))  # fmt: skip
    assert services.source_recheck(client=se_client) == 2
    request = fake_se.requests[0]
    assert request["path"] == "/2.3/questions/11;12;13"
    assert request["query"]["site"] == "math.stackexchange.com"
    flags = {s.question_id: s for s in SourceStatus.objects.all()}
    assert flags[answered.pk].flag == SourceFlag.FLAGGED and flags[answered.pk].accepted_answer_id == 99
    assert flags[gone.pk].missing and flags[gone.pk].flag == SourceFlag.FLAGGED
    assert flags[quiet.pk].flag == SourceFlag.NONE and draft.pk not in flags
    assert Question.objects.get(pk=answered.pk).state == QuestionState.OPEN
    assert curator.notifications.filter(kind="source_answered").count() == 1

    services.source_flag_resolve(status=flags[answered.pk], actor=curator, retire=True)
    assert Question.objects.get(pk=answered.pk).state == QuestionState.RETIRED
    assert Question.objects.get(pk=answered.pk).retire_reason == "answered_elsewhere"
