"""The model leaderboard: per model entry, submitted, validated, expert-verified."""

from dataclasses import dataclass, field

from django.conf import settings
from django.db.models import Count, Q

from evaluation.models import ValidationResult
from leaderboards.stats import Proportion, tied_ranks, wilson
from submissions.models import Answer, ModelEntry, ReviewState, ValidationState

RESOLVED = (ReviewState.VERIFIED_CORRECT, ReviewState.VERIFIED_INCORRECT)


@dataclass
class ModelRow:
    entry: ModelEntry
    submitted: int
    passed: int
    verified_correct: Proportion
    resolved: int
    confirmed: Proportion
    pass_rates: dict[str, float] = field(default_factory=dict)
    rate_cells: list[float | None] = field(default_factory=list)
    rank: int = 0

    @property
    def provisional(self) -> bool:
        return self.resolved < settings.QUORUM_LEADERBOARD_MIN_REVIEWED


def _answers(filters: dict):
    answers = Answer.objects.all()
    if filters.get("site"):
        answers = answers.filter(question__site__slug=filters["site"])
    if filters.get("category"):
        answers = answers.filter(question__category=filters["category"])
    if filters.get("diamond"):
        answers = answers.filter(question__diamond=True)
    return answers


def model_leaderboard(filters: dict) -> list[ModelRow]:
    answers = _answers(filters)
    counts = answers.values("model_entry").annotate(
        submitted=Count("id"),
        passed=Count("id", filter=Q(validation_state=ValidationState.PASSED)),
        correct=Count("id", filter=Q(review_state=ReviewState.VERIFIED_CORRECT)),
        resolved=Count("id", filter=Q(review_state__in=RESOLVED)),
        passed_correct=Count("id", filter=Q(validation_state=ValidationState.PASSED,
                                            review_state=ReviewState.VERIFIED_CORRECT)),
        passed_resolved=Count("id", filter=Q(validation_state=ValidationState.PASSED, review_state__in=RESOLVED)),
    )  # fmt: skip
    entries = ModelEntry.objects.select_related("owner").in_bulk([c["model_entry"] for c in counts])
    rates = _pass_rates(answers)
    rows = [
        ModelRow(
            entry=entries[c["model_entry"]], submitted=c["submitted"], passed=c["passed"],
            # verified correct over the questions attempted (one answer per question and entry)
            verified_correct=wilson(c["correct"], c["submitted"]), resolved=c["resolved"],
            confirmed=wilson(c["passed_correct"], c["passed_resolved"]),
            pass_rates=rates.get(c["model_entry"], {}),
        )
        for c in counts
    ]  # fmt: skip
    rows.sort(key=lambda r: (-(r.verified_correct.estimate or 0), -r.submitted, r.entry.pk))
    for row, rank in zip(rows, tied_ranks([r.verified_correct for r in rows]), strict=True):
        row.rank = rank
    return rows


def _pass_rates(answers) -> dict[int, dict[str, float]]:
    """Per model entry and validator config: the share of its judged answers accepted."""
    results = ValidationResult.objects.filter(answer__in=answers).values(
        "answer__model_entry", "validation__validator__name"
    ).annotate(judged=Count("id"), accepted=Count("id", filter=Q(decision="accept")))
    rates: dict[int, dict[str, float]] = {}
    for r in results:
        rates.setdefault(r["answer__model_entry"], {})[r["validation__validator__name"]] = r["accepted"] / r["judged"]
    return rates
