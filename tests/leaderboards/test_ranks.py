"""Model leaderboard rows that no expert has resolved an answer of, and ranks that mean something."""

import pytest

from leaderboards.selectors import model_leaderboard
from leaderboards.services import leaderboard_tallies_refresh
from tests.factories import ModelEntryFactory, SiteFactory
from tests.leaderboards.test_models import answers_for

pytestmark = pytest.mark.django_db


def rows_by_name():
    return {row.entry.name: row for row in model_leaderboard({})}


def test_an_entry_without_expert_resolved_answers_is_not_yet_reviewed_and_unranked(client):
    math = SiteFactory(slug="math")
    answers_for(ModelEntryFactory(name="fresh"), math, ["unreviewed"] * 4 + ["in_review"])
    answers_for(ModelEntryFactory(name="strong"), math, ["verified_correct"] * 9 + ["verified_incorrect"])
    answers_for(ModelEntryFactory(name="weak"), math, ["verified_incorrect"] * 10)
    leaderboard_tallies_refresh()
    rows = model_leaderboard({})
    assert [r.entry.name for r in rows] == ["strong", "weak", "fresh"]  # unreviewed last, whatever its size
    assert [(r.status, r.rank) for r in rows] == [("ranked", 1), ("ranked", 2), ("not_yet_reviewed", None)]

    page = client.get("/leaderboards/models/").content.decode()
    fresh_row = page[page.index(">fresh 1<"):].split("</tr>")[0]
    assert "not yet reviewed" in fresh_row and "0 / 5" not in fresh_row and "provisional" not in fresh_row
    assert "all tie" not in page

    api = {row["name"]: row for row in client.get("/api/v1/leaderboards/models/").json()}
    assert (api["fresh"]["rank"], api["fresh"]["status"]) == (None, "not_yet_reviewed")
    assert (api["strong"]["rank"], api["strong"]["status"]) == (1, "ranked")


def test_when_every_reviewed_entry_ties_the_page_says_so_instead_of_ranking_them(client):
    math = SiteFactory(slug="math")
    answers_for(ModelEntryFactory(name="a"), math, ["verified_correct"] * 3 + ["verified_incorrect"] * 2)
    answers_for(ModelEntryFactory(name="b"), math, ["verified_correct"] * 2 + ["verified_incorrect"] * 3)
    answers_for(ModelEntryFactory(name="c"), math, ["unreviewed"] * 3)
    leaderboard_tallies_refresh()
    rows = rows_by_name()
    assert {name: (r.status, r.rank) for name, r in rows.items()} == {
        "a": ("tied", None), "b": ("tied", None), "c": ("not_yet_reviewed", None)}  # fmt: skip
    page = client.get("/leaderboards/models/").content.decode()
    assert "The 2 models with expert-resolved answers all tie" in page
    assert "<td>1</td>" not in page  # no rank 1 listed everywhere
    assert [r["rank"] for r in client.get("/api/v1/leaderboards/models/").json()] == [None, None, None]


def test_partial_ties_keep_their_shared_rank():
    math = SiteFactory(slug="math")
    answers_for(ModelEntryFactory(name="top"), math, ["verified_correct"] * 10)
    answers_for(ModelEntryFactory(name="close"), math, ["verified_correct"] * 8 + ["verified_incorrect"] * 2)
    answers_for(ModelEntryFactory(name="last"), math, ["verified_incorrect"] * 10)
    leaderboard_tallies_refresh()
    assert {name: r.rank for name, r in rows_by_name().items()} == {"top": 1, "close": 1, "last": 3}


def test_the_only_reviewed_entry_is_not_ranked_first_by_default(client):
    answers_for(ModelEntryFactory(name="alone"), SiteFactory(slug="math"), ["verified_correct"])
    leaderboard_tallies_refresh()
    [row] = model_leaderboard({})
    assert (row.status, row.rank) == ("tied", None)
    assert "Only one model has expert-resolved answers" in client.get("/leaderboards/models/").content.decode()


def test_the_schema_documents_a_nullable_rank_and_the_status(client):
    schema = client.get("/api/v1/schema/", {"format": "json"}).json()
    row = schema["components"]["schemas"]["ModelRow"]
    assert row["properties"]["rank"].get("nullable") is True
    status = row["properties"]["status"]
    ref = status.get("$ref") or status["allOf"][0]["$ref"]
    enum = schema["components"]["schemas"][ref.rsplit("/", 1)[1]]["enum"]
    assert set(enum) == {"ranked", "tied", "not_yet_reviewed"}
    assert "status" in row["required"]


def test_model_names_link_to_their_entry_page(client):
    entry = ModelEntryFactory(name="linked")
    answers_for(entry, SiteFactory(slug="math"), ["unreviewed"])
    leaderboard_tallies_refresh()
    assert f'href="/leaderboards/models/{entry.pk}/"' in client.get("/leaderboards/models/").content.decode()
