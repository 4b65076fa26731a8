"""A builder wires a webhook in a real Chromium: register, copy the secret, test, redeliver."""

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import logged_in_page
from tests.factories import UserFactory
from tests.support.receiver import Receiver

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def receiver():
    server = Receiver()
    yield server
    server.close()


def test_a_builder_registers_tests_and_redelivers_a_webhook(
    browser, live_server, receiver, eager_tasks, tmp_path
):
    UserFactory(username="bea", is_builder=True)
    page = logged_in_page(browser, live_server, "bea")
    errors = page.js_errors

    page.get_by_role("link", name="Webhooks").click()
    page.get_by_label("URL").fill(receiver.url())
    page.get_by_label("Question solved").uncheck()
    page.get_by_role("button", name="Register endpoint").click()
    secret = page.locator("#new-secret").inner_text()
    assert secret.startswith("whsec_")
    receiver.secrets["/hook"] = secret

    page.get_by_role("button", name="Send test event").click()
    log = page.locator("#deliveries")
    expect(log).to_contain_text("Test event queued.")
    expect(log.get_by_role("row").nth(1)).to_contain_text("Succeeded")
    page.screenshot(path=str(tmp_path / "webhooks.png"), full_page=True)
    log.get_by_role("button", name="Redeliver").click()
    expect(log.get_by_role("row")).to_have_count(3)
    expect(log).to_contain_text("(redelivery)")

    first, second = receiver.requests
    assert first.verified and second.verified
    assert first.headers["webhook-id"] == second.headers["webhook-id"]
    page.reload()
    assert secret not in page.content()
    assert errors == []


def test_a_hostile_url_is_refused_on_the_url_field_at_phone_width(
    browser, live_server, settings, tmp_path
):
    """The parser-differential URL of the attack run: refused with the reason beside the field."""
    settings.QUORUM_WEBHOOK_ALLOWED_HOSTS = []
    UserFactory(username="bea", is_builder=True)
    page = browser.new_context(viewport={"width": 375, "height": 800}).new_page()
    page.goto(live_server.url + "/accounts/login/")
    page.get_by_label("Username").fill("bea")
    page.get_by_label("Password").fill("correct horse battery")
    page.get_by_role("button", name="Log in").click()
    page.get_by_role("link", name="Webhooks").click()
    for url, reason in (
        ("http://127.0.0.1:8797\\@pub.test/x", "may not contain backslashes"),
        ("http://127.0.0.1:8797/hook", "non-public address 127.0.0.1 (loopback)"),
    ):
        page.get_by_label("URL").fill(url)
        page.get_by_role("button", name="Register endpoint").click()
        expect(page.locator("form[action=\"/webhooks/\"]")).to_contain_text(reason)
    page.screenshot(path=str(tmp_path / "refused.png"), full_page=True)
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
