"""The Exports page and API: who may request, follow, cancel and download which export."""

import pytest
from django.core.cache import cache
from rest_framework.test import APIClient

from accounts.services import api_token_create, user_set_role
from leaderboards import services
from leaderboards.models import Export
from tests.factories import AnswerFactory, QuestionFactory, SiteFactory, UserFactory

ALL = ["questions", "answers", "validations", "reviews"]


@pytest.fixture
def people(db, export_dir):
    cache.clear()
    QuestionFactory(site=SiteFactory(slug="math"), external_id="uq-1")
    AnswerFactory()
    return {
        "owner": UserFactory(username="owner"),
        "other": UserFactory(username="other"),
        "curator": user_set_role(user=UserFactory(username="keeper"), role="curator", granted=True),
    }


@pytest.fixture
def finished(people, eager, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        export = services.export_request(user=people["owner"], tables=ALL, format="csv")
    export.refresh_from_db()
    assert export.status == "succeeded", export.error
    return export


def logged_in(client, user):
    client.force_login(user)
    return client


def test_the_page_needs_a_login_and_lists_only_your_exports(client, people):
    assert client.get("/leaderboards/exports/").status_code == 302
    mine = services.export_request(user=people["owner"], tables=["questions"], format="jsonl")
    theirs = services.export_request(user=people["other"], tables=["answers"], format="csv")
    page = logged_in(client, people["owner"]).get("/leaderboards/exports/").content.decode()
    assert f'id="export-{mine.pk}"' in page and f'id="export-{theirs.pk}"' not in page
    assert 'hx-trigger="every 2s"' in page and "refresh this page" in page  # polled, and without JS
    assert 'name="scope"' not in page  # only curators choose "everything"
    assert 'href="/leaderboards/exports/"' in page  # the nav link


def test_requesting_from_the_page(client, people):
    response = logged_in(client, people["owner"]).post(
        "/leaderboards/exports/", {"tables": ["questions", "reviews"], "format": "parquet", "site": "math",
                                   "since": "2024-01-31", "scope": "full"})  # fmt: skip
    assert response.status_code == 302
    export = Export.objects.get()
    assert (export.tables, export.format, export.site.slug, export.scope) == (["questions", "reviews"], "parquet", "math", "public")
    assert export.since.isoformat() == "2024-01-31T00:00:00+00:00"
    again = client.post("/leaderboards/exports/", {"tables": ["questions"], "format": "csv"})
    assert again.status_code == 400 and "already have an export in progress" in again.content.decode()
    curator_page = logged_in(client, people["curator"]).get("/leaderboards/exports/").content.decode()
    assert 'name="scope"' in curator_page


def test_progress_polling_and_cancel_are_the_owners(client, people):
    export = services.export_request(user=people["owner"], tables=ALL, format="csv")
    url = f"/leaderboards/exports/{export.pk}/"
    logged_in(client, people["other"])
    assert client.get(url, HTTP_HX_REQUEST="true").status_code == 404
    assert client.post(url + "cancel/").status_code == 404
    logged_in(client, people["owner"])
    row = client.get(url, HTTP_HX_REQUEST="true").content.decode()
    assert row.lstrip().startswith(f'<tr id="export-{export.pk}"') and "<progress" in row
    assert client.get(url).status_code == 302  # without htmx: the whole page
    cancelled = client.post(url + "cancel/", HTTP_HX_REQUEST="true").content.decode()
    assert "Cancelled" in cancelled and "hx-trigger" not in cancelled  # polling stops


def test_only_the_owner_downloads(client, people, finished):
    url = f"/leaderboards/exports/{finished.pk}/download/"
    assert client.get(url).status_code == 302
    assert logged_in(client, people["other"]).get(url).status_code == 404
    assert logged_in(client, people["curator"]).get(url).status_code == 404
    response = logged_in(client, people["owner"]).get(url)
    assert response.status_code == 200 and response["Content-Type"] == "application/zip"
    assert f'filename="{finished.file_name}"' in response["Content-Disposition"]
    assert b"".join(response.streaming_content) == services.export_path(finished).read_bytes()


def test_no_download_before_the_file_exists(client, people):
    export = services.export_request(user=people["owner"], tables=ALL, format="csv")
    assert logged_in(client, people["owner"]).get(f"/leaderboards/exports/{export.pk}/download/").status_code == 404


def api_as(user, scopes=("read", "submit")) -> APIClient:
    client = APIClient()
    token = api_token_create(user=user, name="t", scopes=list(scopes)).plaintext
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")
    return client


def test_the_api_requests_follows_and_downloads(people, eager, django_capture_on_commit_callbacks):
    api = api_as(people["owner"])
    with django_capture_on_commit_callbacks(execute=True):
        created = api.post("/api/v1/exports/", {"format": "jsonl", "tables": ["questions"]}, format="json")
    assert created.status_code == 202 and created.json()["status"] == "queued"
    body = api.get(f"/api/v1/exports/{created.json()['id']}/").json()
    assert (body["status"], body["percent"], body["rows_done"], body["row_counts"]) == ("succeeded", 100, 2, {"questions": 2})
    assert body["download_url"].endswith(f"/api/v1/exports/{body['id']}/download/")
    download = api.get(body["download_url"])
    assert download.status_code == 200 and download["Content-Type"] == "application/zip"
    assert api.get("/api/v1/exports/").json()["results"][0]["id"] == body["id"]
    rival = api_as(people["other"])
    assert rival.get(f"/api/v1/exports/{body['id']}/").status_code == 404
    assert rival.get(body["download_url"]).status_code == 404
    assert rival.get("/api/v1/exports/").json()["results"] == []


def test_api_errors_are_problems(people):
    api = api_as(people["owner"])
    bad = api.post("/api/v1/exports/", {"format": "xlsx", "tables": ["emails"]}, format="json")
    assert bad.status_code == 400 and {e["field"] for e in bad.json()["errors"]} == {"format", "tables"}
    assert api.post("/api/v1/exports/", {"format": "csv"}, format="json").status_code == 202
    assert api.post("/api/v1/exports/", {"format": "csv"}, format="json").status_code == 409
    full = api_as(people["other"]).post("/api/v1/exports/", {"format": "csv", "scope": "full"}, format="json")
    assert full.status_code == 400 and "Only curators" in full.json()["detail"]
    read_only = api_as(people["other"], scopes=("read",))
    assert read_only.post("/api/v1/exports/", {"format": "csv"}, format="json").status_code == 403
    assert APIClient().get("/api/v1/exports/").status_code == 401
