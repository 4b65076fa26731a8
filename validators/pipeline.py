"""Running a (loaded) config's pipeline for one answer.

Wrapping order is UQ's: reflection turns (with their vote) inside repeated samples (with
theirs), so one strategy costs samples x (base calls + turns - 1) judge calls; a
sequential pipeline stops at the first rejection. Samples, panel members and batched
choices run concurrently; turns and sequential steps run in order.

Votes are `accept`, `reject` or `abstain` (no parseable decision after the retries). A
vote with abstentions is settled only if the abstentions could not change it.
"""

from __future__ import annotations

import asyncio
import itertools
import time
from dataclasses import asdict, dataclass, field
from typing import Any

from . import prompts
from .backends.base import Backend, Choice, Completion
from .parsing import p_yes, parse_verdict

ACCEPT, REJECT, ABSTAIN = "accept", "reject", "abstain"


@dataclass
class Vote:
    path: str
    strategy: str
    judge: str
    model: str
    decision: str
    score: float | None  # P(accept): from logprobs when the server gave them, else 1.0 / 0.0
    score_source: str | None = None  # "logprobs" | "decision" | "reward_model" | None
    parsed_from: str | None = None  # "tag" | "json" | None
    attempts: int = 1
    transcripts: list[int] = field(default_factory=list)
    reason: str | None = None  # why it abstained: "unparseable" | "truncated"

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class NodeResult:
    type: str
    decision: str
    score: float
    votes: list[Vote]
    detail: dict[str, Any] = field(default_factory=dict)
    children: list[NodeResult] = field(default_factory=list)
    disagreement: bool = False


def tally(decisions: list[str], method: str) -> str:
    """UQ's votes, abstention-aware: majority needs more than half (a tie rejects), unanimous
    needs all. With abstentions the outcome stands only if they could not have changed it."""
    n = len(decisions)
    accepts = decisions.count(ACCEPT)
    rejects = decisions.count(REJECT)
    abstains = n - accepts - rejects
    if method == "unanimous":
        if rejects:
            return REJECT
        return ABSTAIN if abstains else ACCEPT
    if accepts * 2 > n:
        return ACCEPT
    if (accepts + abstains) * 2 <= n:
        return REJECT
    return ABSTAIN


def mean_score(scores: list[float | None]) -> float:
    known = [s for s in scores if s is not None]
    return sum(known) / len(known) if known else 0.5


def mixed(decisions: list[str]) -> bool:
    return ACCEPT in decisions and REJECT in decisions


async def gather_all(coros) -> list[Any]:
    """Run concurrently; if one fails, cancel the rest and raise its exception."""
    tasks: list[asyncio.Task] = []
    try:
        async with asyncio.TaskGroup() as group:
            tasks = [group.create_task(c) for c in coros]
    except BaseExceptionGroup as group_error:
        first = group_error.exceptions[0]
        while isinstance(first, BaseExceptionGroup):
            first = first.exceptions[0]
        raise first from None
    return [t.result() for t in tasks]


class Run:
    """One answer being judged: its inputs, backends, and every call's transcript."""

    def __init__(self, config: dict[str, Any], backends: dict[str, Backend], question: dict,
                 answer: str, reference: str | None, scorers: dict[str, Any] | None = None):  # fmt: skip
        self.config = config
        self.backends = backends
        self.question = question
        self.answer = answer
        self.reference = reference
        self.scorers = scorers or {}
        self.transcripts: list[dict[str, Any]] = []
        self._request_ids = itertools.count()

    def record(self, *, path: str, kind: str, judge: str, messages: list[dict[str, str]],
               choice: Choice, completion: Completion, request: int, attempt: int,
               first_choice: bool = True) -> int:  # fmt: skip
        tid = len(self.transcripts)
        self.transcripts.append({
            "id": tid, "path": path, "kind": kind, "judge": judge, "model": completion.model,
            "messages": [dict(m) for m in messages], "response": choice.text,
            "finish_reason": choice.finish_reason,
            # A request for n choices reports its usage once: it is booked on the first.
            "prompt_tokens": completion.prompt_tokens if first_choice else 0,
            "completion_tokens": completion.completion_tokens if first_choice else 0,
            "latency_s": round(completion.latency_s, 6),
            "transport_attempts": completion.transport_attempts,
            "request": request, "attempt": attempt,
        })  # fmt: skip
        return tid

    def new_request(self) -> int:
        return next(self._request_ids)


# ---- one strategy ------------------------------------------------------------------------


def _verdict_params(node: dict[str, Any], backend: Backend) -> dict[str, Any]:
    params = dict(node["params"])
    if node["verdict_format"] == "json":
        params["response_format"] = {
            "type": "json_schema",
            "json_schema": {"name": "verdict", "schema": prompts.VERDICT_SCHEMA, "strict": True},
        }
    if node["logprobs"] and backend.capabilities.logprobs:
        params["logprobs"] = True
        params["top_logprobs"] = 5
    return params


def _interpret(choice: Choice, fmt: str) -> tuple[str | None, float | None, str | None, str | None]:
    """(decision, score, score_source, parsed_from) or (None, None, reason, None)."""
    if choice.finish_reason == "length":
        return None, None, "truncated", None
    parsed = parse_verdict(choice.text, fmt)
    if parsed.decision is None:
        return None, None, "unparseable", None
    decision = ACCEPT if parsed.decision == "Y" else REJECT
    prob = p_yes(choice.text, choice.logprobs, parsed.offset)
    if prob is not None:
        return decision, prob, "logprobs", parsed.method
    return decision, (1.0 if decision == ACCEPT else 0.0), "decision", parsed.method


def _grow(params: dict[str, Any], original: int | None) -> None:
    """After a truncated reply, allow more tokens next time (up to 4x the configured limit)."""
    if original and "max_tokens" in params:
        params["max_tokens"] = min(params["max_tokens"] * 2, original * 4)


async def verdict_call(run: Run, node: dict[str, Any], messages: list[dict[str, str]], path: str,
                       *, first: tuple[Choice, Completion, int, bool] | None = None,
                       ) -> tuple[Vote, str]:  # fmt: skip
    """Ask for one verdict; retry unparseable or truncated replies, then abstain."""
    backend = run.backends[node["judge"]]
    params = _verdict_params(node, backend)
    original_max = params.get("max_tokens")
    transcript_ids: list[int] = []
    reason: str | None = None
    text = ""
    meta = {"strategy": node["strategy"], "phase": "verdict", "path": path}
    for attempt in range(1, node["parse_retries"] + 2):
        if attempt == 1 and first is not None:
            choice, completion, request, first_choice = first
        else:
            completion = await backend.complete(messages, params=params, meta=meta)
            choice, request, first_choice = completion.choices[0], run.new_request(), True
        transcript_ids.append(run.record(
            path=path, kind="verdict", judge=node["judge"], messages=messages, choice=choice,
            completion=completion, request=request, attempt=attempt, first_choice=first_choice))
        text = choice.text
        decision, score, source, parsed_from = _interpret(choice, node["verdict_format"])
        if decision is not None:
            vote = Vote(path=path, strategy=node["strategy"], judge=node["judge"],
                        model=completion.model, decision=decision, score=score,
                        score_source=source, parsed_from=parsed_from, attempts=attempt,
                        transcripts=transcript_ids)  # fmt: skip
            return vote, text
        reason = source
        if reason == "truncated":
            _grow(params, original_max)
    vote = Vote(path=path, strategy=node["strategy"], judge=node["judge"], model=backend.model,
                decision=ABSTAIN, score=None, attempts=len(transcript_ids),
                transcripts=transcript_ids, reason=reason)  # fmt: skip
    return vote, text


async def _infer_question(run: Run, node: dict[str, Any], path: str) -> tuple[str, list[int]]:
    """Cycle consistency, step 1: the question inferred from the answer alone."""
    backend = run.backends[node["judge"]]
    messages = [{"role": "user", "content": prompts.cycle_infer(run.answer)}]
    params = dict(node["params"])
    ids: list[int] = []
    text = ""
    for attempt in range(1, node["parse_retries"] + 2):
        completion = await backend.complete(
            messages, params=params,
            meta={"strategy": node["strategy"], "phase": "infer", "path": path},
        )  # fmt: skip
        choice = completion.choices[0]
        ids.append(run.record(path=path, kind="infer", judge=node["judge"], messages=messages,
                              choice=choice, completion=completion, request=run.new_request(),
                              attempt=attempt))  # fmt: skip
        text = choice.text.strip()
        if text:
            break
    return text, ids


def _first_prompt(run: Run, node: dict[str, Any], inferred: str | None) -> str:
    fmt = node["verdict_format"]
    if node["strategy"] == "cycle_consistency":
        return prompts.cycle_compare(run.question, run.answer, inferred or "", fmt)
    reference = run.reference if node["use_reference"] else None
    return prompts.VERDICT_PROMPTS[node["strategy"]](run.question, run.answer, reference, fmt)


async def run_sample(run: Run, node: dict[str, Any], path: str,
                     first: tuple[Choice, Completion, int, bool] | None = None) -> dict[str, Any]:  # fmt: skip
    """One independent run of a strategy: (inference,) verdict, then reflection turns."""
    sample: dict[str, Any] = {"path": path}
    inferred = None
    if node["strategy"] == "cycle_consistency":
        inferred, ids = await _infer_question(run, node, f"{path}/infer")
        sample["inferred_question"] = inferred
        sample["infer_transcripts"] = ids
    messages = [{"role": "user", "content": _first_prompt(run, node, inferred)}]
    votes: list[Vote] = []
    for turn in range(node["turns"]):
        if turn:
            messages.append({"role": "user", "content": prompts.reflect(node["verdict_format"])})
        vote, text = await verdict_call(run, node, messages, f"{path}/turn[{turn}]",
                                        first=first if turn == 0 else None)  # fmt: skip
        votes.append(vote)
        messages.append({"role": "assistant", "content": text})
    decisions = [v.decision for v in votes]
    sample["decision"] = tally(decisions, node["turn_voting"]) if len(votes) > 1 else decisions[0]
    sample["score"] = mean_score([v.score for v in votes])
    sample["votes"] = votes
    return sample


async def run_strategy(run: Run, node: dict[str, Any], path: str) -> NodeResult:
    backend = run.backends[node["judge"]]
    k = node["samples"]
    batched = (k > 1 and node["batch_samples"] and backend.capabilities.n and node["turns"] == 1
               and node["strategy"] != "cycle_consistency")  # fmt: skip
    if batched:
        # One request for k choices; each choice is then a sample of its own.
        messages = [{"role": "user", "content": _first_prompt(run, node, None)}]
        completion = await backend.complete(
            messages, params=_verdict_params(node, backend), n=k,
            meta={"strategy": node["strategy"], "phase": "verdict", "path": path, "n": k},
        )  # fmt: skip
        request = run.new_request()
        firsts = [(ch, completion, request, i == 0) for i, ch in enumerate(completion.choices)]
        if len(firsts) < k:  # a server that ignored n: the missing samples are asked one by one
            firsts += [None] * (k - len(firsts))
        samples = await gather_all(
            run_sample(run, node, f"{path}/sample[{i}]", first=firsts[i]) for i in range(k)
        )
    else:
        samples = await gather_all(
            run_sample(run, node, f"{path}/sample[{i}]" if k > 1 else path) for i in range(k)
        )
    votes = [v for s in samples for v in s["votes"]]
    if k > 1:
        decision = tally([s["decision"] for s in samples], node["sample_voting"])
        score = mean_score([s["score"] if s["decision"] != ABSTAIN else None for s in samples])
    else:
        decision, score = samples[0]["decision"], samples[0]["score"]
    detail = {
        "strategy": node["strategy"], "judge": node["judge"], "model": backend.model,
        "turns": node["turns"], "turn_voting": node["turn_voting"], "samples": k,
        "sample_voting": node["sample_voting"],
        "sample_results": [
            {key: (val if key != "votes" else [v.path for v in val]) for key, val in s.items()}
            for s in samples
        ],
    }  # fmt: skip
    return NodeResult("strategy", decision, score, votes, detail,
                      disagreement=mixed([v.decision for v in votes]))  # fmt: skip


# ---- composition ---------------------------------------------------------------------------


async def run_node(run: Run, node: dict[str, Any], path: str = "pipeline") -> NodeResult:
    kind = node["type"]
    if kind == "strategy":
        return await run_strategy(run, node, path)
    if kind == "sequential":
        results: list[NodeResult] = []
        for i, step in enumerate(node["steps"]):
            result = await run_node(run, step, f"{path}.steps[{i}]")
            results.append(result)
            if result.decision == REJECT:
                break
        decisions = [r.decision for r in results]
        decision = REJECT if REJECT in decisions else ABSTAIN if ABSTAIN in decisions else ACCEPT
        return NodeResult(
            "sequential", decision, min(r.score for r in results),
            [v for r in results for v in r.votes],
            {"completed_steps": len(results), "total_steps": len(node["steps"])},
            results, disagreement=any(r.disagreement for r in results),
        )  # fmt: skip
    if kind == "panel":
        results = await gather_all(
            run_node(run, m, f"{path}.members[{i}]") for i, m in enumerate(node["members"])
        )
        decisions = [r.decision for r in results]
        score = mean_score([r.score if r.decision != ABSTAIN else None for r in results])
        if node["voting"] == "mean":
            if all(d == ABSTAIN for d in decisions):
                decision = ABSTAIN
            else:
                decision = ACCEPT if score >= node["threshold"] else REJECT
        else:
            decision = tally(decisions, node["voting"])
        return NodeResult("panel", decision, score, [v for r in results for v in r.votes],
                          {"voting": node["voting"]}, results,
                          disagreement=mixed(decisions) or any(r.disagreement for r in results))
    if kind == "cascade":
        results, reasons = [], []
        escalate = node["escalate"]
        for i, stage in enumerate(node["stages"]):
            result = await run_node(run, stage, f"{path}.stages[{i}]")
            results.append(result)
            if i == len(node["stages"]) - 1:
                break
            why = escalation_reasons(result, escalate)
            if not why:
                break
            reasons.append(why)
        final = results[-1]
        return NodeResult("cascade", final.decision, final.score,
                          [v for r in results for v in r.votes],
                          {"stages_run": len(results), "escalations": reasons}, results,
                          disagreement=final.disagreement)  # fmt: skip
    if kind == "reward_model":
        return await run_reward_model(run, node, path)
    raise ValueError(f"unknown node type {kind!r}")


def escalation_reasons(result: NodeResult, escalate: dict[str, Any]) -> list[str]:
    why = []
    if result.decision in escalate["decisions"]:
        why.append(f"decision {result.decision}")
    if escalate["on_disagreement"] and result.disagreement:
        why.append("votes disagree")
    low, high = escalate["score_band"]
    if low < result.score < high:
        why.append(f"score {result.score:.2f} within ({low}, {high})")
    return why


async def run_reward_model(run: Run, node: dict[str, Any], path: str) -> NodeResult:
    from .scorers import get_scorer

    scorer = run.scorers.get(node["model"]) or get_scorer(
        node["model"], device=node["device"], dtype=node["dtype"], max_length=node["max_length"]
    )
    started = time.perf_counter()
    score = await asyncio.to_thread(scorer.score, run.question, run.answer)
    score = float(min(1.0, max(0.0, score)))
    decision = ACCEPT if score >= node["threshold"] else REJECT
    vote = Vote(path=path, strategy="reward_model", judge=node["model"], model=node["model"],
                decision=decision, score=score, score_source="reward_model")  # fmt: skip
    return NodeResult("reward_model", decision, score, [vote],
                      {"model": node["model"], "threshold": node["threshold"],
                       "latency_s": round(time.perf_counter() - started, 6),
                       "device": getattr(scorer, "device", None)})  # fmt: skip
