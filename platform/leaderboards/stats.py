"""Intervals and ranks for leaderboards (scipy for the Wilson interval)."""

from dataclasses import dataclass

from scipy.stats import binomtest


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
    if trials == 0:
        return Proportion(0, 0, 0.0, 1.0)
    interval = binomtest(successes, trials).proportion_ci(confidence_level=confidence, method="wilson")
    return Proportion(successes, trials, float(interval.low), float(interval.high))


def tied_ranks(intervals: list[Proportion]) -> list[int]:
    """1 + the number of rows clearly better (their lower bound above this row's upper bound):
    rows whose intervals overlap share a rank."""
    return [1 + sum(other.low > row.high for other in intervals) for row in intervals]
