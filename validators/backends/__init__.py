"""Judge backends: OpenAI-compatible servers, in-process llama.cpp, scripted (tests)."""

from __future__ import annotations

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
    resolve_profile,
)
from .scripted import ScriptedBackend

__all__ = [
    "PROFILES", "Backend", "BackendError", "Capabilities", "Choice", "Completion",
    "ScriptedBackend", "TokenLogprob", "TransientBackendError", "make_backend", "resolve_profile",
]  # fmt: skip

DEFAULT_PROFILE = {"openai": "auto", "llama_cpp": "llamacpp", "scripted": "generic"}


def make_backend(spec: dict[str, Any]) -> Backend:
    """Build a backend from one (validated) judge spec of a config."""
    kind = spec.get("kind", "openai")
    model = spec.get("model", "")
    caps = resolve_profile(
        spec.get("profile", DEFAULT_PROFILE.get(kind, "generic")), model, spec.get("capabilities")
    )
    if kind == "openai":
        from .openai_compat import OpenAICompatBackend

        profile = spec.get("profile", "auto")
        official = not spec.get("base_url") or "api.openai.com" in spec["base_url"]
        if profile == "auto" and official and caps == PROFILES["generic"]:
            caps = resolve_profile("openai", model, spec.get("capabilities"))
        return OpenAICompatBackend(
            model=model,
            capabilities=caps,
            base_url=spec.get("base_url"),
            api_key_env=spec.get("api_key_env", "OPENAI_API_KEY"),
            timeout_s=spec.get("timeout_s", 120.0),
            connect_timeout_s=spec.get("connect_timeout_s", 10.0),
            max_retries=spec.get("max_retries", 4),
            backoff_base_s=spec.get("backoff_base_s", 1.0),
            backoff_max_s=spec.get("backoff_max_s", 60.0),
            max_concurrency=spec.get("max_concurrency", 16),
            extra_body=spec.get("extra_body"),
        )
    if kind == "llama_cpp":
        from .llamacpp import LlamaCppBackend

        return LlamaCppBackend(
            model=model or "smollm2", capabilities=caps, n_ctx=spec.get("n_ctx", 4096),
            n_threads=spec.get("n_threads"), max_concurrency=1,
        )  # fmt: skip
    if kind == "scripted":
        return ScriptedBackend(
            spec.get("script"), rules=spec.get("rules"), default=spec.get("default"),
            model=model or "scripted", capabilities=caps,
            max_concurrency=spec.get("max_concurrency", 64),
        )  # fmt: skip
    raise BackendError(f"unknown backend kind {kind!r}")
