"""The GPU worker path, end to end: a real Celery worker on the `gpu` queue scores answers with
a reward model on CUDA and hands each verdict on to the `default` queue for recording.

    python bench/gpu_worker_check.py              # needs CUDA; skips (exit 0) without it
    python bench/gpu_worker_check.py --device cpu # the same path on CPU, for a machine without a GPU

Nothing is downloaded: a tiny randomly initialised reward model is saved to a temporary folder
and named in the validator config by its path, as an operator names a local model. The worker
runs `celery -A workers.celery_app worker -Q gpu --pool solo` against a file-system broker in a
temporary folder (no database is touched on that side); this script publishes the real chain
(`workers.tasks.validation.publish_validation`) and reads the record messages the worker sends to
`default`. Prints answers/s through the worker; never fails on a time.
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "platform"), str(ROOT / "bench")]

import benchenv  # noqa: E402
from benchenv import Figure  # noqa: E402


def skip(reason: str) -> int:
    print(f"SKIP gpu_worker_check: {reason}")
    return 0


def save_tiny_model(folder: Path) -> None:
    import torch
    import transformers
    from gpu_smoke import tiny_model

    tokenizer, module = tiny_model(transformers, torch)
    tokenizer.save_pretrained(folder)
    module.save_pretrained(folder)


def configure_environment(work: Path) -> None:
    os.environ.update({
        "DEBUG": "true", "QUORUM_VAR_DIR": str(work / "var"), "HF_HUB_OFFLINE": "1",
        "CELERY_BROKER_URL": "filesystem://localhost//", "DJANGO_SETTINGS_MODULE": "config.settings",
        "PYTHONPATH": os.pathsep.join([str(ROOT / "platform"), str(ROOT), os.environ.get("PYTHONPATH", "")]),
    })  # fmt: skip


def start_worker(work: Path) -> subprocess.Popen:
    command = [sys.executable, "-m", "celery", "-A", "workers.celery_app", "worker", "-Q", "gpu",
               "--pool", "solo", "--hostname", "gpu0@%h", "--loglevel", "WARNING"]  # fmt: skip
    log = open(work / "worker.log", "w")  # noqa: SIM115 - closed with the process
    return subprocess.Popen(command, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT)


def payloads(model_dir: Path, device: str, count: int) -> list[dict]:
    config = {"pipeline": {"type": "reward_model", "model": str(model_dir), "threshold": 0.5,
                           "device": device, "dtype": "float32", "max_length": 512}}  # fmt: skip
    words = lambda seed, n: " ".join(f"w{(seed * 7 + j) % 500}" for j in range(n))  # noqa: E731
    return [{"validation_id": i, "config_hash": "gpu-check", "config": config,
             "question": {"title": words(i, 8), "body": words(i, 200)}, "answer": words(i + 3, 250)}
            for i in range(count)]  # fmt: skip


def collect_records(app, count: int, deadline: float) -> list[dict]:
    from workers.queues import DEFAULT, TASK_QUEUES

    queue = next(q for q in TASK_QUEUES if q.name == DEFAULT)
    records: list[dict] = []
    with app.connection_for_read() as connection:
        inbox = connection.SimpleQueue(queue)
        while len(records) < count and time.monotonic() < deadline:
            try:
                message = inbox.get(timeout=1)
            except inbox.Empty:
                continue
            if message.headers.get("task") == "quorum.validation.record":
                records.append(message.decode()[0][0])
            message.ack()
        inbox.close()
    return records


def report(records: list[dict], count: int, device: str, elapsed: float) -> bool:
    verdicts = [r["verdict"] for r in records if "verdict" in r]
    errors = [r["error"] for r in records if "error" in r]
    devices = {v["steps"]["device"] for v in verdicts}
    print(f"records back from the gpu worker: {len(records)}/{count}, verdicts {len(verdicts)}, "
          f"errors {len(errors)}{': ' + errors[0] if errors else ''}")  # fmt: skip
    print(f"devices reported by the scorer: {sorted(devices)}")
    if verdicts:
        scores = [v["score"] for v in verdicts]
        print(f"scores in [{min(scores):.3f}, {max(scores):.3f}]; "
              f"decisions {sorted({v['decision'] for v in verdicts})}")  # fmt: skip
        print(f"throughput through the worker: {len(verdicts) / elapsed:.1f} answers/s "
              f"({elapsed:.1f} s for {len(verdicts)}, model load included)")  # fmt: skip
    ok = len(verdicts) == count and devices == {device}
    if ok:
        benchenv.report("GPU worker", [Figure(f"gpu-queue worker on {device}: answers/s, worker start and model load included",
                                              len(verdicts) / elapsed)])  # fmt: skip
    return ok


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--device", choices=["cuda", "cpu"], default="cuda")
    parser.add_argument("--answers", type=int, default=64)
    parser.add_argument("--timeout", type=float, default=240)
    args = parser.parse_args()
    for module in ("torch", "transformers", "celery", "django"):
        if importlib.util.find_spec(module) is None:
            return skip(f"{module} is not installed")
    import torch

    if args.device == "cuda" and not torch.cuda.is_available():
        return skip("no CUDA device (use --device cpu to check the path on CPU)")

    work = Path(tempfile.mkdtemp(prefix="quorum-gpu-check-"))
    save_tiny_model(work / "reward-model")
    configure_environment(work)
    import django

    django.setup()
    from workers.celery_app import app
    from workers.queues import GPU
    from workers.tasks.validation import publish_validation

    app.loader.import_default_modules()
    worker = start_worker(work)
    try:
        started = time.monotonic()
        for payload in payloads(work / "reward-model", args.device, args.answers):
            publish_validation(payload, queue=GPU)
        records = collect_records(app, args.answers, started + args.timeout)
        ok = report(records, args.answers, args.device, time.monotonic() - started)
    finally:
        worker.terminate()
        worker.wait(timeout=30)
    if not ok:
        print((work / "worker.log").read_text()[-4000:])
    print("OK" if ok else "FAILED")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
