"""Question-quality pre-screening, as UQ's LLM pre-filter did it (pure Python, no Django).

For one question the judge is sampled several times; each sample says whether the question
is answerable, clear and unambiguous, and estimates (0-100) how likely a strong model would
answer it correctly and how likely an expert could solve it. A question passes when every
sample says yes to all three and both averages stay under their ceilings (UQ: model < 40,
expert < 70, over 3 samples). A sample the judge garbles is asked again; one still garbled
makes the outcome `error` (re-runnable), never a rejection.
"""

from __future__ import annotations

import asyncio
import json
import re
from dataclasses import dataclass, field
from statistics import fmean
from typing import Any

from .backends import Backend, make_backend
from .parsing import strip_reasoning
from .prompts import question_block

CRITERIA = ("answerable", "clear", "unambiguous")
ESTIMATES = ("model_correct", "expert_solvable")
PASS, FAIL, ERROR = "pass", "fail", "error"


@dataclass(frozen=True)
class ScreenSettings:
    samples: int = 3
    max_model_correct: float = 40.0  # the mean must stay strictly below
    max_expert_solvable: float = 70.0
    parse_retries: int = 2
    params: dict[str, Any] = field(default_factory=lambda: {"temperature": 0.7})

    def to_dict(self) -> dict[str, Any]:
        return {"samples": self.samples, "max_model_correct": self.max_model_correct,
                "max_expert_solvable": self.max_expert_solvable,
                "parse_retries": self.parse_retries, "params": dict(self.params)}  # fmt: skip


PROMPT = """You are helping curate a collection of hard, still-unanswered questions that \
experts will later use to check answers written by AI models.

{question}

Assess the question above:
- answerable: could it in principle be answered definitively (not an opinion poll, a \
request for recommendations, or a discussion prompt)?
- clear: is it well written and understandable to an expert of its field?
- unambiguous: is it clear what exactly is being asked, with one intended reading?
- model_correct: from 0 to 100, how likely is it that a state-of-the-art language model \
would answer it fully correctly?
- expert_solvable: from 0 to 100, how likely is it that a domain expert could solve it \
with reasonable effort?

Think it through, then end your reply with one JSON object and nothing after it:
{{"answerable": "yes" or "no", "clear": "yes" or "no", "unambiguous": "yes" or "no", \
"model_correct": <0-100>, "expert_solvable": <0-100>, "reason": "<one sentence>"}}"""

_OBJECT = re.compile(r"\{[^{}]*\}", re.S)
_YES = {"yes", "y", "true"}
_NO = {"no", "n", "false"}


def screen_messages(question: dict[str, Any]) -> list[dict[str, str]]:
    return [{"role": "user", "content": PROMPT.format(question=question_block(question))}]


def parse_assessment(text: str) -> dict[str, Any] | None:
    """The last JSON object of a reply as a checked assessment, or None if there is none."""
    visible, _ = strip_reasoning(text or "")
    for candidate in reversed(_OBJECT.findall(visible)):
        try:
            data = json.loads(candidate)
        except ValueError:
            continue
        parsed = _checked(data) if isinstance(data, dict) else None
        if parsed is not None:
            return parsed
    return None


def _checked(data: dict[str, Any]) -> dict[str, Any] | None:
    out: dict[str, Any] = {}
    for name in CRITERIA:
        word = str(data.get(name, "")).strip().lower()
        if word not in _YES | _NO:
            return None
        out[name] = word in _YES
    for name in ESTIMATES:
        value = data.get(name)
        if isinstance(value, str):
            value = value.strip().rstrip("%")
            try:
                value = float(value)
            except ValueError:
                return None
        if isinstance(value, bool) or not isinstance(value, int | float) or not 0 <= value <= 100:
            return None
        out[name] = float(value)
    out["reason"] = str(data.get("reason", ""))[:1000]
    return out


def aggregate(assessments: list[dict[str, Any] | None], settings: ScreenSettings) -> dict[str, Any]:
    """UQ's rule: every sample yes on every criterion, both means under their ceilings."""
    if not assessments or any(a is None for a in assessments):
        return {"decision": ERROR, "reasons": ["the judge gave no usable assessment"]}
    reasons = [
        f"not {name} in {sum(not a[name] for a in assessments)} of {len(assessments)} samples"
        for name in CRITERIA
        if not all(a[name] for a in assessments)
    ]
    means = {name: fmean(a[name] for a in assessments) for name in ESTIMATES}
    if means["model_correct"] >= settings.max_model_correct:
        reasons.append(
            f"model correctness {means['model_correct']:.0f} ≥ {settings.max_model_correct:g}"
        )
    if means["expert_solvable"] >= settings.max_expert_solvable:
        reasons.append(
            f"expert solvability {means['expert_solvable']:.0f} ≥ {settings.max_expert_solvable:g}"
        )
    return {
        "decision": FAIL if reasons else PASS,
        "reasons": reasons,
        "votes": {name: [a[name] for a in assessments] for name in CRITERIA},
        "yes": {name: sum(a[name] for a in assessments) for name in CRITERIA},
        "means": {name: round(value, 2) for name, value in means.items()},
    }


async def _one_sample(backend: Backend, messages, settings: ScreenSettings, sample: int,
                      transcripts: list, usage: list[int]) -> dict[str, Any] | None:  # fmt: skip
    for attempt in range(settings.parse_retries + 1):
        completion = await backend.complete(messages, params=dict(settings.params),
                                            meta={"sample": sample, "attempt": attempt})  # fmt: skip
        text = completion.choices[0].text if completion.choices else ""
        usage[0] += 1
        usage[1] += completion.prompt_tokens
        usage[2] += completion.completion_tokens
        parsed = parse_assessment(text)
        transcripts.append({"sample": sample, "attempt": attempt, "response": text,
                            "parsed": parsed is not None})  # fmt: skip
        if parsed is not None:
            return parsed
    return None


async def ascreen(question: dict[str, Any], backend: Backend, settings: ScreenSettings) -> dict:
    """Screen one question; the result carries the samples, transcripts, calls and tokens."""
    messages = screen_messages(question)
    transcripts: list[dict[str, Any]] = []
    usage = [0, 0, 0]
    assessments = await asyncio.gather(*(
        _one_sample(backend, messages, settings, i, transcripts, usage)
        for i in range(settings.samples)
    ))  # fmt: skip
    transcripts.sort(key=lambda t: (t["sample"], t["attempt"]))
    return {
        **aggregate(list(assessments), settings),
        "samples": list(assessments),
        "prompt": messages[0]["content"],
        "transcripts": transcripts,
        "calls": usage[0],
        "prompt_tokens": usage[1],
        "completion_tokens": usage[2],
        "model": backend.model,
        "settings": settings.to_dict(),
    }


async def ascreen_many(questions: list[dict[str, Any]], judge: dict[str, Any] | Backend,
                       settings: ScreenSettings) -> list[dict[str, Any] | Exception]:  # fmt: skip
    """Screen several questions concurrently (the backend caps concurrency); a question whose
    judge calls fail comes back as the exception, the others are unaffected."""
    backend = judge if isinstance(judge, Backend) else make_backend(judge)
    try:
        return list(await asyncio.gather(
            *(ascreen(q, backend, settings) for q in questions), return_exceptions=True
        ))  # fmt: skip
    finally:
        if not isinstance(judge, Backend):
            await backend.aclose()


def screen_many(questions: list[dict[str, Any]], judge: dict[str, Any] | Backend,
                settings: ScreenSettings) -> list[dict[str, Any] | Exception]:  # fmt: skip
    return asyncio.run(ascreen_many(questions, judge, settings))
