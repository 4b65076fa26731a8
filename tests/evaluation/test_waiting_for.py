"""What an answer's validation is waiting for, said on the question and review pages, through
the blindness selector: a viewer who may still review blind learns no verdict from it."""

from datetime import timedelta

import pytest
from django.utils import timezone

from evaluation.models import Validation, ValidationResult
from evaluation.selectors import Waiting, answer_waiting_for
from reviews.services import expert_domain_grant
from tests.factories import SiteFactory, UserFactory

pytestmark = pytest.mark.django_db


def row(answer, validator, **fields):
    return Validation.objects.create(answer=answer, validator=validator, config_hash=validator.config_hash, **fields)


def verdict(answer, validator, state="passed"):
    validation = row(answer, validator, state=state, attempts=1)
    ValidationResult.objects.create(validation=validation, answer=answer, config_hash=validator.config_hash,
                                    decision="accept", score=0.9, library_version="t", verdict={})  # fmt: skip
    return validation


def waiting(answer, show_validation=True):
    return answer_waiting_for(answer, show_validation=show_validation)


@pytest.mark.parametrize(
    ("fields", "kind"),
    [
        ({"state": "pending", "attempts": 0}, Waiting.QUEUED),
        ({"state": "running", "attempts": 1}, Waiting.RUNNING),
        ({"state": "pending", "attempts": 2}, Waiting.RETRYING),
        ({"state": "error", "attempts": 5}, Waiting.ERROR),
        ({"state": "cancelled", "attempts": 0}, Waiting.CANCELLED),
    ],
)
def test_each_open_or_stuck_state_has_its_kind(make_validator, answered, fields, kind):
    validator = make_validator()
    row(answered[0], validator, **fields)
    found = waiting(answered[0])
    assert found.kind == kind and found.validator == validator and found.verdict is None
    assert found.can_rerun == (kind in (Waiting.ERROR, Waiting.CANCELLED))


def test_no_primary_config_means_no_judge_and_a_non_primary_one_does_not_count(make_validator, answered):
    assert waiting(answered[0]).kind == Waiting.NO_JUDGE
    side = make_validator(name="side", primary=False)
    verdict(answered[0], side)
    assert waiting(answered[0]).kind == Waiting.NO_JUDGE


def test_a_primary_config_that_never_queued_it_is_not_queued(make_validator, answered):
    old = make_validator(name="old")
    verdict(answered[0], old)
    assert waiting(answered[0]).kind == Waiting.DONE
    make_validator("No. [[N]]", name="new")  # made primary, with another hash: the old verdict is not its own
    found = waiting(answered[0])
    assert found.kind == Waiting.NOT_QUEUED and found.validator.name == "new" and found.can_replay


def test_another_sites_primary_config_is_out_of_scope(make_validator, answered):
    make_validator(sites=[SiteFactory(slug="physics")])
    assert waiting(answered[0]).kind == Waiting.OUT_OF_SCOPE


def test_a_verdict_is_given_only_to_those_who_may_see_it(make_validator, answered):
    validator = make_validator()
    verdict(answered[0], validator, state="failed")
    assert waiting(answered[0]).verdict == "failed"
    blind = waiting(answered[0], show_validation=False)
    assert blind.kind == Waiting.DONE and blind.verdict is None


def test_the_question_page_says_no_judge_and_curators_learn_how_to_add_one(client, curator, answered):
    page = client.get(f"/questions/{answered[0].question_id}/").content.decode()
    assert 'data-waiting="no_judge"' in page and "A curator has to add one." in page
    client.force_login(curator)
    page = client.get(f"/questions/{answered[0].question_id}/").content.decode()
    assert 'href="/admin/evaluation/validatorconfig/add/"' in page


def test_after_a_judge_is_added_the_earlier_answers_say_a_replay_would_judge_them(client, curator, make_validator,
                                                                                 answered):  # fmt: skip
    make_validator(name="house-judge", on_new=False)
    url = f"/questions/{answered[0].question_id}/"
    page = client.get(url).content.decode()
    assert "No validator is configured" not in page
    assert "1 answer here has no verdict from house-judge" in page and "does not run on new answers" in page
    assert 'data-waiting="not_queued"' in page and "A curator can replay it." in page
    assert "Replay them" not in page  # the button is a curator's
    client.force_login(curator)
    page = client.get(url).content.decode()
    assert "has not judged: 3 across the site" in page and "Replay them" in page


def test_retrying_says_the_attempts_and_the_next_attempt(client, make_validator, answered):
    validator = make_validator(max_attempts=4)
    at = timezone.now() + timedelta(minutes=10)
    row(answered[0], validator, state="pending", attempts=2, next_attempt_at=at, last_error="judge timed out")
    page = client.get(f"/questions/{answered[0].question_id}/").content.decode()
    assert "retrying — attempt 2 of 4 did not finish" in page and at.isoformat(timespec="seconds")[:16] in page
    assert "judge timed out" not in page  # the error text is for curators


def test_an_error_offers_curators_a_rerun_that_comes_back_to_the_page(client, curator, make_validator, answered,
                                                                     monkeypatch):  # fmt: skip
    monkeypatch.setattr("workers.tasks.validation.publish_validation", lambda p, queue: None)
    validator = make_validator()
    failed = row(answered[0], validator, state="error", attempts=5, last_error="judge said 401")
    url = f"/questions/{answered[0].question_id}/"
    assert "Re-run" not in client.get(url).content.decode()
    client.force_login(curator)
    page = client.get(url).content.decode()
    assert "gave up after 5 attempts" in page and "judge said 401" in page and "Re-run" in page
    response = client.post(f"/curation/validation/validations/{failed.pk}/rerun/", {"next": url})
    assert response.url == url
    failed.refresh_from_db()
    assert failed.state in ("pending", "running") and failed.attempts <= 1


def test_an_expert_reviewing_blind_learns_no_verdict_from_the_line(client, make_validator, answered):
    validator = make_validator(name="house-judge")
    verdict(answered[0], validator, state="failed")
    url = f"/questions/{answered[0].question_id}/"
    visible = client.get(url).content.decode()
    assert "done — judged by house-judge: <span" in visible and "failed</span>" in visible
    expert = UserFactory(username="blind-expert")
    expert_domain_grant(user=expert, site=answered[0].question.site, curator=None)
    client.force_login(expert)
    blind = client.get(url).content.decode()
    assert "the verdict stays hidden until you review it" in blind
    assert "badge-validation-failed" not in blind and "Validation: Failed" not in blind
    review_page = client.get(f"/reviews/answers/{answered[0].pk}/").content.decode()
    assert "the verdict stays hidden until you review it" in review_page and "badge-validation-failed" not in review_page
