"""P(answer is correct) from expert reviews.

Dawid–Skene (crowd-kit), fitted over all reviews of a site once there are enough of them, gives
each expert's reliability (P(says correct | correct), P(says correct | not correct)) and the
site's prior. An answer's assessment combines only its own reviews with that fitted model by
Bayes' rule, which is what the fit itself computes for it, so a review costs the answer's
reviews, not the site's; the fit is redone in the background. Before there is a fit, and for an
expert the fit has not seen, a transparent fallback: an expert who states confidence k is right
with probability RELIABILITY[k], from an even prior. "Partially correct" counts as not correct;
"can't judge" is left out.
"""

import math
from dataclasses import dataclass, field

RELIABILITY = {1: 0.55, 2: 0.65, 3: 0.75, 4: 0.85, 5: 0.95}
DS_MIN_REVIEWS = 30
DS_MIN_EXPERTS = 3
CORRECT, NOT_CORRECT = "correct", "not_correct"


@dataclass(frozen=True)
class Label:
    answer_id: int
    expert_id: int
    correct: bool
    confidence: int


@dataclass(frozen=True)
class Assessment:
    p_correct: float
    method: str
    reviews: int


def confidence_vote(labels: list[Label]) -> float:
    log_odds = 0.0
    for label in labels:
        q = RELIABILITY[label.confidence]
        ratio = math.log(q / (1 - q))
        log_odds += ratio if label.correct else -ratio
    return 1 / (1 + math.exp(-log_odds))


@dataclass(frozen=True)
class ReliabilityModel:
    """A site's fitted Dawid–Skene model: the prior, and per expert P(says correct | correct)
    and P(says correct | not correct)."""

    prior_correct: float
    experts: dict[int, tuple[float, float]] = field(default_factory=dict)


def fit(site_labels: list[Label]) -> ReliabilityModel | None:
    """Dawid–Skene over a site's reviews; None until there are enough reviews and experts, and
    both verdicts, to estimate reliabilities."""
    experts = {label.expert_id for label in site_labels}
    if len(site_labels) < DS_MIN_REVIEWS or len(experts) < DS_MIN_EXPERTS:
        return None
    if len({label.correct for label in site_labels}) < 2:
        return None
    import pandas as pd
    from crowdkit.aggregation import DawidSkene

    frame = pd.DataFrame(
        [(lab.answer_id, lab.expert_id, CORRECT if lab.correct else NOT_CORRECT) for lab in site_labels],
        columns=["task", "worker", "label"],
    )
    model = DawidSkene(n_iter=100).fit(frame)
    errors = model.errors_
    return ReliabilityModel(
        prior_correct=float(model.priors_[CORRECT]),
        experts={int(expert): (_says_correct(errors, expert, CORRECT), _says_correct(errors, expert, NOT_CORRECT))
                 for expert in experts},
    )  # fmt: skip


def _says_correct(errors, expert, truth: str) -> float:
    """P(the expert says correct | truth), from crowd-kit's (worker, observed) × truth matrix."""
    if (expert, CORRECT) in errors.index:
        return float(errors.loc[(expert, CORRECT), truth])
    return 1.0 - float(errors.loc[(expert, NOT_CORRECT), truth])


def posterior(model: ReliabilityModel, labels: list[Label]) -> float:
    """P(correct | these reviews) under the fitted model; an expert it has not seen counts with
    the reliability of their stated confidence."""
    log_odds = _logit(model.prior_correct)
    for label in labels:
        if label.expert_id in model.experts:
            yes_if_correct, yes_if_not = model.experts[label.expert_id]
        else:
            q = RELIABILITY[label.confidence]
            yes_if_correct, yes_if_not = q, 1 - q
        if label.correct:
            log_odds += math.log(_clamp(yes_if_correct)) - math.log(_clamp(yes_if_not))
        else:
            log_odds += math.log(_clamp(1 - yes_if_correct)) - math.log(_clamp(1 - yes_if_not))
    return 1 / (1 + math.exp(-max(-700.0, min(700.0, log_odds))))


def _clamp(p: float, eps: float = 1e-12) -> float:
    return min(1 - eps, max(eps, p))


def _logit(p: float) -> float:
    p = _clamp(p)
    return math.log(p / (1 - p))


def assess(answer_id: int, labels: list[Label], model: ReliabilityModel | None = None) -> Assessment:
    """The answer's own reviews (others in the list are ignored), with the site's fitted model
    when there is one."""
    own = [label for label in labels if label.answer_id == answer_id]
    if model is not None and own:
        return Assessment(posterior(model, own), "dawid-skene", len(own))
    return Assessment(confidence_vote(own), "confidence-vote", len(own))


def krippendorff_alpha(labels: list[tuple[int, int, str]]) -> float | None:
    """Agreement among experts (crowd-kit); None until some answer has two reviews."""
    tasks: dict[int, int] = {}
    for answer_id, _, _ in labels:
        tasks[answer_id] = tasks.get(answer_id, 0) + 1
    if not any(count >= 2 for count in tasks.values()):
        return None
    import pandas as pd
    from crowdkit.metrics.data import alpha_krippendorff

    return float(alpha_krippendorff(pd.DataFrame(labels, columns=["task", "worker", "label"])))
