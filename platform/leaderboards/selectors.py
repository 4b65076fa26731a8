"""The leaderboards: models (submitted, validated, expert-verified) and validator configs
(agreement with expert verdicts)."""

from dataclasses import dataclass, field

import numpy as np
from django.conf import settings
from django.db.models import Q, Sum, TextChoices
from django.db.models.functions import Coalesce

from evaluation.models import ValidatorConfig
from leaderboards import calibration
from leaderboards.models import (
    AnswerTally,
    JudgementTally,
    TallyRefresh,
    VerdictTally,
    WeeklyVerdictTally,
)
from leaderboards.stats import Proportion, tied_ranks, wilson
from submissions.models import ModelEntry, ReviewState, ValidationState

RESOLVED = (ReviewState.VERIFIED_CORRECT, ReviewState.VERIFIED_INCORRECT)


class RankStatus(TextChoices):
    """Why a model leaderboard row has a rank or not."""

    RANKED = "ranked", "Ranked"
    TIED = "tied", "Ties with every other reviewed model: no rank"
    NOT_YET_REVIEWED = "not_yet_reviewed", "Not yet reviewed: no expert-resolved answer"


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
    rank: int | None = None
    status: str = RankStatus.NOT_YET_REVIEWED

    @property
    def reviewed(self) -> bool:
        return self.resolved > 0

    @property
    def status_label(self) -> str:
        return RankStatus(self.status).label

    @property
    def provisional(self) -> bool:
        return self.resolved < settings.QUORUM_LEADERBOARD_MIN_REVIEWED


def _tallies(model, filters: dict):
    tallies = model.objects.all()
    if filters.get("site"):
        tallies = tallies.filter(site__slug=filters["site"])
    if filters.get("category"):
        tallies = tallies.filter(category=filters["category"])
    if filters.get("diamond"):
        tallies = tallies.filter(diamond=True)
    return tallies


def _sum(field: str, **condition):
    return Coalesce(Sum(field, filter=Q(**condition) if condition else None), 0)


def tallies_as_of():
    """When the tallies the leaderboards read were last rebuilt (None: never)."""
    return TallyRefresh.objects.order_by("-finished_at").values_list("finished_at", flat=True).first()


def model_leaderboard(filters: dict) -> list[ModelRow]:
    counts = _tallies(AnswerTally, filters).values("model_entry").annotate(
        submitted=_sum("answers"),
        passed=_sum("answers", validation_state=ValidationState.PASSED),
        correct=_sum("answers", review_state=ReviewState.VERIFIED_CORRECT),
        resolved=_sum("answers", review_state__in=RESOLVED),
        passed_correct=_sum("answers", validation_state=ValidationState.PASSED,
                            review_state=ReviewState.VERIFIED_CORRECT),
        passed_resolved=_sum("answers", validation_state=ValidationState.PASSED, review_state__in=RESOLVED),
    ).order_by()  # fmt: skip
    entries = ModelEntry.objects.select_related("owner").in_bulk([c["model_entry"] for c in counts])
    rates = _pass_rates(filters)
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
    rows.sort(key=lambda r: (not r.reviewed, -(r.verified_correct.estimate or 0), -r.submitted, r.entry.pk))
    _rank(rows)
    return rows


def _rank(rows: list[ModelRow]) -> None:
    """Ranks among the entries experts reviewed, and only where they say something: an entry
    without an expert-resolved answer has none, and when every reviewed entry ties (or only one
    was reviewed) no row gets one."""
    reviewed = [row for row in rows if row.reviewed]
    ranks = tied_ranks([row.verified_correct for row in reviewed])
    meaningful = len(set(ranks)) > 1
    for row, rank in zip(reviewed, ranks, strict=True):
        row.rank, row.status = (rank, RankStatus.RANKED) if meaningful else (None, RankStatus.TIED)


def _pass_rates(filters: dict) -> dict[int, dict[str, float]]:
    """Per model entry and validator config: the share of its judged answers accepted."""
    results = _tallies(VerdictTally, filters).values("model_entry", "validator__name").annotate(
        judged=_sum("results"), accepted=_sum("results", decision="accept")
    ).order_by()  # fmt: skip
    rates: dict[int, dict[str, float]] = {}
    for r in results:
        rates.setdefault(r["model_entry"], {})[r["validator__name"]] = r["accepted"] / r["judged"]
    return rates


# --- one model entry's page ---------------------------------------------------------------

JUDGED = (ValidationState.PASSED, ValidationState.FAILED, ValidationState.ABSTAINED)


@dataclass
class EntryFigures:
    """A model entry's answers counted by validation and review state (all sites, or one)."""

    site_slug: str = ""
    site_name: str = ""
    validation: dict[str, int] = field(default_factory=dict)
    review: dict[str, int] = field(default_factory=dict)

    def add(self, validation_state: str, review_state: str, answers: int) -> None:
        self.validation[validation_state] = self.validation.get(validation_state, 0) + answers
        self.review[review_state] = self.review.get(review_state, 0) + answers

    @property
    def submitted(self) -> int:
        return sum(self.validation.values())

    @property
    def judged(self) -> int:
        return sum(self.validation.get(state, 0) for state in JUDGED)

    @property
    def correct(self) -> int:
        return self.review.get(ReviewState.VERIFIED_CORRECT, 0)

    @property
    def incorrect(self) -> int:
        return self.review.get(ReviewState.VERIFIED_INCORRECT, 0)

    @property
    def resolved(self) -> int:
        return self.correct + self.incorrect

    @property
    def pass_rate(self) -> Proportion:
        """Accepted by the primary validator (the answers' validation state) over those it judged."""
        return wilson(self.validation.get(ValidationState.PASSED, 0), self.judged)

    @property
    def verified_correct(self) -> Proportion:
        """As on the leaderboard: verified correct over the questions attempted."""
        return wilson(self.correct, self.submitted)

    @property
    def correct_of_resolved(self) -> Proportion:
        return wilson(self.correct, self.resolved)

    @property
    def provisional(self) -> bool:
        return self.resolved < settings.QUORUM_LEADERBOARD_MIN_REVIEWED


@dataclass
class EntryDetail:
    entry: ModelEntry
    primary: ValidatorConfig | None
    overall: EntryFigures
    sites: list[EntryFigures]


def model_entry_for_page(pk: int, viewer) -> ModelEntry | None:
    """An entry's page is public once the entry has answers (it is on the leaderboard and the
    question pages then); before that only its owner and curators see it."""
    entry = ModelEntry.objects.select_related("owner").filter(pk=pk).first()
    if entry is None:
        return None
    own = viewer.is_authenticated and (viewer.pk == entry.owner_id or viewer.is_curator or viewer.is_superuser)
    return entry if own or entry.answers.exists() else None


def model_entry_detail(entry: ModelEntry) -> EntryDetail:
    """The entry's counts from the answer tallies, overall and per site: aggregates only, as on
    the leaderboard, so no answer awaiting blind review is tied to the entry here."""
    overall, by_site = EntryFigures(), {}
    rows = AnswerTally.objects.filter(model_entry=entry).values_list(
        "site__slug", "site__name", "validation_state", "review_state"
    ).annotate(n=_sum("answers")).order_by("site__name")  # fmt: skip
    for slug, name, validation_state, review_state, answers in rows:
        overall.add(validation_state, review_state, answers)
        by_site.setdefault(slug, EntryFigures(slug, name)).add(validation_state, review_state, answers)
    primary = ValidatorConfig.objects.filter(is_primary=True).first()
    return EntryDetail(entry=entry, primary=primary, overall=overall, sites=list(by_site.values()))


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
    def from_tallies(cls, rows: list[tuple]) -> "Judgements":
        """From (verified correct, decision, score, site, answers) rows: one entry per answer."""
        counts = np.array([r[4] for r in rows], dtype=int)
        column = lambda i, dtype: np.repeat(np.array([r[i] for r in rows], dtype=dtype), counts)  # noqa: E731
        decisions = column(1, object)
        return cls(truth=column(0, int), accepted=decisions == "accept", abstained=decisions == "abstain",
                   scores=column(2, float), sites=column(3, object))  # fmt: skip

    def subset(self, mask: np.ndarray) -> "Judgements":
        return Judgements(self.truth[mask], self.accepted[mask], self.abstained[mask],
                          self.scores[mask], self.sites[mask])  # fmt: skip


def _judgements(filters: dict, validator_id: int | None = None, config_hash: str | None = None):
    """Resolved answers' judgements (from the tallies) grouped by (validator id, config hash)."""
    tallies = _tallies(JudgementTally, filters)
    if validator_id is not None:
        tallies = tallies.filter(validator_id=validator_id, config_hash=config_hash)
    rows = tallies.values_list("validator_id", "config_hash", "verified_correct", "decision", "score", "site__slug",
                               "answers")  # fmt: skip
    grouped: dict[tuple[int, str], list[tuple]] = {}
    for validator, digest, *rest in rows:
        grouped.setdefault((validator, digest), []).append(tuple(rest))
    return {key: Judgements.from_tallies(value) for key, value in grouped.items()}


def _costs(filters: dict, **config) -> dict[tuple[int, str], dict]:
    """Per validator config (or the one named by validator_id and config_hash): answers judged,
    judge calls and tokens (from the tallies)."""
    costs = _tallies(VerdictTally, filters).filter(**config).values("validator_id", "config_hash").annotate(
        judged=_sum("results"), calls=_sum("calls"), tokens=_sum("tokens")
    ).order_by()  # fmt: skip
    return {(c["validator_id"], c["config_hash"]): c for c in costs}


def _validator_row(validator, digest, cost: dict, seen: Judgements | None) -> ValidatorRow:
    seen = seen or Judgements.from_tallies([])
    counts = calibration.confusion(seen.truth, seen.accepted)
    return ValidatorRow(
        validator=validator, config_hash=digest, judged=cost["judged"],
        calls_per_answer=cost["calls"] / cost["judged"] if cost["judged"] else 0.0,
        tokens_per_answer=cost["tokens"] / cost["judged"] if cost["judged"] else 0.0,
        counts=counts, abstained=int(seen.abstained.sum()),
        precision=calibration.precision(counts), recall=calibration.recall(counts),
        f05=calibration.bootstrap(counts, calibration.f_beta_cells),
        kappa=calibration.bootstrap(counts, calibration.kappa_cells),
        auroc=calibration.auroc(seen.truth, seen.scores),
        ece=calibration.expected_calibration_error(calibration.reliability(seen.truth, seen.scores)),
        scored=calibration.is_scored(seen.scores),
    )  # fmt: skip


def validator_leaderboard(filters: dict) -> list[ValidatorRow]:
    costs = _costs(filters)
    judged = _judgements(filters)
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
    cost = _costs(filters, validator_id=validator.pk, config_hash=config_hash).get((validator.pk, config_hash))
    if cost is None:
        return None
    seen = _judgements(filters, validator.pk, config_hash).get((validator.pk, config_hash))
    seen = seen or Judgements.from_tallies([])
    row = _validator_row(validator, config_hash, cost, seen)
    scored = row.scored
    steps = sorted({*THRESHOLD_STEPS, *([threshold] if threshold is not None else [])})
    return ValidatorDetail(
        row=row, sites=_per_site(seen), bins=calibration.reliability(seen.truth, seen.scores),
        thresholds=[calibration.threshold_row(seen.truth, seen.scores, t) for t in steps] if scored else [],
        chosen=calibration.threshold_row(seen.truth, seen.scores, threshold) if scored and threshold is not None else None,
        curve=calibration.pr_curve(seen.truth, seen.scores) if scored else [],
        weekly=_weekly_pass_rates(filters, validator.pk, config_hash),
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


def _weekly_pass_rates(filters: dict, validator_id: int, config_hash: str) -> list[dict]:
    """The share of answers accepted, by the week the answers were submitted."""
    weeks = _tallies(WeeklyVerdictTally, filters).filter(
        validator_id=validator_id, config_hash=config_hash
    ).values("week").annotate(judged=_sum("results"), accepted=_sum("accepted")).order_by("week")  # fmt: skip
    return [{**w, "rate": wilson(w["accepted"], w["judged"])} for w in weeks]
