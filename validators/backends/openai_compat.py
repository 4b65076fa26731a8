"""One backend for every OpenAI-compatible server: OpenAI, vLLM, SGLang, llama.cpp server.

The `openai` client's own retries are switched off; this module retries itself so that
the policy is explicit and testable: 429 (honouring Retry-After), 5xx, 408, timeouts,
connection errors and garbage bodies are retried with capped exponential backoff and
jitter; anything else (400, 401, 403, 404, 422) fails at once.
"""

from __future__ import annotations

import asyncio
import contextlib
import email.utils
import os
import random
import time
import weakref
from typing import Any

from .base import (
    Backend,
    BackendError,
    Capabilities,
    Choice,
    Completion,
    TokenLogprob,
    TransientBackendError,
)

RETRYABLE_STATUS = frozenset({408, 409, 425, 429, 500, 502, 503, 504})


def parse_retry_after(headers: Any) -> float | None:
    """Seconds to wait from Retry-After / retry-after-ms headers, if any."""
    if headers is None:
        return None
    try:
        ms = headers.get("retry-after-ms")
        if ms is not None:
            return max(0.0, float(ms) / 1000.0)
        value = headers.get("retry-after")
    except Exception:  # noqa: BLE001 - odd header containers
        return None
    if value is None:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, when.timestamp() - time.time())


class OpenAICompatBackend(Backend):
    kind = "openai"

    def __init__(
        self,
        *,
        model: str,
        capabilities: Capabilities,
        base_url: str | None = None,
        api_key_env: str | None = "OPENAI_API_KEY",
        timeout_s: float = 120.0,
        connect_timeout_s: float = 10.0,
        max_retries: int = 4,
        backoff_base_s: float = 1.0,
        backoff_max_s: float = 60.0,
        max_concurrency: int = 16,
        extra_body: dict[str, Any] | None = None,
        sleep=asyncio.sleep,
    ):
        super().__init__(model=model, capabilities=capabilities, max_concurrency=max_concurrency)
        self.base_url = base_url
        self.api_key_env = api_key_env
        self.timeout_s = timeout_s
        self.connect_timeout_s = connect_timeout_s
        self.max_retries = max_retries
        self.backoff_base_s = backoff_base_s
        self.backoff_max_s = backoff_max_s
        self.extra_body = extra_body or {}
        self._sleep = sleep
        self._clients: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()
        self.retry_log: list[dict[str, Any]] = []  # what was retried and why (for tests/ops)

    def _api_key(self) -> str:
        key = os.environ.get(self.api_key_env) if self.api_key_env else None
        if key:
            return key
        if self.base_url is None or "api.openai.com" in (self.base_url or ""):
            raise BackendError(
                f"no API key: set the environment variable {self.api_key_env or 'OPENAI_API_KEY'}"
            )
        return "not-needed"  # local servers (vLLM, SGLang, llama.cpp) accept any key

    def _client(self):
        loop = asyncio.get_running_loop()
        client = self._clients.get(loop)
        if client is None:
            import openai

            try:
                timeout: Any = openai.Timeout(self.timeout_s, connect=self.connect_timeout_s)
            except Exception:  # noqa: BLE001 - older/newer clients: a float works everywhere
                timeout = self.timeout_s
            client = openai.AsyncOpenAI(
                api_key=self._api_key(), base_url=self.base_url, timeout=timeout, max_retries=0
            )
            self._clients[loop] = client
        return client

    def _delay(self, attempt: int, retry_after: float | None) -> float:
        if retry_after is not None:
            return min(retry_after, self.backoff_max_s)
        ceiling = min(self.backoff_max_s, self.backoff_base_s * (2**attempt))
        return random.uniform(ceiling / 2, ceiling)  # noqa: S311 - jitter, not crypto

    async def _complete(self, messages, params, n, meta) -> Completion:
        import openai

        client = self._client()
        kwargs = dict(params)
        if self.extra_body:
            kwargs["extra_body"] = self.extra_body
        attempt = 0
        while True:
            attempt += 1
            retry_after: float | None = None
            try:
                response = await client.chat.completions.create(
                    model=self.model, messages=messages, **kwargs
                )
                completion = self._convert(response)
                completion.transport_attempts = attempt
                return completion
            except openai.APIStatusError as exc:
                status = exc.status_code
                if status not in RETRYABLE_STATUS:
                    raise BackendError(
                        f"{self.model}: HTTP {status}: {_short(exc)}", status=status
                    ) from exc
                retry_after = parse_retry_after(getattr(exc.response, "headers", None))
                reason, error = f"HTTP {status}", exc
            except openai.APITimeoutError as exc:
                reason, error = "timeout", exc
            except openai.APIConnectionError as exc:
                reason, error = "connection error", exc
            except _GarbageResponse as exc:
                reason, error = "garbage response", exc
            except (openai.APIResponseValidationError, ValueError, TypeError, AttributeError) as exc:
                reason, error = "garbage response", exc
            if attempt > self.max_retries:
                status = getattr(error, "status_code", None)
                raise TransientBackendError(
                    f"{self.model}: {reason} after {attempt} attempts: {_short(error)}",
                    status=status, retry_after=retry_after,
                ) from error
            delay = self._delay(attempt - 1, retry_after)
            self.retry_log.append({"attempt": attempt, "reason": reason, "delay_s": delay})
            await self._sleep(delay)

    def _convert(self, response: Any) -> Completion:
        choices_in = getattr(response, "choices", None)
        if not isinstance(choices_in, list) or not choices_in:
            raise _GarbageResponse(f"no choices in response: {str(response)[:200]!r}")
        choices = []
        for ch in choices_in:
            message = getattr(ch, "message", None)
            if message is None:
                raise _GarbageResponse("a choice without a message")
            text = getattr(message, "content", None) or ""
            logprobs = None
            lp = getattr(ch, "logprobs", None)
            content = getattr(lp, "content", None) if lp is not None else None
            if content:
                logprobs = [
                    TokenLogprob(
                        token=item.token,
                        logprob=item.logprob,
                        top=[(t.token, t.logprob) for t in (item.top_logprobs or [])],
                    )
                    for item in content
                ]
            choices.append(
                Choice(text=text, finish_reason=getattr(ch, "finish_reason", None), logprobs=logprobs)
            )
        usage = getattr(response, "usage", None)
        return Completion(
            choices=choices,
            prompt_tokens=int(getattr(usage, "prompt_tokens", 0) or 0),
            completion_tokens=int(getattr(usage, "completion_tokens", 0) or 0),
            model=getattr(response, "model", "") or self.model,
        )

    async def aclose(self) -> None:
        loop = asyncio.get_running_loop()
        client = self._clients.pop(loop, None)
        if client is not None:
            with contextlib.suppress(Exception):  # closing is best effort
                await client.close()

    def describe(self) -> dict[str, Any]:
        return {**super().describe(), "base_url": self.base_url}


class _GarbageResponse(Exception):
    pass


def _short(exc: BaseException) -> str:
    text = str(exc).replace("\n", " ")
    return text[:300]
