"""The library's front door: judge one answer (or many) with a config, get a verdict."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Iterable
from typing import Any

from ._version import __version__
from .backends import Backend, make_backend
from .config import config_hash, load
from .pipeline import ABSTAIN, ACCEPT, NodeResult, Run, run_node


def answer_text(answer: Any) -> str:
    """The text to judge: a string or a dict's `answer`/`text`/`body`; a reasoning trace
    before the last `</think>` is dropped."""
    if isinstance(answer, dict):
        text = answer.get("answer", answer.get("text", answer.get("body", "")))
    else:
        text = answer
    text = "" if text is None else str(text)
    marker = "</think>"
    if marker in text:
        text = text[text.rfind(marker) + len(marker) :]
    return text.strip()


def _steps(result: NodeResult) -> dict[str, Any]:
    out: dict[str, Any] = {"type": result.type, "decision": result.decision,
                           "score": round(result.score, 6), **result.detail}  # fmt: skip
    if result.disagreement:
        out["disagreement"] = True
    if result.children:
        out["children"] = [_steps(child) for child in result.children]
    return out


def uq_evaluation(result: NodeResult, transcripts: list[dict[str, Any]],
                  judge_models: dict[str, str]) -> dict[str, Any]:  # fmt: skip
    """The result in the shape UQ's validate.py writes under `evaluation`."""
    if result.type == "sequential":
        steps = [uq_evaluation(c, transcripts, judge_models) for c in result.children]
        return {"strategy": "sequential_judgment", "judge_model": _models(result, judge_models),
                "step_results": steps, "is_accepted": result.decision == ACCEPT,
                "decision": result.decision, "completed_steps": len(steps),
                "total_steps": result.detail.get("total_steps", len(steps))}  # fmt: skip
    if result.type in ("panel", "cascade"):
        key = "member_results" if result.type == "panel" else "stage_results"
        return {"strategy": result.type, "judge_model": _models(result, judge_models),
                "is_accepted": result.decision == ACCEPT, "decision": result.decision,
                key: [uq_evaluation(c, transcripts, judge_models) for c in result.children]}
    if result.type == "reward_model":
        return {"strategy": "reward_model", "judge_model": result.detail["model"],
                "is_accepted": result.decision == ACCEPT, "decision": result.decision,
                "score": result.score}  # fmt: skip
    d = result.detail
    name = {"fact_check": "factual_error", "correctness": "total_correctness"}.get(
        d["strategy"], d["strategy"])

    def text_of(vote) -> str:
        return transcripts[vote.transcripts[-1]]["response"] if vote.transcripts else ""

    def one_sample(votes, sample) -> dict[str, Any]:
        base = {"strategy": name, "judge_model": d["model"],
                "is_accepted": sample["decision"] == ACCEPT, "decision": sample["decision"]}
        if "inferred_question" in sample:
            base["inferred_question"] = sample["inferred_question"]
        if d["turns"] > 1:
            base.update({"strategy": f"multi_turn({name})", "n_turns": d["turns"],
                         "evaluations": [text_of(v) for v in votes],
                         "decisions": [v.decision == ACCEPT for v in votes],
                         "voting_method": d["turn_voting"]})  # fmt: skip
        else:
            base["evaluation"] = text_of(votes[0])
        return base

    by_path: dict[str, list] = {}
    for vote in result.votes:
        by_path.setdefault(vote.path.rsplit("/turn[", 1)[0], []).append(vote)
    samples = [one_sample(by_path.get(s["path"], []), s) for s in d["sample_results"]]
    if d["samples"] == 1:
        return samples[0]
    return {"strategy": f"repeated_sampling({name})", "judge_model": d["model"],
            "n_samples": d["samples"], "sample_results": samples,
            "decisions": [s["is_accepted"] for s in samples],
            "voting_method": d["sample_voting"], "is_accepted": result.decision == ACCEPT,
            "decision": result.decision}  # fmt: skip


def _models(result: NodeResult, judge_models: dict[str, str]) -> str:
    seen = []
    for vote in result.votes:
        if vote.model not in seen:
            seen.append(vote.model)
    return ",".join(seen) or ",".join(judge_models.values())


class Validator:
    """A loaded config with its backends, reusable across many answers (async-safe).

    `backends` maps judge names to ready backends (tests pass scripted ones); judges not
    given are built from the config."""

    def __init__(self, config: Any, *, backends: dict[str, Backend] | None = None,
                 overrides: dict[str, Any] | None = None,
                 scorers: dict[str, Any] | None = None):  # fmt: skip
        self.config = load(config, overrides)
        self.hash = config_hash(self.config)
        self.scorers = scorers or {}
        given = dict(backends or {})
        self.backends: dict[str, Backend] = {}
        for name, spec in self.config["judges"].items():
            if name in given:
                self.backends[name] = given[name]
            elif _used(self.config["pipeline"], name):
                self.backends[name] = make_backend(spec)
        self._owned = [name for name in self.backends if name not in given]

    async def ajudge(self, question: dict[str, Any], answer: Any, *,
                     reference: str | None = None) -> dict[str, Any]:  # fmt: skip
        """Judge one answer. Raises BackendError / TransientBackendError when a judge
        cannot be reached after its retries (the caller decides whether to retry later)."""
        if reference is None:
            reference = question.get("reference_answer") or None
            if reference is None and isinstance(answer, dict):
                reference = answer.get("reference_answer") or None
        run = Run(self.config, self.backends, question, answer_text(answer), reference,
                  self.scorers)  # fmt: skip
        started = time.perf_counter()
        result = await run_node(run, self.config["pipeline"])
        latency = time.perf_counter() - started
        transcripts = run.transcripts
        judge_models = {n: b.model for n, b in self.backends.items()}
        return {
            "decision": result.decision,
            "is_accepted": result.decision == ACCEPT,
            "score": round(result.score, 6),
            "abstained": result.decision == ABSTAIN,
            "votes": [v.to_dict() for v in result.votes],
            "steps": _steps(result),
            "transcripts": transcripts,
            "calls": len(transcripts),
            "requests": len({t["request"] for t in transcripts}),
            "prompt_tokens": sum(t["prompt_tokens"] for t in transcripts),
            "completion_tokens": sum(t["completion_tokens"] for t in transcripts),
            "latency_s": round(latency, 6),
            "used_reference": bool(reference),
            "judges": judge_models,
            "config_name": self.config.get("name"),
            "config_hash": self.hash,
            "library_version": __version__,
            "uq_evaluation": uq_evaluation(result, transcripts, judge_models),
        }

    def judge(self, question: dict[str, Any], answer: Any, **kwargs) -> dict[str, Any]:
        """Synchronous `ajudge` (for Celery workers and scripts; not inside a running loop)."""
        return asyncio.run(self._judge_and_close(question, answer, **kwargs))

    async def _judge_and_close(self, question, answer, **kwargs):
        try:
            return await self.ajudge(question, answer, **kwargs)
        finally:
            await self.aclose()

    async def judge_many(self, items: Iterable[tuple[Any, dict[str, Any], Any]], *,
                         concurrency: int = 8) -> AsyncIterator[tuple[Any, dict | None,
                                                                      BaseException | None]]:
        """Judge (key, question, answer) items, at most `concurrency` answers at a time;
        yields (key, verdict, None) or (key, None, error) as each finishes."""
        semaphore = asyncio.Semaphore(concurrency)
        queue: asyncio.Queue = asyncio.Queue()

        async def one(key, question, answer):
            async with semaphore:
                try:
                    await queue.put((key, await self.ajudge(question, answer), None))
                except Exception as exc:  # noqa: BLE001 - reported per item
                    await queue.put((key, None, exc))

        tasks = [asyncio.create_task(one(*item)) for item in items]
        try:
            for _ in range(len(tasks)):
                yield await queue.get()
        finally:
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)

    async def aclose(self) -> None:
        for name in self._owned:
            await self.backends[name].aclose()


def _used(node: dict[str, Any], judge: str) -> bool:
    if node["type"] == "strategy":
        return node["judge"] == judge
    return any(_used(c, judge) for k in ("steps", "members", "stages") for c in node.get(k, []))


def judge(question: dict[str, Any], answer: Any, config: Any, *,
          backends: dict[str, Backend] | None = None, reference: str | None = None,
          overrides: dict[str, Any] | None = None) -> dict[str, Any]:  # fmt: skip
    """Judge one answer to one question with a config (dict, JSON, preset name or path).

    Returns the verdict as plain JSON-able data. Raises `ConfigError` for a bad config and
    `TransientBackendError` / `BackendError` when the judge cannot be reached."""
    validator = Validator(config, backends=backends, overrides=overrides)
    return validator.judge(question, answer, reference=reference)


async def ajudge(question: dict[str, Any], answer: Any, config: Any, *,
                 backends: dict[str, Backend] | None = None, reference: str | None = None,
                 overrides: dict[str, Any] | None = None) -> dict[str, Any]:  # fmt: skip
    validator = Validator(config, backends=backends, overrides=overrides)
    try:
        return await validator.ajudge(question, answer, reference=reference)
    finally:
        await validator.aclose()
