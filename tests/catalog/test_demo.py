import io

import pytest
from django.core.management import call_command

from accounts.models import User
from catalog.models import Question, QuestionState, Site
from submissions.models import Answer, ModelEntry


def seed() -> str:
    out = io.StringIO()
    call_command("seed_demo", stdout=out)
    return out.getvalue()


@pytest.mark.django_db
def test_seed_demo_builds_a_varied_catalogue_and_is_idempotent():
    first = seed()
    assert "34 created" in first
    for login in ("curator", "expert", "builder", "admin"):
        assert f"  {login} " in first
    counts = (Question.objects.count(), Site.objects.count(), Answer.objects.count(),
              ModelEntry.objects.count(), User.objects.count())  # fmt: skip
    second = seed()
    assert "0 created, 0 updated, 34 unchanged. Demo answers: 0 created." in second
    assert counts == (Question.objects.count(), Site.objects.count(), Answer.objects.count(),
                      ModelEntry.objects.count(), User.objects.count())  # fmt: skip

    assert Question.objects.count() >= 30
    sites = set(Site.objects.values_list("slug", flat=True))
    assert len(sites) >= 6 and {"math", "history"} <= sites
    assert Question.objects.filter(body__contains="$").exists()
    assert Question.objects.filter(body__contains="```").exists()
    assert Question.objects.filter(category="humanities").exists()
    assert Question.objects.filter(state=QuestionState.RETIRED).count() == 1
    assert Answer.objects.exclude(reasoning="").exists()
    roles = {role for user in User.objects.all() for role in user.roles}
    assert roles == {"curator", "expert", "builder"}


@pytest.mark.django_db
def test_demo_logins_work(client):
    seed()
    assert client.login(username="builder", password="quorum-builder")
    assert client.get("/accounts/profile/").status_code == 200


@pytest.mark.django_db
def test_the_demo_judge_is_the_local_server_and_catches_up_on_earlier_answers(settings, monkeypatch):
    from common import localjudge
    from evaluation.models import Validation, ValidatorConfig

    monkeypatch.setattr(localjudge, "missing_packages", lambda: [])  # as after make setup-llm
    settings.QUORUM_DEMO_JUDGE = False
    assert "No demo judge" in seed()
    assert not ValidatorConfig.objects.exists()
    answers = Answer.objects.count()

    settings.QUORUM_DEMO_JUDGE = True
    settings.QUORUM_DEMO_JUDGE_ADDR = "127.0.0.1:18001"
    out = seed()
    judge = ValidatorConfig.objects.get(name="demo-local")
    spec = judge.config["judges"]["default"]
    assert (spec["kind"], spec["base_url"]) == ("openai", "http://127.0.0.1:18001/v1")
    assert judge.is_primary and judge.demo_judge and judge.runs_on_new_answers
    assert f"{answers} earlier answers queued" in out
    assert Validation.objects.filter(config_hash=judge.config_hash).count() == answers

    settings.QUORUM_DEMO_JUDGE_ADDR = "127.0.0.1:18002"  # moved: same judge, same hash, nothing re-run
    assert "0 earlier answers queued" in seed()
    judge.refresh_from_db()
    assert judge.config["judges"]["default"]["base_url"] == "http://127.0.0.1:18002/v1"
    assert ValidatorConfig.objects.count() == 1
    assert Validation.objects.count() == answers


@pytest.mark.django_db
def test_without_the_local_model_the_demo_says_how_to_install_it(monkeypatch):
    from common import localjudge

    monkeypatch.setattr(localjudge, "missing_packages", lambda: ["llama-cpp-python"])
    assert "make setup-llm" in seed()
