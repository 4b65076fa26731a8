"""A curator works the candidate queue in a real Chromium: evidence side by side, bulk approve
from the keyboard, reject one with a reason on its page; both land in the audit log."""

import pytest
from playwright.sync_api import expect

from accounts.services import user_set_role
from catalog.models import Question, QuestionState
from curation.models import Candidate
from tests.e2e.conftest import logged_in_page
from tests.factories import QuestionFactory, SiteFactory, UserFactory

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def passed(question, model=12.0):
    screen = {"decision": "pass", "reasons": [], "yes": {"answerable": 3, "clear": 3, "unambiguous": 3},
              "means": {"model_correct": model, "expert_solvable": 40.0}, "samples": [{}, {}, {}],
              "transcripts": [{"sample": 0, "attempt": 0, "response": "Looks fine {...}", "parsed": True}],
              "calls": 3, "prompt_tokens": 300, "completion_tokens": 60, "model": "judge-m"}  # fmt: skip
    Candidate.objects.create(question=question, filter_passed=True, screen_state="pass", screen=screen)


def test_a_curator_approves_and_rejects_candidates(browser, live_server):
    user_set_role(user=UserFactory(username="cora"), role="curator", granted=True)
    site = SiteFactory(slug="math", name="Mathematics")
    keep = QuestionFactory(site=site, state=QuestionState.DRAFT, title="Does the sequence converge?", votes=30)
    drop = QuestionFactory(site=site, state=QuestionState.DRAFT, title="Which book should I read first?", votes=9)
    passed(keep)
    passed(drop, model=20.0)

    page = logged_in_page(browser, live_server, "cora")
    errors = page.js_errors
    page.get_by_role("link", name="Curation").click()

    row = page.get_by_role("row").filter(has_text="Does the sequence converge?")
    expect(row).to_contain_text("model 12/100")
    expect(row).to_contain_text("passed")
    checkbox = page.get_by_label("Select “Does the sequence converge?”")
    checkbox.focus()
    page.keyboard.press("Space")
    page.get_by_label("Action").select_option("approve")
    page.get_by_label("Note (recorded)").fill("clear and hard")
    page.get_by_role("button", name="Apply to selected").press("Enter")
    expect(page.get_by_role("status")).to_contain_text("1 candidate(s) approved.")

    page.get_by_role("link", name="Which book should I read first?").click()
    expect(page.get_by_text("Sample 1")).to_be_hidden()
    page.get_by_text("Pre-screen transcripts").click()
    expect(page.get_by_text("Looks fine")).to_be_visible()
    page.get_by_label("Reject reason").select_option("off_topic")
    page.get_by_label("Reject note").fill("a recommendation")
    page.get_by_role("button", name="Reject").click()
    expect(page.get_by_role("status")).to_contain_text("was rejected")

    page.get_by_role("link", name="Disputes").click()
    audit = page.locator("table").filter(has_text="curation_approve")
    expect(audit).to_contain_text("Off-topic: a recommendation")
    assert Question.objects.get(pk=keep.pk).state == QuestionState.OPEN
    assert Question.objects.get(pk=drop.pk).state == QuestionState.RETIRED
    assert errors == []
