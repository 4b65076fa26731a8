"""A builder's "Your answers": their own answers only, with validation and review state, filters,
pages, a constant number of queries, and the progress of the latest upload."""

from datetime import timedelta

import pytest
from django.utils import timezone

from evaluation.models import Validation, ValidationResult, ValidatorConfig
from evaluation.services import validator_config_save
from reviews.models import AnswerAssessment
from submissions.models import Answer
from tests.factories import ModelEntryFactory, QuestionFactory, SiteFactory, UserFactory
from tests.leaderboards.data import scripted_config

pytestmark = pytest.mark.django_db
URL = "/builders/answers/"


@pytest.fixture
def world(db):
    alice = UserFactory(username="alice", is_builder=True)
    rival = UserFactory(username="rival", is_builder=True)
    math, physics = SiteFactory(slug="math", name="Mathematics"), SiteFactory(slug="physics", name="Physics")
    mine = ModelEntryFactory(owner=alice, name="alice-model")
    other = ModelEntryFactory(owner=alice, name="alice-second")
    theirs = ModelEntryFactory(owner=rival, name="rival-model")
    return {"alice": alice, "rival": rival, "math": math, "physics": physics, "mine": mine, "other": other,
            "theirs": theirs}  # fmt: skip


def make_answer(entry, site, title, **states):
    question = QuestionFactory(site=site, title=title)
    return Answer.objects.create(question=question, model_entry=entry, text=f"answer to {title}",
                                 content_hash=title, **states)  # fmt: skip


def judge(answer, validator, decision, score, *, calls=2, tokens=(300, 40)):
    state = {"accept": "passed", "reject": "failed", "abstain": "abstained"}[decision]
    validation = Validation.objects.create(answer=answer, validator=validator, config_hash=validator.config_hash,
                                           state=state, attempts=1)  # fmt: skip
    ValidationResult.objects.create(validation=validation, answer=answer, config_hash=validator.config_hash,
                                    decision=decision, score=score, calls=calls, prompt_tokens=tokens[0],
                                    completion_tokens=tokens[1], library_version="t", verdict={})  # fmt: skip


def logged_in(client, user):
    client.force_login(user)
    return client


def test_anonymous_visitors_are_sent_to_log_in(client):
    response = client.get(URL)
    assert response.status_code == 302 and response["Location"].startswith("/accounts/login/?next=/builders/answers/")


@pytest.mark.parametrize("roles", [{"is_expert": True}, {"is_curator": True}, {}])
def test_non_builders_get_a_403_page_that_says_why(client, db, roles):
    page = logged_in(client, UserFactory(username="not-a-builder", **roles)).get(URL)
    assert page.status_code == 403
    text = page.content.decode()
    assert "This page is for model builders" in text and "ask a curator to give your account the builder role" in text


def test_a_builder_sees_their_answers_and_never_another_builders(client, world):
    make_answer(world["mine"], world["math"], "Mine on math")
    make_answer(world["other"], world["physics"], "Mine on physics")
    make_answer(world["theirs"], world["math"], "Rival secret question")
    page = logged_in(client, world["alice"]).get(URL)
    text = page.content.decode()
    assert page.status_code == 200 and "2 answers" in text
    assert "Mine on math" in text and "Mine on physics" in text
    assert "Rival secret question" not in text and "rival-model" not in text

    forged = client.get(URL, {"entry": world["theirs"].pk})  # another builder's entry is not a choice
    assert forged.status_code == 400
    assert "Select a valid choice" in forged.content.decode() and "Rival secret question" not in forged.content.decode()
    rival_view = logged_in(client, world["rival"]).get(URL).content.decode()
    assert "Rival secret question" in rival_view and "Mine on math" not in rival_view


def test_a_curator_who_builds_sees_only_their_own_answers(client, world):
    world["alice"].is_curator = True
    world["alice"].save(update_fields=["is_curator"])
    make_answer(world["theirs"], world["math"], "Rival secret question")
    text = logged_in(client, world["alice"]).get(URL).content.decode()
    assert "0 answers" in text and "Rival secret question" not in text


def test_each_answer_shows_the_primary_verdict_its_cost_and_the_experts_state(client, world):
    primary = validator_config_save(name="primary-judge", config=scripted_config("[[Y]]"), actor=None, is_primary=True)
    secondary = validator_config_save(name="second-opinion", config=scripted_config("[[N]]"), actor=None)
    verified = make_answer(world["mine"], world["math"], "Verified one", validation_state="passed",
                           review_state="verified_correct")  # fmt: skip
    judge(verified, primary, "accept", 0.83, calls=3, tokens=(1000, 234))
    judge(verified, secondary, "reject", 0.11)
    AnswerAssessment.objects.create(answer=verified, p_correct=0.97, method="one-coin", reviews=2)
    reviewing = make_answer(world["mine"], world["math"], "Under review", validation_state="failed",
                            review_state="in_review")  # fmt: skip
    judge(reviewing, primary, "reject", 0.2)
    AnswerAssessment.objects.create(answer=reviewing, p_correct=0.61, method="one-coin", reviews=1)
    make_answer(world["mine"], world["math"], "Not judged yet")

    text = logged_in(client, world["alice"]).get(URL).content.decode()
    rows = {title: text[text.index(title):].split("</li>")[0] for title in ("Verified one", "Under review", "Not judged yet")}
    assert "primary-judge: accept · score 0.83 · 3 judge calls · 1,234 tokens" in rows["Verified one"]
    assert "second-opinion" not in rows["Verified one"]  # the primary validator's verdict, not another's
    assert "Verified correct" in rows["Verified one"] and "P(correct) 0.97 from 2 reviews" in rows["Verified one"]
    assert "primary-judge: reject · score 0.20" in rows["Under review"]
    assert "P(correct)" not in rows["Under review"] and "experts have not resolved it yet" in rows["Under review"]
    assert "Validation: Pending" in rows["Not judged yet"]
    assert "not queued — primary-judge (the primary validator) has not judged this answer" in rows["Not judged yet"]


def test_filters_by_entry_site_and_state(client, world):
    make_answer(world["mine"], world["math"], "Passed math", validation_state="passed")
    make_answer(world["mine"], world["physics"], "Failed physics", validation_state="failed",
                review_state="verified_incorrect")  # fmt: skip
    make_answer(world["other"], world["math"], "Second entry math")
    client = logged_in(client, world["alice"])

    def titles(**params):
        text = client.get(URL, params).content.decode()
        return {t for t in ("Passed math", "Failed physics", "Second entry math") if t in text}

    assert titles(entry=world["other"].pk) == {"Second entry math"}
    assert titles(site="physics") == {"Failed physics"}
    assert titles(validation="passed") == {"Passed math"}
    assert titles(review="verified_incorrect") == {"Failed physics"}
    assert titles(entry=world["mine"].pk, site="math") == {"Passed math"}
    bad = client.get(URL, {"validation": "maybe"})
    assert bad.status_code == 400 and "Some filters are not valid" in bad.content.decode()


def test_pages_of_answers_keep_the_filters(client, world, settings):
    settings.QUORUM_PAGE_SIZE = 4
    for n in range(6):
        make_answer(world["mine"], world["math"], f"Numbered {n}")
    make_answer(world["other"], world["math"], "Other entry")
    client = logged_in(client, world["alice"])
    first = client.get(URL, {"entry": world["mine"].pk}).content.decode()
    assert "Page 1 of 2" in first and f"entry={world['mine'].pk}&amp;page=2" in first
    second = client.get(URL, {"entry": world["mine"].pk, "page": 2}).content.decode()
    assert {f"Numbered {n}" for n in range(6) if f"Numbered {n}<" in second} == {"Numbered 0", "Numbered 1"}


def test_the_page_costs_the_same_number_of_queries_for_3_or_30_answers(client, world, django_assert_num_queries):
    primary = validator_config_save(name="primary-judge", config=scripted_config("[[Y]]"), actor=None, is_primary=True)
    client = logged_in(client, world["alice"])

    def add(count, start):
        for n in range(start, start + count):
            answer = make_answer(world["mine"], world["math"], f"Q{n}", validation_state="passed",
                                 review_state="verified_correct")  # fmt: skip
            judge(answer, primary, "accept", 0.9)
            AnswerAssessment.objects.create(answer=answer, p_correct=0.9, method="one-coin", reviews=2)

    # session, user, entries (with their newest answer), upload counts, judge configured, sites,
    # count, page, primary validations, the primary validator and its sites (what each answer waits
    # for), unread notifications
    add(3, 0)
    with django_assert_num_queries(12):
        client.get(URL)
    add(27, 3)
    with django_assert_num_queries(12):
        assert client.get(URL).status_code == 200


def test_the_latest_upload_shows_how_many_answers_still_wait_for_validation(client, world):
    validator_config_save(name="primary-judge", config=scripted_config("[[Y]]"), actor=None, is_primary=True,
                          runs_on_new_answers=True)  # fmt: skip
    old = make_answer(world["mine"], world["math"], "Yesterday", validation_state="passed")
    Answer.objects.filter(pk=old.pk).update(submitted_at=timezone.now() - timedelta(days=1))
    for n, state in enumerate(["pending", "pending", "running", "passed", "failed"]):
        make_answer(world["mine"], world["math"], f"Fresh {n}", validation_state=state)
    make_answer(world["theirs"], world["math"], "Rival upload")
    client = logged_in(client, world["alice"])

    card = client.get(URL, headers={"HX-Request": "true", "HX-Target": "upload-progress"}).content.decode()
    assert card.lstrip().startswith('<section id="upload-progress"') and "Your answers</h1>" not in card
    assert 'hx-trigger="every 3s"' in card  # still waiting: htmx polls the card
    counts = " ".join(card[card.index("<strong>"):].split("</p>")[0].split())
    assert counts.startswith("<strong>2 of 5 through validation</strong> (40%): 3 waiting (2 pending, 1 running)")
    assert "1 passed · 1 failed" in counts
    assert '<progress max="5" value="2"' in card

    Answer.objects.filter(model_entry=world["mine"]).update(validation_state="passed")
    done = client.get(URL).content.decode()  # the whole page (no JS) shows the same card
    assert "5 of 5 through validation" in done and "every 3s" not in done


def test_pending_answers_without_a_primary_judge_on_new_answers_say_so_and_are_not_polled(client, world):
    make_answer(world["mine"], world["math"], "Waiting forever")
    client = logged_in(client, world["alice"])
    for judges in ({}, {"is_primary": True}, {"runs_on_new_answers": True}):  # none; primary, not on new; not primary
        validator_config_save(name="judge", config=scripted_config("[[Y]]"), actor=None, **judges,
                              instance=ValidatorConfig.objects.filter(name="judge").first())  # fmt: skip
        text = client.get(URL).content.decode()
        assert "No primary validator runs on new answers" in text and "every 3s" not in text, judges


def test_builders_find_the_page_from_the_header_and_their_profile(client, world, expert):
    client = logged_in(client, world["alice"])
    assert f'href="{URL}"' in client.get("/").content.decode()
    assert f'href="{URL}"' in client.get("/accounts/profile/").content.decode()
    client.force_login(expert)
    assert f'href="{URL}"' not in client.get("/").content.decode()
