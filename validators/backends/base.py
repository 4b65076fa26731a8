"""What every judge backend speaks: chat messages in, completions out.

A backend turns one chat request into one `Completion` (with `n` choices when asked and
supported). Transport trouble that persists after the backend's own retries is raised as
`TransientBackendError` (worth retrying later: 429, 5xx, timeouts, connection errors) or
`BackendError` (not worth retrying: bad request, authentication, unknown model).
"""

from __future__ import annotations

import asyncio
import time
import weakref
from abc import ABC, abstractmethod
from dataclasses import asdict, dataclass, field, replace
from typing import Any


class BackendError(Exception):
    """A judge call failed and retrying the same request will not help."""

    transient = False

    def __init__(self, message: str, *, status: int | None = None):
        super().__init__(message)
        self.status = status


class TransientBackendError(BackendError):
    """A judge call failed for a reason that may pass (rate limit, 5xx, timeout)."""

    transient = True

    def __init__(self, message: str, *, status: int | None = None,
                 retry_after: float | None = None):  # fmt: skip
        super().__init__(message, status=status)
        self.retry_after = retry_after  # seconds the server asked for, if it said


@dataclass(frozen=True)
class Capabilities:
    """What a server accepts. Unsupported request parameters are dropped, never sent."""

    n: bool = False  # several choices in one request
    logprobs: bool = False  # token logprobs with top alternatives (P(yes) scores)
    json_schema: bool = False  # response_format={"type": "json_schema", ...}
    json_object: bool = False  # response_format={"type": "json_object"}
    temperature: bool = True  # False for reasoning models that refuse it
    top_p: bool = True
    seed: bool = True
    reasoning_effort: bool = False
    max_tokens_param: str = "max_tokens"  # or "max_completion_tokens"

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


# One profile per kind of server. A config may name a profile and override single fields.
PROFILES: dict[str, Capabilities] = {
    "openai": Capabilities(
        n=True, logprobs=True, json_schema=True, json_object=True,
        max_tokens_param="max_completion_tokens",
    ),
    "openai-reasoning": Capabilities(
        n=True, logprobs=False, json_schema=True, json_object=True, temperature=False,
        top_p=False, seed=True, reasoning_effort=True, max_tokens_param="max_completion_tokens",
    ),
    "vllm": Capabilities(n=True, logprobs=True, json_schema=True, json_object=True),
    "sglang": Capabilities(n=True, logprobs=True, json_schema=True, json_object=True),
    "llamacpp": Capabilities(n=False, logprobs=False, json_schema=False, json_object=True),
    "generic": Capabilities(),
    "scripted": Capabilities(n=True, logprobs=True, json_schema=True, json_object=True),
}  # fmt: skip

REASONING_MODEL_PREFIXES = ("o1", "o3", "o4", "gpt-5")


def resolve_profile(profile: str, model: str, overrides: dict[str, Any] | None = None) -> Capabilities:
    """The capabilities for a profile name ("auto" guesses from the model name)."""
    if profile == "auto":
        bare = model.rsplit("/", 1)[-1].lower()
        profile = "openai-reasoning" if bare.startswith(REASONING_MODEL_PREFIXES) else "generic"
    if profile not in PROFILES:
        raise ValueError(f"unknown capability profile {profile!r}; known: {sorted(PROFILES)}")
    caps = PROFILES[profile]
    return replace(caps, **(overrides or {}))


@dataclass
class TokenLogprob:
    token: str
    logprob: float
    top: list[tuple[str, float]] = field(default_factory=list)


@dataclass
class Choice:
    text: str
    finish_reason: str | None = "stop"
    logprobs: list[TokenLogprob] | None = None


@dataclass
class Completion:
    choices: list[Choice]
    prompt_tokens: int = 0
    completion_tokens: int = 0
    latency_s: float = 0.0
    transport_attempts: int = 1
    model: str = ""


class Backend(ABC):
    """One judge: a model behind some server, with a concurrency cap of its own."""

    kind = "abstract"

    def __init__(self, *, model: str, capabilities: Capabilities, max_concurrency: int = 16):
        self.model = model
        self.capabilities = capabilities
        self.max_concurrency = max_concurrency
        self._semaphores: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()

    def _semaphore(self) -> asyncio.Semaphore:
        # One semaphore per event loop: a backend may outlive one asyncio.run().
        loop = asyncio.get_running_loop()
        sem = self._semaphores.get(loop)
        if sem is None:
            sem = self._semaphores[loop] = asyncio.Semaphore(self.max_concurrency)
        return sem

    def request_params(self, params: dict[str, Any], n: int = 1) -> dict[str, Any]:
        """Sampling parameters filtered and renamed for this server's capabilities."""
        caps = self.capabilities
        out: dict[str, Any] = {}
        for key, value in params.items():
            if value is None:
                continue
            if key == "max_tokens":
                out[caps.max_tokens_param] = value
            elif key == "temperature":
                if caps.temperature:
                    out[key] = value
            elif key == "top_p":
                if caps.top_p:
                    out[key] = value
            elif key == "seed":
                if caps.seed:
                    out[key] = value
            elif key == "reasoning_effort":
                if caps.reasoning_effort:
                    out[key] = value
            elif key in ("logprobs", "top_logprobs"):
                if caps.logprobs:
                    out[key] = value
            elif key == "response_format":
                kind = value.get("type")
                if (kind == "json_schema" and caps.json_schema) or (
                    kind == "json_object" and caps.json_object
                ):
                    out[key] = value
                elif kind == "json_schema" and caps.json_object:
                    out[key] = {"type": "json_object"}
            else:
                out[key] = value
        if n > 1:
            out["n"] = n
        return out

    async def complete(
        self,
        messages: list[dict[str, str]],
        *,
        params: dict[str, Any],
        n: int = 1,
        meta: dict[str, Any] | None = None,
    ) -> Completion:
        """One request for `n` choices (n > 1 only when capabilities.n)."""
        if n > 1 and not self.capabilities.n:
            raise ValueError("this backend cannot return several choices in one request")
        async with self._semaphore():
            started = time.perf_counter()
            completion = await self._complete(messages, self.request_params(params, n), n, meta)
            completion.latency_s = time.perf_counter() - started
            if not completion.model:
                completion.model = self.model
            return completion

    @abstractmethod
    async def _complete(
        self, messages: list[dict[str, str]], params: dict[str, Any], n: int,
        meta: dict[str, Any] | None,
    ) -> Completion:  # fmt: skip
        """Send the request (params already filtered)."""

    async def aclose(self) -> None:  # noqa: B027 - optional hook
        """Release connections."""

    def describe(self) -> dict[str, Any]:
        return {"kind": self.kind, "model": self.model, "capabilities": self.capabilities.to_dict()}
