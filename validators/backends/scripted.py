"""A backend that answers from a script: for unit tests, demos and call-count benchmarks.

A script is one of
- a list of replies, consumed in order (running out is an error: the test was wrong),
- a callable `(messages, meta, index) -> reply`,
- rules: a list of `{"match": REGEX, "reply": TEXT or [TEXT, ...]}` tried against the last
  user message (a list cycles per rule), with `default` when none matches.

A reply is a string, or a dict `{"text", "finish_reason", "logprobs", "error", "delay_s"}`;
`error` is one of "429", "500", "timeout" (raised as transient) or "400" (raised as fatal).
Tokens are counted as whitespace-separated words, so accounting is deterministic.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import Callable
from typing import Any

from .base import (
    PROFILES,
    Backend,
    BackendError,
    Capabilities,
    Choice,
    Completion,
    TokenLogprob,
    TransientBackendError,
)

Reply = str | dict[str, Any]


class ScriptedBackend(Backend):
    kind = "scripted"

    def __init__(
        self,
        script: list[Reply] | Callable[..., Reply] | None = None,
        *,
        rules: list[dict[str, Any]] | None = None,
        default: Reply | None = None,
        model: str = "scripted",
        capabilities: Capabilities | None = None,
        max_concurrency: int = 64,
        delay_s: float = 0.0,
    ):
        super().__init__(
            model=model,
            capabilities=capabilities or PROFILES["generic"],
            max_concurrency=max_concurrency,
        )
        self.script = script
        self.rules = [dict(rule, _compiled=re.compile(rule["match"])) for rule in rules or []]
        self._rule_counts = [0] * len(self.rules)
        self.default = default
        self.delay_s = delay_s
        self.calls: list[dict[str, Any]] = []
        self._cursor = 0
        self.in_flight = 0
        self.max_in_flight = 0

    def _next_reply(self, messages, meta, index) -> Reply:
        if callable(self.script):
            return self.script(messages, meta or {}, index)
        if isinstance(self.script, list):
            if self._cursor >= len(self.script):
                raise AssertionError(f"scripted backend ran out of replies at call {index + 1}")
            reply = self.script[self._cursor]
            self._cursor += 1
            return reply
        last_user = next((m["content"] for m in reversed(messages) if m["role"] == "user"), "")
        for i, rule in enumerate(self.rules):
            if rule["_compiled"].search(last_user):
                replies = rule["reply"]
                if isinstance(replies, list):
                    reply = replies[self._rule_counts[i] % len(replies)]
                    self._rule_counts[i] += 1
                    return reply
                return replies
        if self.default is not None:
            return self.default
        raise AssertionError(f"no scripted rule matches: {last_user[:120]!r}")

    async def _complete(self, messages, params, n, meta) -> Completion:
        choices = []
        prompt_tokens = sum(len(str(m.get("content", "")).split()) for m in messages)
        completion_tokens = 0
        self.in_flight += 1
        self.max_in_flight = max(self.max_in_flight, self.in_flight)
        try:
            for _ in range(n):
                index = len(self.calls)
                self.calls.append({"messages": [dict(m) for m in messages], "params": params,
                                   "meta": dict(meta or {}), "n": n})  # fmt: skip
                reply = self._next_reply(messages, meta, index)
                if isinstance(reply, str):
                    reply = {"text": reply}
                delay = reply.get("delay_s", self.delay_s)
                if delay:
                    await asyncio.sleep(delay)
                error = reply.get("error")
                if error:
                    if str(error) in ("429", "500", "502", "503", "timeout"):
                        raise TransientBackendError(f"scripted {error}")
                    raise BackendError(f"scripted {error}")
                text = reply.get("text", "")
                completion_tokens += len(text.split())
                choices.append(
                    Choice(
                        text=text,
                        finish_reason=reply.get("finish_reason", "stop"),
                        logprobs=_logprobs(reply.get("logprobs")) if params.get("logprobs") else None,
                    )
                )
        finally:
            self.in_flight -= 1
        return Completion(choices=choices, prompt_tokens=prompt_tokens,
                          completion_tokens=completion_tokens, model=self.model)  # fmt: skip


def _logprobs(spec: Any) -> list[TokenLogprob] | None:
    """[(token, logprob, [(alt, logprob), ...]), ...] -> TokenLogprob list."""
    if spec is None:
        return None
    return [TokenLogprob(token=t, logprob=lp, top=list(top)) for t, lp, top in spec]
