"""A builder uploads answers through the API, watches them go through validation on "Your
answers" (htmx polling, no reload), filters them, and opens the model's public page."""

import re
import threading

import pytest
from django.db import connection
from playwright.sync_api import expect

from accounts.services import api_token_create
from evaluation import services as evaluation_services
from evaluation.models import Validation
from leaderboards.services import leaderboard_tallies_refresh
from tests.factories import ModelEntryFactory, QuestionFactory, SiteFactory, UserFactory
from tests.leaderboards.data import scripted_config
from workers.celery_app import app as celery_app

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]
PASSWORD = "correct horse battery"


@pytest.fixture
def world(transactional_db, monkeypatch):
    builder = UserFactory(username="builder", is_builder=True, organisation="Atlas Lab")
    entry = ModelEntryFactory(owner=builder, name="atlas-7b", version="2026-11", provider="vLLM",
                              organisation="Atlas Lab", generation_params={"temperature": 0.2})  # fmt: skip
    site = SiteFactory(slug="math", name="Mathematics")
    for n in range(3):
        QuestionFactory(site=site, source="uq", external_id=f"uq{n}", title=f"Open problem {n}")
    rival_entry = ModelEntryFactory(owner=UserFactory(username="rival", is_builder=True), name="rival-model")
    evaluation_services.validator_config_save(name="scripted-judge", config=scripted_config("Fine. [[Y]]"),
                                              actor=None, is_primary=True, runs_on_new_answers=True)  # fmt: skip
    # The broker is slow today: validations wait until the test hands them to the pipeline.
    queued: list[int] = []
    monkeypatch.setattr(evaluation_services, "validations_dispatch", queued.extend)
    token = api_token_create(user=builder, name="upload", scopes=["read", "submit"]).plaintext
    return {"entry": entry, "rival_entry": rival_entry, "token": token, "queued": queued}


def run_pipeline(validation_ids: list[int]) -> None:
    """Dispatch with eager tasks (judge, then record), in a thread of its own: the judge runs
    asyncio, and Playwright's sync API keeps an event loop running in this one."""

    def dispatch():
        try:
            evaluation_services.validations_dispatch(validation_ids)
        finally:
            connection.close()

    celery_app.conf.task_always_eager = True
    try:
        worker = threading.Thread(target=dispatch)
        worker.start()
        worker.join(timeout=60)
    finally:
        celery_app.conf.task_always_eager = False


def log_in(page, live_server, username):
    page.goto(live_server.url + "/accounts/login/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("button", name="Log out")).to_be_visible()


def test_a_builder_watches_an_upload_through_validation(page, live_server, world, monkeypatch):
    upload = page.request.post(
        live_server.url + "/api/v1/answers/bulk/",
        headers={"Authorization": f"Bearer {world['token']}"},
        data={"model_entry": world["entry"].pk,
              "answers": [{"question_id": f"uq{n}", "answer": f"A proof sketch for problem {n}."} for n in range(3)]},
    )  # fmt: skip
    assert upload.status == 201, upload.text()

    log_in(page, live_server, "builder")
    page.get_by_role("link", name="Your answers").click()
    expect(page).to_have_url(re.compile("/builders/answers/$"))
    card = page.locator("#upload-progress")
    expect(card).to_contain_text("0 of 3 through validation")
    expect(card).to_contain_text("3 waiting (3 pending, 0 running)")
    expect(page.locator(".own-answer")).to_have_count(3)
    expect(page.locator("body")).not_to_contain_text("rival-model")

    # The pipeline runs (judge, then record) while the page stays open: the card catches up by itself.
    monkeypatch.undo()  # the real dispatch again, its tasks run in-process
    run_pipeline(world["queued"])
    assert set(Validation.objects.values_list("state", flat=True)) == {"passed"}
    expect(card).to_contain_text("3 of 3 through validation", timeout=10_000)
    expect(card).to_contain_text("3 passed")
    expect(page).to_have_url(re.compile("/builders/answers/$"))  # swapped in place, not reloaded

    card.get_by_role("link", name="Reload the list").click()
    first = page.locator(".own-answer").first
    expect(first).to_contain_text("scripted-judge: accept")
    expect(first).to_contain_text("judge call")
    expect(first).to_contain_text("no expert has reviewed it yet")

    page.get_by_role("combobox", name="Validation").select_option("failed")
    page.get_by_role("button", name="Apply").click()
    expect(page.get_by_role("heading", name="0 answers", exact=True)).to_be_visible()
    page.get_by_role("combobox", name="Validation").select_option("passed")
    page.get_by_role("button", name="Apply").click()
    expect(page.get_by_role("heading", name="3 answers", exact=True)).to_be_visible()

    page.set_viewport_size({"width": 375, "height": 800})
    assert page.evaluate("document.documentElement.scrollWidth") <= 375  # no sideways scroll on a phone
    page.set_viewport_size({"width": 1280, "height": 900})

    leaderboard_tallies_refresh()
    card.get_by_role("link", name="atlas-7b 2026-11").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("atlas-7b 2026-11")
    expect(page.locator("#pass-rate")).to_contain_text("scripted-judge: 3 / 3 — 1.00")
    expect(page.locator("#verified-share")).to_have_text("not yet reviewed")
    page.set_viewport_size({"width": 375, "height": 800})
    assert page.evaluate("document.documentElement.scrollWidth") <= 375
    page.set_viewport_size({"width": 1280, "height": 900})

    page.get_by_role("link", name="Model leaderboard").click()
    row = page.locator("tr", has_text="atlas-7b")
    expect(row).to_contain_text("not yet reviewed")
    expect(row.locator("td").first).to_have_text(re.compile(r"^—\s*no rank$"))
    assert page.js_errors == []
