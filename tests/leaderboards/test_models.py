import pytest

from leaderboards.selectors import model_leaderboard
from leaderboards.services import leaderboard_tallies_refresh
from leaderboards.stats import Proportion, tied_ranks, wilson
from submissions.models import Answer
from tests.factories import ModelEntryFactory, QuestionFactory, SiteFactory

pytestmark = pytest.mark.django_db


def test_wilson_interval_matches_the_hand_computed_case():
    # 8 of 10: centre (8 + 1.92) / 13.84 = 0.7167, half-width 1.96/13.84 * sqrt(1.6 + 0.9604) = 0.2266
    interval = wilson(8, 10)
    assert interval.low == pytest.approx(0.4902, abs=1e-3) and interval.high == pytest.approx(0.9433, abs=1e-3)
    assert wilson(0, 0) == Proportion(0, 0, 0.0, 1.0)


@pytest.mark.parametrize(("successes", "trials"), [(0, 1), (1, 1), (0, 7), (3, 7), (7, 7), (480, 1000), (1, 40000)])
def test_wilson_agrees_with_scipy(successes, trials):
    from scipy.stats import binomtest

    reference = binomtest(successes, trials).proportion_ci(confidence_level=0.95, method="wilson")
    interval = wilson(successes, trials)
    assert interval.low == pytest.approx(reference.low, abs=1e-9) and interval.high == pytest.approx(reference.high, abs=1e-9)


def test_overlapping_intervals_share_a_rank():
    strong, close, weak = Proportion(9, 10, 0.6, 0.98), Proportion(7, 10, 0.4, 0.89), Proportion(0, 10, 0.0, 0.28)
    assert tied_ranks([strong, close, weak]) == [1, 1, 3]


def answers_for(entry, site, states, validation="passed", diamond=False):
    for n, state in enumerate(states):
        question = QuestionFactory(site=site, diamond=diamond, external_id=f"{entry.name}-{site.slug}-{n}")
        Answer.objects.create(question=question, model_entry=entry, text="a", content_hash=f"{entry.pk}{n}",
                              review_state=state, validation_state=validation)  # fmt: skip


def test_models_rank_by_verified_correct_answers_with_filters(client):
    math, history = SiteFactory(slug="math"), SiteFactory(slug="history")
    good, poor = ModelEntryFactory(name="good"), ModelEntryFactory(name="poor")
    answers_for(good, math, ["verified_correct"] * 6 + ["verified_incorrect"])
    answers_for(poor, math, ["verified_incorrect"] * 6 + ["unreviewed"], validation="failed")
    answers_for(poor, history, ["verified_incorrect"] * 3, diamond=True)
    assert model_leaderboard({}) == []  # nothing counted before the tallies are rebuilt
    leaderboard_tallies_refresh()
    rows = model_leaderboard({})
    assert [r.entry.name for r in rows] == ["good", "poor"]
    top = rows[0]
    assert (top.submitted, top.verified_correct.successes, top.rank, top.provisional) == (7, 6, 1, False)
    assert top.confirmed.successes == 6 and top.confirmed.trials == 7
    assert rows[1].rank == 2  # clearly worse: its interval lies below the leader's
    assert [(r.status, r.rank) for r in rows] == [("ranked", 1), ("ranked", 2)]
    [history_row] = model_leaderboard({"site": "history"})
    assert (history_row.entry.name, history_row.provisional) == ("poor", True)  # 3 resolved < 5
    assert (history_row.status, history_row.rank) == ("tied", None)
    assert [r.entry.name for r in model_leaderboard({"diamond": True})] == ["poor"]
    page = client.get("/leaderboards/models/", {"site": "math"}).content.decode()
    assert "good" in page and "[0.49, 0.97]" in page


def test_pass_rates_per_validator_config(client):
    from evaluation.models import Validation, ValidationResult
    from evaluation.services import validator_config_save

    site = SiteFactory(slug="math")
    entry = ModelEntryFactory(name="judged")
    answers_for(entry, site, ["unreviewed"] * 4)
    config = {"judges": {"default": {"kind": "scripted", "model": "s", "default": "[[Y]]"}}, "pipeline": "vanilla"}
    validator = validator_config_save(name="strict", config=config, actor=None)
    for n, answer in enumerate(Answer.objects.filter(model_entry=entry)):
        validation = Validation.objects.create(answer=answer, validator=validator, config_hash=validator.config_hash,
                                               state="passed" if n else "failed")  # fmt: skip
        ValidationResult.objects.create(validation=validation, answer=answer, config_hash=validator.config_hash,
                                        decision="accept" if n else "reject", score=1.0 if n else 0.0,
                                        library_version="t", verdict={})  # fmt: skip
    leaderboard_tallies_refresh()
    [row] = model_leaderboard({})
    assert row.pass_rates == {"strict": 0.75}
    assert "75%" in client.get("/leaderboards/models/").content.decode()


def test_the_public_leaderboard_api(client):
    site = SiteFactory(slug="math")
    answers_for(ModelEntryFactory(name="good"), site, ["verified_correct"] * 2)
    leaderboard_tallies_refresh()
    rows = client.get("/api/v1/leaderboards/models/", {"site": "math"}).json()
    assert rows[0]["name"] == "good" and rows[0]["provisional"] is True
    assert (rows[0]["rank"], rows[0]["status"]) == (None, "tied")  # the only reviewed entry: nothing to rank against
    assert rows[0]["verified_correct"]["successes"] == 2 and 0 < rows[0]["verified_correct"]["low"] < 1
    bad = client.get("/api/v1/leaderboards/models/", {"site": "nowhere"})
    assert bad.status_code == 400 and bad.json()["errors"][0]["field"] == "site"


def test_beat_rebuilds_the_tallies_and_pages_say_when(client):
    import workers.tasks  # noqa: F401 - what the worker's autodiscovery imports
    from workers.celery_app import app
    from workers.queues import TASK_ROUTES
    from workers.schedule import beat_schedule

    assert beat_schedule(sweep_every_s=30, leaderboard_every_s=45)["refresh-leaderboards"] == {
        "task": "quorum.leaderboards.refresh", "schedule": 45}  # fmt: skip
    assert TASK_ROUTES["quorum.leaderboards.refresh"] == {"queue": "default"}
    assert "not been computed yet" in client.get("/leaderboards/models/").content.decode()
    answers_for(ModelEntryFactory(name="late"), SiteFactory(slug="math"), ["verified_correct"])
    app.tasks["quorum.leaderboards.refresh"].apply().get()
    page = client.get("/leaderboards/models/").content.decode()
    assert "Counts as of" in page and "late" in page
    assert "Counts as of" in client.get("/leaderboards/validators/").content.decode()
