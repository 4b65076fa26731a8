"""P(answer is correct) from expert reviews.

Dawid–Skene (crowd-kit) over all reviews of the answer's site once there are enough of them to
estimate each expert's reliability; before that, a transparent fallback: a one-coin model in
which an expert who states confidence k is right with probability RELIABILITY[k], combined by
Bayes' rule from an even prior. "Partially correct" counts as not correct; "can't judge" is left out.
"""

import math
from dataclasses import dataclass

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


def dawid_skene(site_labels: list[Label], answer_id: int) -> float:
    import pandas as pd
    from crowdkit.aggregation import DawidSkene

    frame = pd.DataFrame(
        [(lab.answer_id, lab.expert_id, CORRECT if lab.correct else NOT_CORRECT) for lab in site_labels],
        columns=["task", "worker", "label"],
    )
    probabilities = DawidSkene(n_iter=100).fit(frame).probas_
    if CORRECT not in probabilities.columns:
        return 0.0
    return float(probabilities.loc[answer_id, CORRECT])


def assess(answer_id: int, site_labels: list[Label]) -> Assessment:
    own = [label for label in site_labels if label.answer_id == answer_id]
    experts = {label.expert_id for label in site_labels}
    if len(site_labels) >= DS_MIN_REVIEWS and len(experts) >= DS_MIN_EXPERTS and own:
        return Assessment(dawid_skene(site_labels, answer_id), "dawid-skene", len(own))
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
