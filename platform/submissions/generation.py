"""Calling a model's OpenAI-compatible endpoint to answer one question (no database here)."""

import os
from dataclasses import dataclass

import openai

from common.outbound import OutboundPolicy, Target, URLRefused

SYSTEM_PROMPT = "Please answer the following question comprehensively and accurately."
RETRYABLE = (openai.RateLimitError, openai.APITimeoutError, openai.APIConnectionError,
             openai.InternalServerError)  # fmt: skip


KEY_ENV_PREFIX = "QUORUM_GENKEY_"


class EndpointMisconfigured(Exception):
    """The endpoint cannot be used at all (missing key variable, bad URL): stop the job."""


def check_key_env(name: str) -> None:
    """Builders name the variable holding their key; only variables meant for that may be
    read, or a builder could send any secret of the worker to a server of theirs."""
    if name and not (name.startswith(KEY_ENV_PREFIX) and name.replace("_", "").isalnum()):
        raise EndpointMisconfigured(
            f"The key's environment variable must be named {KEY_ENV_PREFIX}<SOMETHING>, got {name!r}."
        )


ALLOW_LIST_SETTING = "QUORUM_GENERATION_ALLOWED_HOSTS"


def check_endpoint_url(base_url: str, allowed_hosts: frozenset[str] | list[str]) -> Target:
    """The outbound policy (common.outbound) for a builder's endpoint: when the entry is saved,
    and again when a run starts (the client connects to the address checked then)."""
    try:
        return OutboundPolicy.from_entries(allowed_hosts, setting=ALLOW_LIST_SETTING).check(
            base_url
        )
    except URLRefused as exc:
        raise EndpointMisconfigured(str(exc)) from None


def describe_error(exc: Exception) -> str:
    """What went wrong, without the server's response body (it may be an internal page)."""
    if isinstance(exc, openai.APIStatusError):
        return f"HTTP {exc.status_code} ({type(exc).__name__})"
    return type(exc).__name__


@dataclass(frozen=True)
class Endpoint:
    base_url: str
    model: str
    key_env: str = ""
    timeout_s: float = 600.0
    max_retries: int = 4
    allowed_hosts: frozenset[str] = frozenset()

    def client(self) -> openai.OpenAI:
        check_key_env(self.key_env)
        target = check_endpoint_url(self.base_url, self.allowed_hosts)
        key = "not-needed"
        if self.key_env:
            key = os.environ.get(self.key_env, "")
            if not key:
                raise EndpointMisconfigured(
                    f"The environment variable {self.key_env} is not set on the worker."
                )
        # The client retries 429 (honouring Retry-After), 5xx and timeouts with backoff; its
        # HTTP client connects to the checked address only and follows no redirect.
        return openai.OpenAI(
            base_url=target.url,
            api_key=key,
            timeout=self.timeout_s,
            max_retries=self.max_retries,
            http_client=target.httpx_client(timeout=self.timeout_s),
        )


@dataclass(frozen=True)
class Generated:
    text: str
    prompt_tokens: int
    completion_tokens: int
    finish_reason: str


def answer_prompt(question: dict) -> str:
    """UQ's answer prompt: the question's details, then its content."""
    return (
        "### Question Details\n"
        f"Title: {question.get('title', '')}\n"
        f"Keywords: {', '.join(question.get('tags', []))}\n"
        f"Site: {question.get('site', '')}\n"
        f"Link: {question.get('link', '')}\n"
        f"Category: {question.get('category', '')}\n\n"
        "### Question Content\n"
        f"{question.get('body', '')}\n"
    )


def generate_answer(
    client: openai.OpenAI, endpoint: Endpoint, question: dict, *, system_prompt: str = "",
    params: dict | None = None, max_tokens: int = 4096,
) -> Generated:  # fmt: skip
    params = {k: v for k, v in (params or {}).items() if k in ("temperature", "top_p", "seed")}
    response = client.chat.completions.create(
        model=endpoint.model,
        messages=[
            {"role": "system", "content": system_prompt or SYSTEM_PROMPT},
            {"role": "user", "content": answer_prompt(question)},
        ],
        max_tokens=max_tokens,
        **params,
    )
    choice = response.choices[0]
    usage = response.usage
    return Generated(
        text=(choice.message.content or "").strip(),
        prompt_tokens=getattr(usage, "prompt_tokens", 0) or 0,
        completion_tokens=getattr(usage, "completion_tokens", 0) or 0,
        finish_reason=choice.finish_reason or "",
    )
