"""Experts review in a real Chromium: blind until they submit, agreement solves the question."""

import re

import pytest
from playwright.sync_api import expect

from catalog.models import Question
from reviews.services import expert_domain_grant, review_submit
from submissions.models import Answer
from tests.factories import ModelEntryFactory, QuestionFactory, SiteFactory, UserFactory

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]
PASSWORD = "correct horse battery"


@pytest.fixture
def world(transactional_db, eager_tasks):
    math = SiteFactory(slug="math", name="Mathematics")
    experts = [UserFactory(username=name) for name in ("ada", "emmy")]
    dual = UserFactory(username="dual", is_builder=True, organisation="Dual Lab")
    curator = UserFactory(username="cura", is_staff=True, is_superuser=True)
    for user in (*experts, dual):
        expert_domain_grant(user=user, site=math, curator=curator)
    question = QuestionFactory(site=math, title="Is $\\sqrt{2}$ irrational?")
    answer = Answer.objects.create(question=question, model_entry=ModelEntryFactory(name="m1", organisation="Other"),
                                   text="Yes: assume $p/q$ in lowest terms…", content_hash="a")  # fmt: skip
    own = Answer.objects.create(question=QuestionFactory(site=math, title="Own question"),
                                model_entry=ModelEntryFactory(owner=dual, name="dual-model", organisation="Dual Lab"),
                                text="My own answer.", content_hash="b")  # fmt: skip
    return {"experts": experts, "dual": dual, "curator": curator, "question": question, "answer": answer, "own": own}


def log_in(browser, live_server, username):
    context = browser.new_context()
    page = context.new_page()
    page.goto(live_server.url + "/accounts/login/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("button", name="Log out")).to_be_visible()
    return page


def review_next(page, live_server):
    page.goto(live_server.url + "/reviews/")
    page.get_by_role("button", name="Take the next answer").click()
    expect(page).to_have_url(re.compile(r"/reviews/answers/\d+/"))
    return page


def submit(page, rationale, verdict="Correct"):
    page.get_by_label(verdict, exact=True).check()
    page.get_by_label("5").check()
    page.get_by_label("Rationale").fill(rationale)
    page.get_by_role("button", name="Submit review").click()


def test_two_experts_review_blind_then_agree_and_the_question_is_solved(browser, live_server, world):
    ada = log_in(browser, live_server, "ada")
    review_next(ada, live_server)
    expect(ada.get_by_role("heading", level=1)).to_contain_text("irrational")
    expect(ada.locator("#panel")).not_to_contain_text("Other experts")
    expect(ada.get_by_text("model hidden until you review")).to_be_visible()
    submit(ada, "Ada checked the parity argument.")
    expect(ada.locator("#panel")).to_contain_text("No other review yet")

    emmy = log_in(browser, live_server, "emmy")
    emmy.goto(f"{live_server.url}/reviews/answers/{world['answer'].pk}/")  # e.g. from a notification
    expect(emmy.locator("body")).not_to_contain_text("Ada checked the parity argument.")
    submit(emmy, "Emmy agrees: classic descent.")
    expect(emmy.locator("#panel")).to_contain_text("Ada checked the parity argument.")
    expect(emmy.locator("#panel")).to_contain_text("Verified correct")

    emmy.goto(f"{live_server.url}/questions/{world['question'].pk}/")
    expect(emmy.locator(".question-meta .badge").first).to_have_text("Solved")
    assert Question.objects.get(pk=world["question"].pk).state == "solved"


def test_a_builder_cannot_review_their_own_answer(browser, live_server, world):
    page = log_in(browser, live_server, "dual")
    page.goto(f"{live_server.url}/reviews/answers/{world['own'].pk}/")
    submit(page, "Mine is great.")
    expect(page.locator("#panel")).to_contain_text("cannot review answers of your own models")


def test_a_disputed_answer_reaches_the_curator_page(browser, live_server, world):
    ada, emmy = world["experts"]
    review_submit(expert=ada, answer=world["answer"], verdict="correct", confidence=5, rationale="fine")
    review_submit(expert=emmy, answer=world["answer"], verdict="incorrect", confidence=5, rationale="gap")
    page = log_in(browser, live_server, "cura")
    page.get_by_role("link", name="Disputes").click()
    dispute = page.locator(f"#disputed-{world['answer'].pk}")
    expect(dispute).to_contain_text("irrational")
    dispute.get_by_label("Reason (recorded)").fill("The gap is not a gap.")
    dispute.get_by_role("button", name="Settle").click()
    audit = page.get_by_role("region", name="Audit log")
    expect(audit).to_contain_text("The gap is not a gap.")
