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
