"""A visitor browses the catalogue in a real Chromium."""

import re

import pytest
from playwright.sync_api import expect

from tests.factories import QuestionFactory, SiteFactory

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def catalogue(transactional_db):
    math = SiteFactory(slug="math", name="Mathematics")
    history = SiteFactory(slug="history", name="History")
    QuestionFactory(
        site=math, title="Basel-type sums over primes", votes=80, tags=["series"],
        body="Is $\\sum_{p} \\frac{1}{p^2}$ expressible in closed form?\n\n$$\\zeta(2)=\\frac{\\pi^2}{6}$$\n\n"
             "Also $\\href{javascript:alert(1)}{click}$.",
    )  # fmt: skip
    QuestionFactory(site=math, title="Ramsey numbers of small books", votes=60, tags=["combinatorics"])
    QuestionFactory(site=history, title="Grain ships from Alexandria", votes=70, tags=["rome"],
                    body="How many ships carried the annona each year?")  # fmt: skip


def test_visitor_filters_searches_and_reads_typeset_math(page, live_server, catalogue):
    page.goto(live_server.url + "/")
    items = page.locator(".question-item")
    expect(items).to_have_count(3)

    page.get_by_label("Site").select_option("history")
    expect(items).to_have_count(1)
    expect(items.first).to_contain_text("Grain ships from Alexandria")
    expect(page).to_have_url(re.compile(r"site=history"))

    page.get_by_label("Site").select_option("")
    page.get_by_label("Search").fill("primes")
    expect(items).to_have_count(1)
    expect(page).to_have_url(re.compile(r"q=primes"))

    page.get_by_role("link", name="Basel-type sums over primes").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Basel-type sums over primes")
    body = page.locator("#question-body")
    expect(body.locator(".katex").first).to_be_visible()
    expect(body.locator(".katex-display")).to_have_count(1)
    assert body.locator("a[href^='javascript']").count() == 0
    expect(page.get_by_role("complementary", name="Source and licence")).to_contain_text("CC BY-SA 4.0")
    assert page.js_errors == []


def test_filters_work_without_javascript(browser, live_server, catalogue):
    context = browser.new_context(java_script_enabled=False)
    page = context.new_page()
    page.goto(live_server.url + "/")
    page.get_by_role("textbox", name="Tag").fill("combinatorics")
    page.get_by_role("button", name="Apply").click()
    expect(page).to_have_url(re.compile(r"tag=combinatorics"))
    expect(page.locator(".question-item")).to_have_count(1)
    expect(page.locator(".question-item")).to_contain_text("Ramsey numbers")
    context.close()
