"""How well a validator config agrees with expert verdicts: plain numbers in, plain numbers out.

`truth` is 1 where experts verified the answer correct and 0 where they verified it incorrect;
`accepted` is the validator's decision (abstentions count as not accepted); `scores` are its
scores in [0, 1]. Precision and recall get Wilson intervals; F0.5 and Cohen's kappa a
bootstrap over the confusion matrix (multinomial resampling of its four cells); AUROC
(scikit-learn) the Hanley–McNeil interval.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.stats import norm
from sklearn.metrics import precision_recall_curve, roc_auc_score

from leaderboards.stats import Proportion, wilson

Z95 = float(norm.ppf(0.975))
BOOTSTRAP_RESAMPLES = 2000


@dataclass(frozen=True)
class Estimate:
    value: float | None
    low: float
    high: float


@dataclass(frozen=True)
class Confusion:
    tp: int
    fp: int
    fn: int
    tn: int

    @property
    def n(self) -> int:
        return self.tp + self.fp + self.fn + self.tn

    def cells(self) -> np.ndarray:
        return np.array([self.tp, self.fp, self.fn, self.tn], dtype=float)


@dataclass(frozen=True)
class ReliabilityBin:
    low: float
    high: float
    count: int
    mean_score: float | None
    observed: float | None


def confusion(truth: np.ndarray, accepted: np.ndarray) -> Confusion:
    truth, accepted = truth.astype(bool), accepted.astype(bool)
    return Confusion(tp=int(np.sum(truth & accepted)), fp=int(np.sum(~truth & accepted)),
                     fn=int(np.sum(truth & ~accepted)), tn=int(np.sum(~truth & ~accepted)))  # fmt: skip


def _divide(numerator, denominator):
    numerator, denominator = np.asarray(numerator, float), np.asarray(denominator, float)
    out = np.full(np.broadcast(numerator, denominator).shape, np.nan)
    return np.divide(numerator, denominator, out=out, where=denominator > 0)


def f_beta_cells(cells: np.ndarray, beta: float = 0.5) -> np.ndarray:
    """F-beta from confusion cells (last axis: tp, fp, fn, tn); NaN where undefined."""
    tp, fp, fn = cells[..., 0], cells[..., 1], cells[..., 2]
    b2 = beta * beta
    return _divide((1 + b2) * tp, (1 + b2) * tp + b2 * fn + fp)


def kappa_cells(cells: np.ndarray) -> np.ndarray:
    """Cohen's kappa between the validator and the experts; NaN where chance agreement is total."""
    tp, fp, fn, tn = (cells[..., i] for i in range(4))
    n = tp + fp + fn + tn
    observed = _divide(tp + tn, n)
    chance = _divide((tp + fp) * (tp + fn) + (fn + tn) * (fp + tn), n * n)
    return _divide(observed - chance, 1 - chance)


def bootstrap(counts: Confusion, statistic, *, resamples: int = BOOTSTRAP_RESAMPLES,
              seed: int = 0) -> Estimate:  # fmt: skip
    """The statistic with a 95% percentile interval from multinomial resamples of the matrix."""
    cells = counts.cells()
    value = float(statistic(cells))
    if counts.n == 0 or np.isnan(value):
        return Estimate(None, 0.0, 1.0)
    rng = np.random.default_rng(seed)
    samples = statistic(rng.multinomial(counts.n, cells / counts.n, size=resamples).astype(float))
    samples = samples[~np.isnan(samples)]
    low, high = np.percentile(samples, [2.5, 97.5]) if samples.size else (value, value)
    return Estimate(value, float(low), float(high))


def precision(counts: Confusion) -> Proportion:
    return wilson(counts.tp, counts.tp + counts.fp)


def recall(counts: Confusion) -> Proportion:
    return wilson(counts.tp, counts.tp + counts.fn)


def auroc(truth: np.ndarray, scores: np.ndarray) -> Estimate:
    """Area under the ROC curve of the scores, with the Hanley–McNeil (1982) 95% interval."""
    positives, negatives = int(np.sum(truth == 1)), int(np.sum(truth == 0))
    if positives == 0 or negatives == 0:
        return Estimate(None, 0.0, 1.0)
    area = float(roc_auc_score(truth, scores))
    q1, q2 = area / (2 - area), 2 * area * area / (1 + area)
    variance = (area * (1 - area) + (positives - 1) * (q1 - area * area)
                + (negatives - 1) * (q2 - area * area)) / (positives * negatives)  # fmt: skip
    spread = Z95 * float(np.sqrt(max(variance, 0.0)))
    return Estimate(area, max(0.0, area - spread), min(1.0, area + spread))


def reliability(truth: np.ndarray, scores: np.ndarray, bins: int = 10) -> list[ReliabilityBin]:
    """Equal-width score bins: the mean score and the share verified correct in each."""
    edges = np.linspace(0.0, 1.0, bins + 1)
    index = np.clip(np.digitize(scores, edges[1:-1], right=False), 0, bins - 1)
    result = []
    for b in range(bins):
        members = index == b
        count = int(members.sum())
        result.append(ReliabilityBin(
            low=float(edges[b]), high=float(edges[b + 1]), count=count,
            mean_score=float(scores[members].mean()) if count else None,
            observed=float(truth[members].mean()) if count else None,
        ))  # fmt: skip
    return result


def expected_calibration_error(bins: list[ReliabilityBin]) -> float | None:
    total = sum(b.count for b in bins)
    if total == 0:
        return None
    return sum(b.count / total * abs(b.observed - b.mean_score) for b in bins if b.count)


def is_scored(scores: np.ndarray) -> bool:
    """Scores that say more than accept/reject: a threshold can be chosen."""
    return np.unique(scores).size > 2


def threshold_row(truth: np.ndarray, scores: np.ndarray, threshold: float) -> dict:
    counts = confusion(truth, scores >= threshold)
    return {"threshold": threshold, "accepted": counts.tp + counts.fp, "confusion": counts,
            "precision": precision(counts), "recall": recall(counts),
            "f05": _nan_to_none(f_beta_cells(counts.cells()))}  # fmt: skip


def pr_curve(truth: np.ndarray, scores: np.ndarray) -> list[tuple[float, float]]:
    """(recall, precision) points of the precision–recall curve (scikit-learn)."""
    if not np.any(truth == 1):
        return []
    precisions, recalls, _ = precision_recall_curve(truth, scores)
    return [(float(r), float(p)) for r, p in zip(recalls, precisions, strict=True)]


def _nan_to_none(value) -> float | None:
    value = float(value)
    return None if np.isnan(value) else value
