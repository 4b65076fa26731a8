"""A reward-model scorer: sigmoid of a sequence-classification head over (question, answer).

Works with reward models published as `AutoModelForSequenceClassification` with one output
(e.g. Skywork-Reward style). `model` is a local folder or a hub id already in the local
cache: nothing is downloaded when HF_HUB_OFFLINE=1, as on GPU workers without egress.
"""

from __future__ import annotations

import math
import threading
from typing import Any

from ..prompts import question_block


class ScorerUnavailable(RuntimeError):
    """torch / transformers are not installed (pip install 'quorum[gpu]')."""


def _imports():
    try:
        import torch
        import transformers
    except ImportError as exc:
        raise ScorerUnavailable(
            "the reward-model scorer needs torch and transformers (pip install 'quorum[gpu]')"
        ) from exc
    return torch, transformers


class RewardModelScorer:
    def __init__(self, model: str, *, device: str = "auto", dtype: str = "auto",
                 max_length: int = 4096, tokenizer: Any = None, module: Any = None):  # fmt: skip
        torch, transformers = _imports()
        self._torch = torch
        if device == "auto":
            device = "cuda" if torch.cuda.is_available() else "cpu"
        self.device = device
        torch_dtype = {
            "auto": torch.bfloat16 if device == "cuda" else torch.float32,
            "float32": torch.float32, "float16": torch.float16, "bfloat16": torch.bfloat16,
        }[dtype]  # fmt: skip
        # The curator names the model in a validator config: a local folder (what GPU boxes use, offline)
        # or a hub id; the config hash identifies the run, so pin by naming a local snapshot.
        self.tokenizer = tokenizer or transformers.AutoTokenizer.from_pretrained(model)  # nosec B615
        self.model = module or transformers.AutoModelForSequenceClassification.from_pretrained(  # nosec B615
            model, torch_dtype=torch_dtype
        )
        self.model.to(device)
        self.model.eval()
        self.max_length = max_length
        self._lock = threading.Lock()

    def _text(self, question: dict[str, Any]) -> str:
        return question_block(question)

    def score_logit(self, question: dict[str, Any], answer: str) -> float:
        torch = self._torch
        tok = self.tokenizer
        if getattr(tok, "chat_template", None):
            text = tok.apply_chat_template(
                [{"role": "user", "content": self._text(question)},
                 {"role": "assistant", "content": answer}], tokenize=False,
            )  # fmt: skip
            inputs = tok(text, return_tensors="pt", truncation=True, max_length=self.max_length)
        else:
            inputs = tok(self._text(question), answer, return_tensors="pt", truncation=True,
                         max_length=self.max_length)  # fmt: skip
        inputs = {k: v.to(self.device) for k, v in inputs.items()}
        with self._lock, torch.inference_mode():
            logits = self.model(**inputs).logits
        return float(logits.reshape(-1)[0].float().item())

    def score(self, question: dict[str, Any], answer: str) -> float:
        logit = self.score_logit(question, answer)
        return 1.0 / (1.0 + math.exp(-max(-60.0, min(60.0, logit))))
