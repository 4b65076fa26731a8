"""A signed-in user exports the public data as Parquet and downloads the zip, in Chromium."""

import zipfile

import pytest
from playwright.sync_api import expect

from tests.e2e.test_review_flow import log_in
from tests.leaderboards.data import judged_validators

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_a_user_exports_parquet_and_downloads_the_dataset(browser, live_server, settings, tmp_path, eager_tasks):
    from tests.factories import UserFactory

    settings.QUORUM_EXPORT_DIR = tmp_path
    judged_validators()
    UserFactory(username="reader")
    page = log_in(browser, live_server, "reader")
    page.goto(live_server.url + "/leaderboards/exports/")
    page.get_by_label("Parquet").check()
    page.get_by_role("button", name="Export").click()
    row = page.locator("tbody tr").first
    expect(row).to_contain_text("Ready")
    expect(row.get_by_role("progressbar")).to_have_attribute("value", "100")
    with page.expect_download() as download:
        row.get_by_role("link", name="Download").click()
    path = tmp_path / "downloaded.zip"
    download.value.save_as(path)
    names = zipfile.ZipFile(path).namelist()
    assert {"README.md", "LICENSE.md", "answers.parquet", "validations.parquet"} <= set(names)
