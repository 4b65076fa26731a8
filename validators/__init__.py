"""Quorum's validators: judge one answer to one question (pure Python, no Django).

    import validators
    verdict = validators.judge(question, answer, "uq-default")
    verdict["decision"]  # "accept" | "reject" | "abstain"

See validators/README.md.
"""

from ._version import __version__
from .backends import BackendError, TransientBackendError
from .config import ConfigError, config_hash, explain, load
from .core import Validator, ajudge, answer_text, judge
from .presets import PRESETS

__all__ = [
    "PRESETS", "BackendError", "ConfigError", "TransientBackendError", "Validator",
    "__version__", "ajudge", "answer_text", "config_hash", "explain", "judge", "load",
]  # fmt: skip
