import pytest

from evaluation import services
from evaluation.models import Validation
from submissions.models import Answer
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def test_question_page_shows_verdicts_steps_and_status(client, eager, make_validator, answered,
                                                      django_capture_on_commit_callbacks):  # fmt: skip
    validator = make_validator(name="strict-judge")
    second = make_validator("No. [[N]]", name="queued-judge", primary=False)
    answer = answered[0]
    with django_capture_on_commit_callbacks(execute=True):
        ids = services.validations_create(answers=Answer.objects.filter(pk=answer.pk), validator=validator)
        services.validations_dispatch(ids)
    services.validations_create(answers=Answer.objects.filter(pk=answer.pk), validator=second)
    html = client.get(f"/questions/{answer.question_id}/").content.decode()
    assert "strict-judge" in html and "score 1.00" in html and "1 call" in html
    assert "Looks right. [[Y]]" in html  # the judge's transcript, collapsible
    assert "queued-judge" in html and "Pending" in html
    assert validator.config_hash[:12] in html


def test_demo_judges_are_labelled_not_meaningful(client, eager, make_validator, answered,
                                                django_capture_on_commit_callbacks):  # fmt: skip
    validator = make_validator(name="tiny", demo_judge=True)
    with django_capture_on_commit_callbacks(execute=True):
        services.validations_dispatch(services.validations_create(answers=Answer.objects.all(), validator=validator))
    html = client.get(f"/questions/{answered[0].question_id}/").content.decode()
    assert "demo judge — verdict not meaningful" in html


def test_without_any_validator_the_page_says_how_to_add_one(client, answered):
    html = client.get(f"/questions/{answered[0].question_id}/").content.decode()
    assert "No validator is configured" in html and "OpenAI-compatible" in html


def test_curators_see_queue_health_rerun_errors_and_replay(client, curator, make_validator, answered,
                                                          monkeypatch, django_capture_on_commit_callbacks):  # fmt: skip
    published = []
    monkeypatch.setattr("workers.tasks.validation.publish_validation", lambda p, queue: published.append(p))
    validator = make_validator(on_new=False)
    ids = services.validations_create(answers=Answer.objects.all(), validator=validator)
    Validation.objects.filter(pk=ids[0]).update(state="error", last_error="judge said 401")
    client.force_login(curator)
    page = client.get("/curation/validation/").content.decode()
    assert "judge said 401" in page and "Oldest pending" in page
    with django_capture_on_commit_callbacks(execute=True):
        client.post(f"/curation/validation/validations/{ids[0]}/rerun/")
    assert Validation.objects.get(pk=ids[0]).state == "running" and len(published) == 1
    live = client.get("/curation/validation/", headers={"HX-Request": "true"}).content.decode()
    assert live.lstrip().startswith('<div id="live"')


def test_replay_from_the_page_and_its_cancel(client, curator, make_validator, answered, monkeypatch):
    monkeypatch.setattr("workers.tasks.validation.publish_validation", lambda p, queue: None)
    validator = make_validator(on_new=False, primary=False)
    client.force_login(curator)
    response = client.post("/curation/validation/", {"validator": validator.pk, "site": "math"}, follow=True)
    assert "over 3 answers" in response.content.decode()
    replay = validator.replays.get()
    client.post(f"/curation/validation/replays/{replay.pk}/cancel/")
    replay.refresh_from_db()
    assert replay.status == "cancelled"


def test_validation_pages_are_for_curators_only(client, answered):
    assert client.get("/curation/validation/").status_code == 302
    client.force_login(UserFactory(username="b", is_builder=True))
    assert client.get("/curation/validation/").status_code == 404


def test_admin_saves_configs_through_the_library(client, db):
    admin = UserFactory(username="root", is_staff=True, is_superuser=True)
    client.force_login(admin)
    response = client.post("/admin/evaluation/validatorconfig/add/", {
        "name": "recommended", "preset": "uq-recommended", "config": "", "queue": "llm_io",
        "max_attempts": 5, "runs_on_new_answers": "on",
    })  # fmt: skip
    assert response.status_code == 302, response.context["adminform"].form.errors
    from evaluation.models import ValidatorConfig

    saved = ValidatorConfig.objects.get(name="recommended")
    import validators

    assert saved.config_hash == validators.config_hash("uq-recommended")
    bad = client.post("/admin/evaluation/validatorconfig/add/", {
        "name": "bad", "config": '{"pipeline": "nonsense"}', "queue": "llm_io", "max_attempts": 5,
    })  # fmt: skip
    assert bad.status_code == 200 and "not valid" in bad.content.decode()


def test_the_answer_api_shows_each_validators_state_and_verdict(eager, make_validator, answered,
                                                               django_capture_on_commit_callbacks,
                                                               django_assert_max_num_queries):  # fmt: skip
    from rest_framework.test import APIClient

    from accounts.services import api_token_create

    validator = make_validator()
    with django_capture_on_commit_callbacks(execute=True):
        services.validations_dispatch(services.validations_create(answers=Answer.objects.all(), validator=validator))
    owner = answered[0].model_entry.owner
    owner.is_builder = True
    owner.save(update_fields=["is_builder"])
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION="Bearer " + api_token_create(user=owner, name="t", scopes=["read"]).plaintext)
    detail = client.get(f"/api/v1/answers/{answered[0].pk}/").json()
    assert detail["validation_state"] == "passed"
    [validation] = detail["validations"]
    assert (validation["validator"], validation["state"], validation["decision"], validation["score"]) == (
        "judge", "passed", "accept", 1.0)
    with django_assert_max_num_queries(8):  # constant: token, user, count-free cursor page, prefetches
        listed = client.get("/api/v1/answers/").json()["results"]
    assert len(listed) == 3 and all(a["validations"][0]["decision"] == "accept" for a in listed)
