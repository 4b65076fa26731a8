"""A model entry's public page: provenance, the primary validator's pass rate and expert verdicts,
overall and by site, with the leaderboard's Wilson intervals; counts only, never answers."""

import re

import pytest

from evaluation.services import validator_config_save
from leaderboards.services import leaderboard_tallies_refresh
from leaderboards.stats import wilson
from submissions.models import Answer
from tests.factories import ModelEntryFactory, QuestionFactory, SiteFactory, UserFactory
from tests.leaderboards.data import scripted_config

pytestmark = pytest.mark.django_db


def answer(entry, site, n, *, validation="passed", review="unreviewed", title=None):
    question = QuestionFactory(site=site, external_id=f"{site.slug}-{n}", title=title or f"Question {site.slug} {n}")
    return Answer.objects.create(question=question, model_entry=entry, text="a", content_hash=f"{site.slug}{n}",
                                 validation_state=validation, review_state=review)  # fmt: skip


@pytest.fixture
def entry(db):
    owner = UserFactory(username="maker", is_builder=True, organisation="Maker Lab")
    entry = ModelEntryFactory(owner=owner, name="atlas", version="2026-11", provider="vLLM", base_model="atlas-base",
                              organisation="Maker Lab", generation_params={"temperature": 0.7},
                              endpoint_base_url="https://secret.example/v1", system_prompt="Private prompt")  # fmt: skip
    math, physics = SiteFactory(slug="math", name="Mathematics"), SiteFactory(slug="physics", name="Physics")
    for n, (validation, review) in enumerate([
        ("passed", "verified_correct"), ("passed", "verified_correct"), ("passed", "verified_incorrect"),
        ("failed", "verified_incorrect"), ("abstained", "unreviewed"), ("pending", "unreviewed"),
    ]):  # fmt: skip
        answer(entry, math, n, validation=validation, review=review)
    answer(entry, physics, 0, validation="failed", review="in_review")
    validator_config_save(name="primary-judge", config=scripted_config("[[Y]]"), actor=None, is_primary=True)
    leaderboard_tallies_refresh()
    return entry


def text_of(html: str, element_id: str) -> str:
    match = re.search(rf'id="{element_id}"[^>]*>(.*?)</(dd|table)>', html, re.S)
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", match.group(1))).strip()


def test_the_page_shows_provenance_pass_rate_and_verdicts_with_wilson_intervals(client, entry):
    html = client.get(f"/leaderboards/models/{entry.pk}/").content.decode()
    for fact in ("atlas", "2026-11", "vLLM", "atlas-base", "Maker Lab", "temperature=0.7"):
        assert fact in html
    assert "secret.example" not in html and "Private prompt" not in html  # operational, not provenance
    # the primary validator: 3 passed of 6 judged (abstained counts as judged; pending does not)
    passed = wilson(3, 6)
    assert text_of(html, "pass-rate") == f"primary-judge: 3 / 6 — 0.50 [{passed.low:.2f}, {passed.high:.2f}]"
    assert (text_of(html, "verified-correct"), text_of(html, "verified-incorrect")) == ("2", "2")
    share = wilson(2, 7)  # as on the leaderboard: over the questions attempted
    assert text_of(html, "verified-share").startswith(f"2 / 7 — 0.29 [{share.low:.2f}, {share.high:.2f}]")
    assert text_of(html, "resolved-share").startswith("2 / 4 — 0.50")
    sites = text_of(html, "by-site")
    math_pass, math_share = wilson(3, 5), wilson(2, 6)
    assert (f"Mathematics 6 3 / 5 — 0.60 [{math_pass.low:.2f}, {math_pass.high:.2f}] 2 2 "
            f"2 / 6 — 0.33 [{math_share.low:.2f}, {math_share.high:.2f}]") in sites  # fmt: skip
    assert "Physics 1 0 / 1 — 0.00" in sites and sites.endswith("0 0 not yet reviewed")


def test_the_page_reads_tallies_in_a_constant_number_of_queries(client, entry, django_assert_num_queries):
    with django_assert_num_queries(5):  # entry, has answers, tallies, primary validator, as-of
        client.get(f"/leaderboards/models/{entry.pk}/")
    for n in range(10, 30):
        answer(entry, SiteFactory(slug=f"s{n}"), n, review="verified_correct")
    leaderboard_tallies_refresh()
    with django_assert_num_queries(5):
        assert client.get(f"/leaderboards/models/{entry.pk}/").status_code == 200


def test_blind_sites_reveal_counts_only_never_which_answers(client, entry):
    blind = SiteFactory(slug="blind", name="Blind site", blind_model=True, blind_validator=True)
    waiting = answer(entry, blind, 0, validation="passed", review="in_review", title="Awaiting blind review")
    leaderboard_tallies_refresh()
    html = client.get(f"/leaderboards/models/{entry.pk}/").content.decode()
    assert "Blind site" in text_of(html, "by-site")  # the same aggregate as the leaderboard's site filter
    assert "Awaiting blind review" not in html and f"/questions/{waiting.question_id}/" not in html
    assert "/questions/" not in html  # no answer of the entry is linked from its page


def test_an_entry_without_answers_is_only_its_owners_and_curators(client, curator):
    owner = UserFactory(username="quiet", is_builder=True)
    fresh = ModelEntryFactory(owner=owner, name="unreleased")
    url = f"/leaderboards/models/{fresh.pk}/"
    assert client.get(url).status_code == 404
    client.force_login(UserFactory(username="rival", is_builder=True))
    assert client.get(url).status_code == 404
    for user in (owner, curator):
        client.force_login(user)
        page = client.get(url)
        assert page.status_code == 200 and "No answers counted yet" in page.content.decode()
    assert client.get("/leaderboards/models/999999/").status_code == 404
