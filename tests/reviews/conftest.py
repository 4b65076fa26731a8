import pytest

from reviews.services import expert_domain_grant
from submissions.models import Answer
from tests.factories import ModelEntryFactory, QuestionFactory, SiteFactory, UserFactory


@pytest.fixture
def math(db):
    return SiteFactory(slug="math", name="Mathematics")


@pytest.fixture
def make_expert(math):
    def make(username, *, site=None, organisation=""):
        user = UserFactory(username=username, organisation=organisation)
        expert_domain_grant(user=user, site=site or math, curator=None)
        user.refresh_from_db()
        return user

    return make


@pytest.fixture
def make_answer(math):
    counter = iter(range(10_000))

    def make(*, site=None, owner=None, organisation="Lab", text="An answer."):
        n = next(counter)
        question = QuestionFactory(site=site or math, external_id=f"r{n}")
        entry = ModelEntryFactory(owner=owner or UserFactory(username=f"owner{n}", is_builder=True),
                                  organisation=organisation, name=f"model{n}")  # fmt: skip
        return Answer.objects.create(question=question, model_entry=entry, text=text, content_hash=str(n))

    return make


@pytest.fixture
def eager():
    from workers.celery_app import app as celery_app

    celery_app.conf.task_always_eager = True
    yield
    celery_app.conf.task_always_eager = False


@pytest.fixture(autouse=True)
def assess_at_once(monkeypatch):
    """Test transactions never commit: run after-commit work at once, and tasks in-process."""
    from django.db import transaction

    from workers.celery_app import app as celery_app

    monkeypatch.setattr(transaction, "on_commit", lambda func, using=None, robust=False: func())
    celery_app.conf.task_always_eager = True
    yield
    celery_app.conf.task_always_eager = False
