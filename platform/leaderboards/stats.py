"""Intervals and ranks for leaderboards."""

import math
from dataclasses import dataclass
from functools import cache

from scipy.stats import norm


@dataclass(frozen=True)
class Proportion:
    successes: int
    trials: int
    low: float
    high: float

    @property
    def estimate(self) -> float | None:
        return self.successes / self.trials if self.trials else None

    @property
    def value(self) -> float | None:
        return self.estimate


def wilson(successes: int, trials: int, confidence: float = 0.95) -> Proportion:
    """The Wilson score interval (the same numbers as scipy's binomtest(...).proportion_ci with
    method="wilson", which also runs a test and is a hundred times slower)."""
    if trials == 0:
        return Proportion(0, 0, 0.0, 1.0)
    z = _z(confidence)
    share, z2 = successes / trials, z * z
    centre = (share + z2 / (2 * trials)) / (1 + z2 / trials)
    half = z / (1 + z2 / trials) * math.sqrt(share * (1 - share) / trials + z2 / (4 * trials * trials))
    return Proportion(successes, trials, max(0.0, centre - half), min(1.0, centre + half))


@cache
def _z(confidence: float) -> float:
    return float(norm.ppf(0.5 + confidence / 2))


def tied_ranks(intervals: list[Proportion]) -> list[int]:
    """1 + the number of rows clearly better (their lower bound above this row's upper bound):
    rows whose intervals overlap share a rank."""
    return [1 + sum(other.low > row.high for other in intervals) for row in intervals]
