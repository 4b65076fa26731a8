"""The Content-Security-Policy blocks nothing on the real pages: no inline script, style
attribute or handler, and htmx and KaTeX work under it."""

import pytest
from playwright.sync_api import expect

from accounts.services import user_set_role
from tests.factories import AnswerFactory, QuestionFactory, SiteFactory, UserFactory

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

COLLECT_VIOLATIONS = """
window.__cspViolations = [];
document.addEventListener("securitypolicyviolation", (event) => {
  window.__cspViolations.push(event.violatedDirective + " " + (event.blockedURI || "inline") + " "
                              + event.sourceFile + ":" + event.lineNumber);
});
"""
PUBLIC_PAGES = ["/", "/?site=math", "/leaderboards/models/", "/leaderboards/validators/",
                "/accounts/login/", "/accounts/signup/", "/accounts/password_reset/", "/api/v1/docs/", "/api/v1/redoc/"]  # fmt: skip
SIGNED_IN_PAGES = ["/accounts/profile/", "/accounts/notifications/", "/reviews/", "/reviews/curation/",
                   "/reviews/expertise/", "/builders/", "/builders/answers/", "/webhooks/", "/leaderboards/exports/",
                   "/curation/validation/", "/admin/", "/admin/catalog/question/", "/admin/accounts/user/"]  # fmt: skip

# ReDoc's bundle shows a logo from its vendor's CDN: blocked on purpose (no third-party requests).
BLOCKED_ON_PURPOSE = ("img-src https://cdn.redoc.ly/",)


@pytest.fixture
def world(transactional_db):
    question = QuestionFactory(site=SiteFactory(slug="math"), title="Sums over primes",
                               body="Is $\\sum_p p^{-2}$ known?\n\n$$\\zeta(2)=\\frac{\\pi^2}{6}$$")  # fmt: skip
    answer = AnswerFactory(question=question, text="Yes: $P(2) \\approx 0.452$.")
    curator = UserFactory(username="csp-curator", is_expert=True, is_builder=True, is_staff=True, is_superuser=True)
    user_set_role(user=curator, role="curator", granted=True)
    return {"question": question, "entry": answer.model_entry}


def visit(page, url) -> list[str]:
    page.goto(url)
    page.wait_for_load_state("networkidle")
    found = page.evaluate("window.__cspViolations")
    return [violation for violation in found if not violation.startswith(BLOCKED_ON_PURPOSE)]


def csp_page(browser):
    context = browser.new_context()
    context.add_init_script(COLLECT_VIOLATIONS)
    page = context.new_page()
    page.console_errors = []
    page.on("console", lambda msg: page.console_errors.append(msg.text) if msg.type == "error" else None)
    return page


def test_no_page_violates_the_policy(browser, live_server, world):
    page = csp_page(browser)
    pages = [*PUBLIC_PAGES, f"/questions/{world['question'].pk}/", f"/leaderboards/models/{world['entry'].pk}/"]
    violations = {path: found for path in pages if (found := visit(page, live_server.url + path))}

    page.goto(live_server.url + "/accounts/login/")
    page.get_by_label("Username").fill("csp-curator")
    page.get_by_label("Password").fill("correct horse battery")
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("button", name="Log out")).to_be_visible()
    violations |= {path: found for path in SIGNED_IN_PAGES if (found := visit(page, live_server.url + path))}

    assert violations == {}
    csp_errors = [error for error in page.console_errors if "Content Security Policy" in error]
    assert [error for error in csp_errors if "cdn.redoc.ly" not in error] == []


def test_math_is_typeset_and_htmx_swaps_under_the_policy(browser, live_server, world):
    page = csp_page(browser)
    page.goto(live_server.url + f"/questions/{world['question'].pk}/")
    expect(page.locator("#question-body .katex").first).to_be_visible()
    page.goto(live_server.url + "/")
    page.get_by_label("Search").fill("primes")
    expect(page.locator(".question-item")).to_have_count(1)
    assert page.evaluate("window.__cspViolations") == []
