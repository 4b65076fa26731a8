"""A curator in a real Chromium, on a phone-sized screen: answers that came before the judge say
why they wait, the question page offers the replay, and after it they say what the judge found."""

import pytest
from playwright.sync_api import expect

from accounts.services import user_set_role
from evaluation.services import validator_config_save
from submissions.models import Answer
from tests.factories import ModelEntryFactory, QuestionFactory, SiteFactory, UserFactory

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def no_sideways_scroll(page) -> bool:
    return page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")


def test_a_curator_replays_the_answers_a_new_judge_has_not_seen(browser, live_server, eager_tasks, tmp_path):
    user_set_role(user=UserFactory(username="cora"), role="curator", granted=True)
    question = QuestionFactory(site=SiteFactory(slug="math", name="Mathematics"), title="Is every gap spectral?")
    for n in range(2):
        Answer.objects.create(question=question, model_entry=ModelEntryFactory(name=f"model-{n}"),
                              text=f"Answer {n}.", content_hash=str(n))  # fmt: skip
    page = browser.new_context(viewport={"width": 375, "height": 800}).new_page()
    errors = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.goto(live_server.url + "/accounts/login/")
    page.get_by_label("Username").fill("cora")
    page.get_by_label("Password").fill("correct horse battery")
    page.get_by_role("button", name="Log in").click()

    page.goto(f"{live_server.url}/questions/{question.pk}/")
    expect(page.locator('[data-waiting="no_judge"]')).to_have_count(2)
    expect(page.get_by_role("link", name="Add a validator config").first).to_be_visible()
    page.screenshot(path=str(tmp_path / "no-judge.png"), full_page=True)
    assert no_sideways_scroll(page)

    config = {"judges": {"default": {"kind": "scripted", "model": "s", "default": "Fine. [[Y]]"}}, "pipeline": "vanilla"}
    validator_config_save(name="house-judge", config=config, actor=None, is_primary=True)
    page.reload()
    expect(page.locator('[data-waiting="not_queued"]')).to_have_count(2)
    expect(page.get_by_text("2 answers here have no verdict from house-judge")).to_be_visible()
    page.screenshot(path=str(tmp_path / "replay-offer.png"), full_page=True)
    assert no_sideways_scroll(page)

    page.get_by_role("button", name="Replay them").click()
    expect(page.get_by_role("status")).to_contain_text("started over 2 answers")
    expect(page.locator('[data-waiting="done"]')).to_have_count(2)
    expect(page.locator('[data-waiting="done"]').first).to_contain_text("judged by house-judge: passed")
    expect(page.get_by_text("Replay them")).to_have_count(0)
    page.screenshot(path=str(tmp_path / "judged.png"), full_page=True)
    assert no_sideways_scroll(page)
    assert errors == []
