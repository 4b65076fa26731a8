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
