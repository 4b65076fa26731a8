import pytest

from evaluation.services import validator_config_save
from tests.factories import ModelEntryFactory, QuestionFactory, SiteFactory
from workers.celery_app import app as celery_app


def scripted(reply: str = "Looks right. [[Y]]", *, name="scripted", pipeline="vanilla") -> dict:
    return {"name": name, "judges": {"default": {"kind": "scripted", "model": "script", "default": reply}},
            "pipeline": pipeline}  # fmt: skip


@pytest.fixture
def eager():
    celery_app.conf.task_always_eager = True
    yield
    celery_app.conf.task_always_eager = False


@pytest.fixture
def make_validator(db):
    def make(reply="Looks right. [[Y]]", *, name="judge", primary=True, on_new=True, **extra):
        return validator_config_save(
            name=name, config=scripted(reply, name=name), actor=None, is_primary=primary,
            runs_on_new_answers=on_new, **extra,
        )  # fmt: skip

    return make


@pytest.fixture
def answered(db):
    """Three answers of one model entry to three open questions (no validator active yet)."""
    from submissions.models import Answer

    site = SiteFactory(slug="math")
    entry = ModelEntryFactory(name="m")
    questions = [QuestionFactory(site=site, source="uq", external_id=f"v{n}") for n in range(3)]
    return [Answer.objects.create(question=q, model_entry=entry, text=f"answer {q.pk}", content_hash=str(q.pk))
            for q in questions]  # fmt: skip
