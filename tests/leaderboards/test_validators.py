"""The validator leaderboard: metrics on hand-computed cases, the page, the threshold chooser,
the charts and the public API."""

import numpy as np
import pytest
from sklearn.metrics import cohen_kappa_score

from evaluation.services import validator_config_save
from leaderboards import calibration
from leaderboards.selectors import validator_leaderboard
from tests.leaderboards.data import TRUTH, judged_validators, scripted_config

# with TRUTH: tp 3, fp 1, fn 3, tn 3
ACCEPTED = np.array([1, 1, 1, 0, 0, 0, 1, 0, 0, 0])


def test_confusion_precision_recall_f05_and_kappa_by_hand():
    counts = calibration.confusion(TRUTH, ACCEPTED)
    assert (counts.tp, counts.fp, counts.fn, counts.tn) == (3, 1, 3, 3)
    assert calibration.precision(counts).value == 0.75 and calibration.recall(counts).value == 0.5
    # F0.5 = 1.25 * P * R / (0.25 * P + R) = 0.46875 / 0.6875
    assert calibration.f_beta_cells(counts.cells()) == pytest.approx(0.681818, abs=1e-6)
    # observed agreement 0.6, chance (4*6 + 6*4) / 100 = 0.48: kappa = 0.12 / 0.52
    assert calibration.kappa_cells(counts.cells()) == pytest.approx(0.230769, abs=1e-6)
    assert calibration.kappa_cells(counts.cells()) == pytest.approx(cohen_kappa_score(TRUTH, ACCEPTED))


def test_bootstrap_intervals_hold_the_estimate_and_are_reproducible():
    counts = calibration.Confusion(tp=40, fp=10, fn=20, tn=30)
    f05 = calibration.bootstrap(counts, calibration.f_beta_cells)
    assert 0 < f05.low < f05.value < f05.high < 1
    assert calibration.bootstrap(counts, calibration.f_beta_cells) == f05
    wide = calibration.bootstrap(calibration.Confusion(4, 1, 2, 3), calibration.kappa_cells)
    narrow = calibration.bootstrap(calibration.Confusion(400, 100, 200, 300), calibration.kappa_cells)
    assert wide.high - wide.low > 3 * (narrow.high - narrow.low)
    assert calibration.bootstrap(calibration.Confusion(0, 0, 0, 0), calibration.kappa_cells).value is None


def test_auroc_with_the_hanley_mcneil_interval():
    estimate = calibration.auroc(np.array([0, 0, 1, 1]), np.array([0.1, 0.4, 0.35, 0.8]))
    # A = 0.75; Q1 = 0.6, Q2 = 0.642857; var = (0.1875 + 0.0375 + 0.080357) / 4; se = 0.27630
    assert estimate.value == pytest.approx(0.75)
    assert estimate.low == pytest.approx(0.75 - 1.959964 * 0.276296, abs=1e-4) and estimate.high == 1.0
    assert calibration.auroc(np.array([1, 1]), np.array([0.2, 0.9])).value is None  # one class only


def test_reliability_bins_and_expected_calibration_error():
    scores, truth = np.array([0.05, 0.15, 0.15, 0.95, 0.95, 1.0]), np.array([0, 0, 1, 1, 1, 1])
    bins = calibration.reliability(truth, scores)
    assert [b.count for b in bins] == [1, 2, 0, 0, 0, 0, 0, 0, 0, 3]  # 1.0 falls in the last bin
    assert bins[1].mean_score == pytest.approx(0.15) and bins[1].observed == 0.5
    # 1/6 * |0 - 0.05| + 2/6 * |0.5 - 0.15| + 3/6 * |1 - 0.96667| = 0.85 / 6
    assert calibration.expected_calibration_error(bins) == pytest.approx(0.85 / 6)
    assert calibration.expected_calibration_error(calibration.reliability(np.array([]), np.array([]))) is None


def test_threshold_rows_trade_recall_for_precision():
    scores = np.array([0.9, 0.8, 0.7, 0.3, 0.2, 0.1, 0.75, 0.4, 0.1, 0.05])
    low, high = (calibration.threshold_row(TRUTH, scores, t) for t in (0.25, 0.72))
    assert (low["accepted"], low["precision"].value, low["recall"].value) == (6, 4 / 6, 4 / 6)
    assert (high["accepted"], high["precision"].value, high["recall"].value) == (3, 2 / 3, 2 / 6)
    assert calibration.is_scored(scores) and not calibration.is_scored(np.array([0.0, 1.0, 1.0]))


@pytest.fixture
def judged(db):
    return judged_validators()


def test_the_leaderboard_measures_each_config_against_experts(judged):
    careful, lenient = judged
    rows = validator_leaderboard({})
    assert [r.validator.name for r in rows] == ["careful", "lenient"]
    top, other = rows
    assert (top.counts.tp, top.counts.fp, top.counts.fn, top.counts.tn) == (3, 1, 3, 3)
    assert top.judged == 11 and top.counts.n == 10  # the unreviewed answer is judged, not measured
    assert top.calls_per_answer == 3 and top.tokens_per_answer == 330
    assert top.f05.value == pytest.approx(0.681818, abs=1e-6) and top.scored and top.current
    # accepting everything: precision 0.6, recall 1, kappa 0, scores constant
    assert other.precision.value == 0.6 and other.recall.value == 1.0 and other.kappa.value == 0.0
    assert other.auroc.value == 0.5 and not other.scored
    [math_only] = [r for r in validator_leaderboard({"site": "math"}) if r.validator == careful]
    assert math_only.counts.n == 5


def test_an_edited_config_keeps_its_earlier_rows(judged):
    careful, _ = judged
    validator_config_save(name="careful", config=scripted_config("[[N]]"), actor=None, instance=careful)
    careful.refresh_from_db()
    [row] = [r for r in validator_leaderboard({}) if r.validator == careful]
    assert not row.current


def test_the_pages_show_metrics_charts_and_the_threshold_chooser(client, judged):
    careful, _ = judged
    page = client.get("/leaderboards/validators/").content.decode()
    assert "careful" in page and "0.68 <span" in page and f"/leaderboards/validators/{careful.pk}/" in page
    url = f"/leaderboards/validators/{careful.pk}/{careful.config_hash}/"
    detail = client.get(url, {"threshold": "0.72"}).content.decode()
    for needle in ('role="img"', "<title id=\"chart-reliability-title\">Reliability diagram</title>",
                   "chart-precision-recall", "Pass rate by week", "At 0.72: 3 accepted", 'class="is-chosen"'):
        assert needle in detail
    assert "<th scope=\"row\">bio</th>" in detail and "<th scope=\"row\">math</th>" in detail
    partial = client.get(url, {"threshold": "0.25"}, headers={"HX-Request": "true", "HX-Target": "threshold-chooser"})
    body = partial.content.decode()
    assert "At 0.25: 6 accepted" in body and "<html" not in body and "Reliability diagram" not in body
    assert "less than or equal to 1.0" in client.get(url, {"threshold": "7"}).content.decode()
    assert client.get(f"/leaderboards/validators/{careful.pk}/{'0' * 64}/").status_code == 404


def test_a_config_with_two_score_values_offers_no_threshold(client, judged):
    _, lenient = judged
    page = client.get(f"/leaderboards/validators/{lenient.pk}/{lenient.config_hash}/").content.decode()
    assert "no threshold to choose" in page and "chart-precision-recall" not in page


def test_the_public_validator_leaderboard_api(client, judged):
    rows = client.get("/api/v1/leaderboards/validators/").json()
    assert [r["name"] for r in rows] == ["careful", "lenient"]
    top = rows[0]
    assert top["confusion"] == {"true_positive": 3, "false_positive": 1, "false_negative": 3, "true_negative": 3}
    assert top["precision"]["estimate"] == 0.75 and top["f05"]["low"] < top["f05"]["value"] < top["f05"]["high"]
    assert top["auroc"]["value"] is not None and top["ece"] is not None and top["provisional"] is False
    assert client.get("/api/v1/leaderboards/validators/", {"site": "nowhere"}).status_code == 400


def test_long_curves_are_thinned_for_the_page_but_keep_their_ends():
    from leaderboards.charts import MAX_POINTS, precision_recall_chart, thin

    curve = [(i / 40_000, 1 - i / 80_000) for i in range(40_001)]
    points = thin(curve)
    assert len(points) <= MAX_POINTS + 1 and points[0] == curve[0] and points[-1] == curve[-1]
    chart = precision_recall_chart(curve, None)
    assert chart.series[0].path.count(",") == len(points)
    assert thin(curve[:10]) == curve[:10]
