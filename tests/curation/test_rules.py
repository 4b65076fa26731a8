"""Each rule filter on hand-made candidates, site overrides, diamond marks and the report."""

from datetime import UTC, datetime, timedelta

import pytest

from curation import rules
from curation.rules import UQ_DEFAULTS, Facts, evaluate, report

NOW = datetime(2025, 6, 1, tzinfo=UTC)


def facts(**overrides) -> Facts:
    good = {"site": "math", "title": "Does every bounded sequence have a limit point?",
            "body": "<p>Plain text, $x^2$.</p>", "tags": ["real-analysis"], "score": 10,
            "views": 1000, "created_at": NOW - timedelta(days=1000)}  # fmt: skip
    return Facts(**{**good, **overrides})


def failed(candidate: Facts, preset: dict = UQ_DEFAULTS) -> list[str]:
    return [name for name, _ in evaluate(candidate, preset, NOW).failures]


def test_a_good_candidate_passes_every_uq_rule():
    assert failed(facts()) == []


@pytest.mark.parametrize(
    ("changes", "rule"),
    [
        ({"score": 4}, "min_score"),
        ({"created_at": NOW - timedelta(days=729)}, "min_age_days"),
        ({"created_at": None}, "min_age_days"),
        ({"views": 499}, "min_views"),
        ({"views": None}, "min_views"),
        ({"score": 5, "views": 25_005}, "max_views_per_vote"),
        ({"body": '<p><img src="https://i.stack.imgur.com/a.png"></p>'}, "no_images"),
        ({"body": "See ![plot](https://example.org/p.png)"}, "no_images"),
        ({"title": "Why is the sky blue on every planet?"}, "title_banned_words"),
        ({"title": "Short?"}, "title_min_chars"),
        ({"title": "What " + "x" * 300}, "title_max_chars"),
        ({"tags": ["opinion-based"]}, "blocked_tags"),
        ({"tags": ["Homework"]}, "blocked_tags"),
    ],
)
def test_each_rule_removes_what_it_should(changes, rule):
    assert failed(facts(**changes)) == [rule]


def test_boundaries_are_inclusive_like_uq():
    edge = facts(score=5, views=500, created_at=NOW - timedelta(days=730))
    assert failed(edge) == []
    assert failed(facts(score=5, views=25_000)) == []  # exactly 5000 views per vote is kept


def test_why_only_as_a_word_and_question_phrasing_only_when_asked():
    assert failed(facts(title="Whyte's conjecture on sequences of integers")) == []
    phrased = {**UQ_DEFAULTS, "title_must_be_question": True}
    assert failed(facts(title="Bounded sequences and their limit points"), phrased) == ["title_must_be_question"]
    assert failed(facts(title="Bounded sequences have limit points?"), phrased) == []


def test_null_switches_a_rule_off_and_site_overrides_replace_values():
    preset = {**UQ_DEFAULTS, "min_views": None,
              "site_overrides": {"mathoverflow": {"min_score": 20, "no_images": False}}}  # fmt: skip
    assert failed(facts(views=3), preset) == []
    assert failed(facts(site="mathoverflow", score=10), preset) == ["min_score"]
    assert failed(facts(site="mathoverflow", score=25, body="<img src=x>"), preset) == []


def test_every_failure_is_listed_with_a_reason():
    outcome = evaluate(facts(score=1, views=10, tags=["soft-question"]), UQ_DEFAULTS, NOW)
    assert outcome.failures == [("min_score", "score 1 < 5"), ("min_views", "10 views < 500"),
                                ("blocked_tags", "tag “soft-question” is blocked")]  # fmt: skip
    assert not outcome.kept and not outcome.diamond
    assert failed(facts(score=0, views=900)) == ["min_score", "max_views_per_vote"]


def test_diamond_needs_the_higher_thresholds_and_a_kept_question():
    assert evaluate(facts(score=60, views=12_000), UQ_DEFAULTS, NOW).diamond
    assert not evaluate(facts(score=60, views=9_000), UQ_DEFAULTS, NOW).diamond
    assert not evaluate(facts(score=60, views=12_000, tags=["big-list"]), UQ_DEFAULTS, NOW).diamond


def test_report_counts_first_failing_rule_and_every_failure():
    candidates = [facts(), facts(score=1), facts(score=1, views=10), facts(tags=["advice"]),
                  facts(score=80, views=20_000)]  # fmt: skip
    got = report(evaluate(c, UQ_DEFAULTS, NOW) for c in candidates)
    assert got == {
        "total": 5, "kept": 2, "removed": 3, "diamond": 1,
        "removed_by": {"min_score": 2, "blocked_tags": 1},
        "failed": {"min_score": 2, "min_views": 1, "blocked_tags": 1},
    }  # fmt: skip
    assert sum(got["removed_by"].values()) == got["removed"]


def test_schema_names_the_bad_key():
    assert rules.schema_errors(UQ_DEFAULTS) == []
    errors = rules.schema_errors({"min_score": "five", "min_vews": 3})
    assert any("min_score" in e for e in errors)
    assert any("min_vews" in e for e in errors)
