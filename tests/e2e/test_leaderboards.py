"""A visitor reads the validator leaderboard, opens a config and chooses a threshold, in Chromium."""

import re

import pytest
from playwright.sync_api import expect

from tests.leaderboards.data import judged_validators

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_visitor_compares_validators_and_chooses_a_threshold(page, live_server, transactional_db):
    careful, _ = judged_validators()
    page.goto(live_server.url + "/leaderboards/validators/")
    rows = page.locator("table.table tbody tr")
    expect(rows).to_have_count(2)
    expect(rows.first).to_contain_text("careful")
    page.get_by_role("link", name="careful").click()
    expect(page).to_have_url(re.compile(rf"/leaderboards/validators/{careful.pk}/"))
    for title in ("Reliability diagram", "Precision against recall", "Pass rate by week"):
        expect(page.get_by_role("img", name=title)).to_be_visible()

    chooser = page.locator("#threshold-chooser")
    chooser.get_by_label("Accept at score ≥").fill("0.72")
    chooser.get_by_role("button", name="Show").click()
    expect(page.get_by_role("status").filter(has_text="At 0.72")).to_contain_text("3 accepted")
    expect(page.locator("tr.is-chosen")).to_contain_text("0.72")
    expect(page).not_to_have_url(re.compile("threshold="))  # htmx swapped the chooser in place
    expect(page.get_by_role("img", name="Reliability diagram")).to_be_visible()
    assert page.js_errors == []
