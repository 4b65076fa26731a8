"""The leaderboards: models (submitted, validated, expert-verified) and validator configs
(agreement with expert verdicts)."""

from dataclasses import dataclass, field

import numpy as np
from django.conf import settings
from django.db.models import Avg, Count, F, Q
from django.db.models.functions import TruncWeek

from evaluation.models import ValidationResult, ValidatorConfig
from leaderboards import calibration
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


@dataclass
class ValidatorRow:
    """One validator config (a validator at one config hash) measured against expert verdicts."""

    validator: ValidatorConfig
    config_hash: str
    judged: int
    calls_per_answer: float
    tokens_per_answer: float
    counts: calibration.Confusion
    abstained: int
    precision: Proportion
    recall: Proportion
    f05: calibration.Estimate
    kappa: calibration.Estimate
    auroc: calibration.Estimate
    ece: float | None
    scored: bool
    rank: int = 0

    @property
    def current(self) -> bool:
        return self.config_hash == self.validator.config_hash

    @property
    def provisional(self) -> bool:
        return self.counts.n < settings.QUORUM_LEADERBOARD_MIN_REVIEWED


@dataclass
class Judgements:
    """Per resolved answer: the expert truth, the validator's decision, score and site."""

    truth: np.ndarray
    accepted: np.ndarray
    abstained: np.ndarray
    scores: np.ndarray
    sites: np.ndarray

    @classmethod
    def from_rows(cls, rows: list[tuple]) -> "Judgements":
        truth = np.array([r[0] == ReviewState.VERIFIED_CORRECT for r in rows], dtype=int)
        decisions = np.array([r[1] for r in rows], dtype=object)
        return cls(truth=truth, accepted=decisions == "accept", abstained=decisions == "abstain",
                   scores=np.array([r[2] for r in rows], dtype=float),
                   sites=np.array([r[3] for r in rows], dtype=object))  # fmt: skip

    def subset(self, mask: np.ndarray) -> "Judgements":
        return Judgements(self.truth[mask], self.accepted[mask], self.abstained[mask],
                          self.scores[mask], self.sites[mask])  # fmt: skip


def _judgements(answers, validator_id: int | None = None, config_hash: str | None = None):
    """Resolved answers' judgements grouped by (validator id, config hash)."""
    results = ValidationResult.objects.filter(
        answer__in=answers.filter(review_state__in=RESOLVED)
    )
    if validator_id is not None:
        results = results.filter(validation__validator_id=validator_id, config_hash=config_hash)
    rows = results.values_list(
        "validation__validator_id", "config_hash", "answer__review_state", "decision", "score",
        "answer__question__site__slug",
    )  # fmt: skip
    grouped: dict[tuple[int, str], list[tuple]] = {}
    for validator, digest, *rest in rows.iterator(chunk_size=10_000):
        grouped.setdefault((validator, digest), []).append(tuple(rest))
    return {key: Judgements.from_rows(value) for key, value in grouped.items()}


def _costs(answers) -> dict[tuple[int, str], dict]:
    """Per validator config: answers judged, judge calls and tokens per answer (all answers)."""
    costs = ValidationResult.objects.filter(answer__in=answers).values(
        "validation__validator_id", "config_hash"
    ).annotate(judged=Count("id"), calls=Avg("calls"),
               tokens=Avg(F("prompt_tokens") + F("completion_tokens")))  # fmt: skip
    return {(c["validation__validator_id"], c["config_hash"]): c for c in costs}


def _validator_row(validator, digest, cost: dict, seen: Judgements | None) -> ValidatorRow:
    seen = seen or Judgements.from_rows([])
    counts = calibration.confusion(seen.truth, seen.accepted)
    return ValidatorRow(
        validator=validator, config_hash=digest, judged=cost["judged"],
        calls_per_answer=cost["calls"] or 0.0, tokens_per_answer=cost["tokens"] or 0.0,
        counts=counts, abstained=int(seen.abstained.sum()),
        precision=calibration.precision(counts), recall=calibration.recall(counts),
        f05=calibration.bootstrap(counts, calibration.f_beta_cells),
        kappa=calibration.bootstrap(counts, calibration.kappa_cells),
        auroc=calibration.auroc(seen.truth, seen.scores),
        ece=calibration.expected_calibration_error(calibration.reliability(seen.truth, seen.scores)),
        scored=calibration.is_scored(seen.scores),
    )  # fmt: skip


def validator_leaderboard(filters: dict) -> list[ValidatorRow]:
    answers = _answers(filters)
    costs = _costs(answers)
    judged = _judgements(answers)
    validators = ValidatorConfig.objects.in_bulk({key[0] for key in costs})
    rows = [_validator_row(validators[key[0]], key[1], cost, judged.get(key))
            for key, cost in costs.items()]  # fmt: skip
    rows.sort(key=lambda r: (-(r.f05.value or 0), -r.counts.n, r.validator.name, r.config_hash))
    for row, rank in zip(rows, tied_ranks([r.f05 for r in rows]), strict=True):
        row.rank = rank
    return rows


@dataclass
class ValidatorDetail:
    row: ValidatorRow
    sites: list[dict]
    bins: list[calibration.ReliabilityBin]
    thresholds: list[dict]
    chosen: dict | None
    curve: list[tuple[float, float]]
    weekly: list[dict]


THRESHOLD_STEPS = [round(0.05 * i, 2) for i in range(1, 20)]


def validator_detail(validator: ValidatorConfig, config_hash: str, filters: dict,
                     threshold: float | None) -> ValidatorDetail | None:  # fmt: skip
    answers = _answers(filters)
    cost = _costs(answers).get((validator.pk, config_hash))
    if cost is None:
        return None
    seen = _judgements(answers, validator.pk, config_hash).get((validator.pk, config_hash))
    seen = seen or Judgements.from_rows([])
    row = _validator_row(validator, config_hash, cost, seen)
    scored = row.scored
    steps = sorted({*THRESHOLD_STEPS, *([threshold] if threshold is not None else [])})
    return ValidatorDetail(
        row=row, sites=_per_site(seen), bins=calibration.reliability(seen.truth, seen.scores),
        thresholds=[calibration.threshold_row(seen.truth, seen.scores, t) for t in steps] if scored else [],
        chosen=calibration.threshold_row(seen.truth, seen.scores, threshold) if scored and threshold is not None else None,
        curve=calibration.pr_curve(seen.truth, seen.scores) if scored else [],
        weekly=_weekly_pass_rates(answers, validator.pk, config_hash),
    )  # fmt: skip


def _per_site(seen: Judgements) -> list[dict]:
    rows = []
    for site in sorted(set(seen.sites.tolist())):
        part = seen.subset(seen.sites == site)
        counts = calibration.confusion(part.truth, part.accepted)
        rows.append({"site": site, "counts": counts, "precision": calibration.precision(counts),
                     "recall": calibration.recall(counts),
                     "f05": calibration.bootstrap(counts, calibration.f_beta_cells),
                     "kappa": calibration.bootstrap(counts, calibration.kappa_cells)})  # fmt: skip
    return rows


def _weekly_pass_rates(answers, validator_id: int, config_hash: str) -> list[dict]:
    """The share of answers accepted, by the week the answers were submitted."""
    weeks = ValidationResult.objects.filter(
        answer__in=answers, validation__validator_id=validator_id, config_hash=config_hash
    ).values(week=TruncWeek("answer__submitted_at")).annotate(
        judged=Count("id"), accepted=Count("id", filter=Q(decision="accept"))
    ).order_by("week")  # fmt: skip
    return [{**w, "rate": wilson(w["accepted"], w["judged"])} for w in weeks]
