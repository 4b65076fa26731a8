"""The XSS corpus in every field a user controls, on every page that shows it, for each persona.

A world is built twice, once with plain words and once with a payload in every user-controlled
field (question, answer and its reasoning, model entry, profile, review, comments, flag note,
validator config, webhook description, site name, curation draft); each page must carry no more
active markup with the payload than with the plain words.
"""

import pytest
from django.db import transaction
from django.test import Client

from catalog.models import QuestionState
from evaluation.models import Validation, ValidationResult
from evaluation.services import validator_config_save
from leaderboards.services import leaderboard_tallies_refresh
from reviews.services import comment_add, expert_domain_grant, question_flag, review_submit
from submissions.models import Answer
from tests.common.test_sanitising import XSS_CORPUS, active_markup
from tests.factories import ModelEntryFactory, QuestionFactory, SiteFactory, UserFactory
from webhooks.services import endpoint_create

pytestmark = pytest.mark.django_db

# A spread of the corpus: every page is fetched for each, so not all 43.
PAYLOADS = XSS_CORPUS[::4]


def build(text: str) -> dict:
    short = text[:90]
    site = SiteFactory(slug="xss", name=short)
    builder = UserFactory(username="builder-x", is_builder=True, display_name=short, affiliation=text[:190],
                          organisation=short)  # fmt: skip
    expert = UserFactory(username="expert-x", display_name=short, affiliation=text[:190])
    curator = UserFactory(username="curator-x", is_curator=True, is_staff=True)
    expert_domain_grant(user=expert, site=site, curator=curator)
    question = QuestionFactory(site=site, title=text[:500], body=text, category=short, tags=[short])
    QuestionFactory(site=site, title=text[:500], body=text, state=QuestionState.DRAFT, external_id="draft-x")
    entry = ModelEntryFactory(owner=builder, name=short, display_name=short, organisation=short, version=short,
                              provider=short, base_model=short, generation_params={short: short})  # fmt: skip
    answer = Answer.objects.create(question=question, model_entry=entry, text=text, reasoning=text, content_hash="x")
    judge = validator_config_save(name=short, description=text, actor=curator, is_primary=True, config={
        "judges": {"default": {"kind": "scripted", "model": "s", "default": "[[Y]]"}}, "pipeline": "vanilla"})
    validation = Validation.objects.create(answer=answer, validator=judge, config_hash=judge.config_hash, state="passed")
    ValidationResult.objects.create(validation=validation, answer=answer, config_hash=judge.config_hash,
                                    decision="accept", score=0.8, library_version="t",
                                    verdict={"decision": "accept", "steps": {"transcript": text}})  # fmt: skip
    review_submit(expert=expert, answer=answer, verdict="incorrect", confidence=3, rationale=text,
                  first_wrong_step=text)  # fmt: skip
    comment_add(author=expert, body=text, answer=answer)
    comment_add(author=expert, body=text, question=question)
    question_flag(question=question, flagger=expert, reason="duplicate", link="https://example.org/q/1", note=text)
    endpoint_create(owner=builder, url="http://127.0.0.1:9/hook", event_types=["answer.verified"],
                    description=text[:190])  # fmt: skip
    leaderboard_tallies_refresh()
    return {"builder": builder, "expert": expert, "curator": curator, "question": question, "answer": answer,
            "judge": judge}  # fmt: skip


def pages(text: str) -> dict[str, str]:
    """Every page, as each persona sees it, for a world holding `text`; then the world is gone."""
    with transaction.atomic():
        world = build(text)
        q, a, judge = world["question"], world["answer"], world["judge"]
        wanted = {
            None: {"list": "/", "search": f"/?q={q.title[:20]}", "question": f"/questions/{q.pk}/",
                   "models": "/leaderboards/models/", "validators": "/leaderboards/validators/",
                   "validator": f"/leaderboards/validators/{judge.pk}/{judge.config_hash}/",
                   "model_entry": f"/leaderboards/models/{a.model_entry_id}/"},
            "expert": {"review": f"/reviews/answers/{a.pk}/", "queue": "/reviews/", "question": f"/questions/{q.pk}/",
                       "notifications": "/accounts/notifications/", "profile": "/accounts/profile/"},
            "curator": {"disputes": "/reviews/curation/", "curation": "/curation/", "pipeline": "/curation/pipeline/",
                        "validation": "/curation/validation/"},
            "builder": {"dashboard": "/builders/", "answers": "/builders/answers/", "webhooks": "/webhooks/",
                        "question": f"/questions/{q.pk}/"},
        }  # fmt: skip
        seen = {}
        for persona, urls in wanted.items():
            client = Client()
            if persona:
                client.force_login(world[persona])
            for label, url in urls.items():
                response = client.get(url)
                assert response.status_code == 200, (persona, url, response.status_code)
                seen[f"{persona or 'visitor'}: {label}"] = response.content.decode()
        transaction.set_rollback(True)
    return seen


@pytest.fixture(scope="module")
def benign_pages(django_db_setup, django_db_blocker):
    with django_db_blocker.unblock():
        return pages("plain words")


@pytest.mark.parametrize("payload", PAYLOADS)
def test_every_page_shows_every_user_field_inert(benign_pages, payload):
    hostile = pages(payload)
    assert hostile.keys() == benign_pages.keys()
    for page, html in hostile.items():
        assert active_markup(html) == active_markup(benign_pages[page]), (page, payload)
