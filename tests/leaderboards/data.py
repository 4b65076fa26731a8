"""A small judged world for the validator leaderboard: hand-countable numbers."""

import numpy as np

from evaluation.models import Validation, ValidationResult
from evaluation.services import validator_config_save
from leaderboards.services import leaderboard_tallies_refresh
from submissions.models import Answer
from tests.factories import ModelEntryFactory, QuestionFactory, SiteFactory

TRUTH = np.array([1, 1, 1, 1, 1, 1, 0, 0, 0, 0])


def judged_validators():
    """Two sites; a 'careful' scored validator and a 'lenient' one that accepts everything."""
    math, bio = SiteFactory(slug="math"), SiteFactory(slug="bio")
    entry = ModelEntryFactory(name="m")
    careful = validator_config_save(name="careful", config=scripted_config("[[Y]]"), actor=None)
    lenient = validator_config_save(name="lenient", config=scripted_config("[[N]]"), actor=None)
    scores = [0.9, 0.8, 0.7, 0.3, 0.2, 0.1, 0.75, 0.4, 0.1, 0.05]
    for n, (truth, score) in enumerate(zip(TRUTH, scores, strict=True)):
        site = math if n % 2 == 0 else bio
        answer = _answer(entry, site, n, "verified_correct" if truth else "verified_incorrect")
        _result(answer, careful, "accept" if n in (0, 1, 2, 6) else "reject", score, calls=3)
        _result(answer, lenient, "accept", 1.0, calls=1)
    unreviewed = _answer(entry, math, 99, "unreviewed")
    _result(unreviewed, careful, "abstain", 0.5, calls=3)
    leaderboard_tallies_refresh()
    return careful, lenient


def scripted_config(default):
    return {"judges": {"default": {"kind": "scripted", "model": "s", "default": default}}, "pipeline": "vanilla"}


def _answer(entry, site, n, review_state):
    question = QuestionFactory(site=site, external_id=f"q{n}")
    return Answer.objects.create(question=question, model_entry=entry, text="a", content_hash=str(n),
                                 review_state=review_state)  # fmt: skip


def _result(answer, validator, decision, score, calls):
    validation = Validation.objects.create(answer=answer, validator=validator, config_hash=validator.config_hash)
    ValidationResult.objects.create(validation=validation, answer=answer, config_hash=validator.config_hash,
                                    decision=decision, score=score, calls=calls, prompt_tokens=100 * calls,
                                    completion_tokens=10 * calls, library_version="t", verdict={})  # fmt: skip
