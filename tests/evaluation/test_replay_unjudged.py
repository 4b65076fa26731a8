"""Pending answers are never stranded: the answers a config has not judged are counted and
offered as one replay (pages, admin, API), which queues only them and only once."""

import pytest
from rest_framework.test import APIClient

from accounts.services import api_token_create
from common.errors import DomainError
from evaluation import selectors, services
from evaluation.models import Replay, Validation, ValidationResult
from submissions.models import Answer
from tests.evaluation.conftest import scripted
from tests.factories import ModelEntryFactory, QuestionFactory, SiteFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def no_broker(monkeypatch):
    published = []
    monkeypatch.setattr("workers.tasks.validation.publish_validation", lambda p, queue: published.append(p))
    return published


def judged(answer, validator, state="passed"):
    row = Validation.objects.create(answer=answer, validator=validator, config_hash=validator.config_hash, state=state)
    if state in ("passed", "failed", "abstained"):
        ValidationResult.objects.create(validation=row, answer=answer, config_hash=validator.config_hash,
                                        decision="accept", score=0.9, library_version="t", verdict={})  # fmt: skip
    return row


def test_the_count_is_the_answers_nothing_will_judge_under_the_current_hash(make_validator, answered):
    validator = make_validator(on_new=False)
    assert selectors.unjudged_count(validator) == 3
    judged(answered[0], validator)
    judged(answered[1], validator, state="error")  # dead-lettered: re-run it, not replay
    assert selectors.unjudged_count(validator) == 1
    Validation.objects.filter(answer=answered[1]).update(state="cancelled")  # its replay was cancelled
    assert selectors.unjudged_count(validator) == 2
    changed = services.validator_config_save(name=validator.name, config=scripted("Wrong. [[N]]"), actor=None,
                                             is_primary=True, instance=validator)  # fmt: skip
    assert changed.config_hash != Validation.objects.first().config_hash
    assert selectors.unjudged_count(changed) == 3  # a new hash has judged nothing


def test_the_count_keeps_to_the_configs_sites(make_validator, answered):
    other = SiteFactory(slug="physics")
    validator = make_validator(on_new=False, sites=[other])
    assert selectors.unjudged_count(validator) == 0
    entry = ModelEntryFactory(name="p")
    Answer.objects.create(question=QuestionFactory(site=other, source="uq", external_id="p1"), model_entry=entry,
                          text="t", content_hash="p")  # fmt: skip
    assert selectors.unjudged_count(validator) == 1


def test_the_replay_queues_only_the_unjudged(make_validator, answered, no_broker, django_capture_on_commit_callbacks):
    validator = make_validator(on_new=False)
    done = judged(answered[0], validator)
    errored = judged(answered[1], validator, state="error")
    with django_capture_on_commit_callbacks(execute=True):
        replay, created = services.replay_unjudged_start(validator=validator, actor=None)
    assert created and replay.total == 1 and replay.filters == {"unjudged": True}
    assert list(replay.validations.values_list("answer_id", flat=True)) == [answered[2].pk]
    assert [p["validation_id"] for p in no_broker] == list(replay.validations.values_list("pk", flat=True))
    done.refresh_from_db()
    errored.refresh_from_db()
    assert done.state == "passed" and errored.state == "error" and done.replay is None
    assert selectors.unjudged_count(validator) == 0


def test_asking_twice_answers_the_same_replay_and_queues_nothing_more(make_validator, answered, no_broker):
    validator = make_validator(on_new=False)
    first, created = services.replay_unjudged_start(validator=validator, actor=None)
    again, created_again = services.replay_unjudged_start(validator=validator, actor=None)
    assert created and not created_again and again.pk == first.pk
    assert Validation.objects.count() == 3 and Replay.objects.count() == 1
    Replay.objects.filter(pk=first.pk).update(status="completed")
    with pytest.raises(DomainError, match="has a verdict from it or is queued"):
        services.replay_unjudged_start(validator=validator, actor=None)


def test_a_cancelled_replays_answers_are_offered_again_and_reopened(make_validator, answered, no_broker):
    validator = make_validator(on_new=False)
    first, _ = services.replay_unjudged_start(validator=validator, actor=None)
    services.replay_cancel(replay=first)
    assert selectors.unjudged_count(validator) == 3
    second, created = services.replay_unjudged_start(validator=validator, actor=None)
    assert created and second.total == 3 and Validation.objects.count() == 3
    assert set(second.validations.values_list("state", "attempts")) == {("pending", 0)}


def test_the_validation_page_offers_the_replay_with_its_count(client, curator, make_validator, answered, no_broker):
    validator = make_validator(name="house-judge", on_new=False)
    client.force_login(curator)
    page = client.get("/curation/validation/").content.decode()
    assert "3 answers have no verdict from <strong>house-judge</strong> (primary)" in page
    response = client.post(f"/curation/validation/validators/{validator.pk}/replay-unjudged/", follow=True)
    assert "started over 3 answers" in response.content.decode()
    assert "no verdict from" not in client.get("/curation/validation/").content.decode()
    again = client.post(f"/curation/validation/validators/{validator.pk}/replay-unjudged/", follow=True)
    assert "is already running over them" in again.content.decode() and Validation.objects.count() == 3


def test_the_replay_button_goes_back_only_to_a_local_page(client, curator, make_validator, answered, no_broker):
    validator = make_validator(on_new=False)
    client.force_login(curator)
    url = f"/curation/validation/validators/{validator.pk}/replay-unjudged/"
    here = f"/questions/{answered[0].question_id}/"
    assert client.post(url, {"next": here}).url == here
    assert client.post(url, {"next": "https://elsewhere.example/"}).url == "/curation/validation/"


def test_only_curators_may_start_it_from_the_page(client, make_validator, answered, expert, builder):
    validator = make_validator(on_new=False)
    url = f"/curation/validation/validators/{validator.pk}/replay-unjudged/"
    assert client.post(url).status_code == 302  # to the login
    for user in (expert, builder):
        client.force_login(user)
        assert client.post(url).status_code == 404
    assert not Replay.objects.exists()


def test_the_admin_offers_the_replay_after_saving_and_on_the_change_page(client, answered, no_broker):
    client.force_login(UserFactory(username="root", is_staff=True, is_superuser=True))
    form = {"name": "recommended", "preset": "uq-default", "config": "", "queue": "llm_io", "max_attempts": 5,
            "is_primary": "on"}  # fmt: skip
    response = client.post("/admin/evaluation/validatorconfig/add/", form, follow=True)
    html = response.content.decode()
    assert "3 answers have no verdict from recommended: <a" in html and "Replay them" in html
    validator = response.context["cl"].queryset.get(name="recommended")
    change = f"/admin/evaluation/validatorconfig/{validator.pk}/change/"
    assert 'name="_replay_unjudged"' in client.get(change).content.decode()
    saved = client.post(change, form | {"_replay_unjudged": "1"}, follow=True).content.decode()
    assert "started over 3 answers" in saved
    assert validator.replays.get().total == 3


# --- the API ---------------------------------------------------------------------------------


def api(user=None, scopes=("read", "submit")) -> APIClient:
    client = APIClient()
    if user is not None:
        token = api_token_create(user=user, name="t", scopes=list(scopes)).plaintext
        client.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")
    return client


def test_the_api_counts_and_replays_for_curators(curator, make_validator, answered, no_broker):
    validator = make_validator(on_new=False)
    judged(answered[0], validator)
    client = api(curator)
    count = client.get(f"/api/v1/validators/{validator.pk}/unjudged/").json()
    assert count["unjudged"] == 2 and count["config_hash"] == validator.config_hash and count["is_primary"]
    started = client.post(count["replay_url"])
    assert started.status_code == 202 and started.json()["total"] == 2 and started.json()["status"] == "running"
    again = client.post(count["replay_url"])
    assert again.status_code == 200 and again.json()["id"] == started.json()["id"]
    progress = client.get(started.json()["url"]).json()
    assert progress["total"] == 2 and progress["done"] == 0
    assert client.get(f"/api/v1/validators/{validator.pk}/unjudged/").json()["unjudged"] == 0


def test_the_api_answers_problems(curator, make_validator, answered, no_broker):
    validator = make_validator(on_new=False)
    client = api(curator)
    missing = client.get("/api/v1/validators/999999/unjudged/")
    assert missing.status_code == 404 and missing["Content-Type"] == "application/problem+json"
    for answer in answered:
        judged(answer, validator)
    nothing = client.post(f"/api/v1/validators/{validator.pk}/replay-unjudged/")
    assert nothing.status_code == 409 and "has a verdict from it" in nothing.json()["detail"]
    read_only = api(curator, scopes=["read"]).post(f"/api/v1/validators/{validator.pk}/replay-unjudged/")
    assert read_only.status_code == 403 and "`submit` scope" in read_only.json()["detail"]


def test_the_api_refuses_visitors_builders_and_experts(make_validator, answered, expert, builder):
    validator = make_validator(on_new=False)
    urls = [("get", f"/api/v1/validators/{validator.pk}/unjudged/"),
            ("post", f"/api/v1/validators/{validator.pk}/replay-unjudged/")]  # fmt: skip
    for method, url in urls:
        assert getattr(api(), method)(url).status_code == 401
        for user in (expert, builder):
            refused = getattr(api(user), method)(url)
            assert refused.status_code == 403 and refused.json()["detail"] == "Only curators can do this."
    assert not Replay.objects.exists()
