"""Non-LLM-judge scorers. `reward_model` loads a sequence-classification reward model with
transformers (extra `gpu`), on CUDA when present; torch and transformers are imported only
when a scorer is built. `register_scorer` lets tests and embedders supply their own."""

from __future__ import annotations

import threading
from typing import Any, Protocol

_REGISTRY: dict[str, Any] = {}
_CACHE: dict[tuple, Any] = {}
_LOCK = threading.Lock()


class Scorer(Protocol):
    def score(self, question: dict[str, Any], answer: str) -> float:
        """P(the answer is correct) in [0, 1]."""


def register_scorer(name: str, scorer: Scorer) -> None:
    _REGISTRY[name] = scorer


def unregister_scorer(name: str) -> None:
    _REGISTRY.pop(name, None)


def get_scorer(model: str, *, device: str = "auto", dtype: str = "auto",
               max_length: int = 4096) -> Scorer:  # fmt: skip
    if model in _REGISTRY:
        return _REGISTRY[model]
    key = (model, device, dtype, max_length)
    with _LOCK:
        if key not in _CACHE:
            from .reward_model import RewardModelScorer

            _CACHE[key] = RewardModelScorer(model, device=device, dtype=dtype,
                                            max_length=max_length)  # fmt: skip
        return _CACHE[key]
