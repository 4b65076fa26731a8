"""Validators benchmark: library overhead and judge calls per preset.

    python bench/validators_bench.py                 # both parts, built-in fast fake server
    python bench/validators_bench.py --server URL    # overhead against a running server
    python bench/validators_bench.py --llama         # ... against llama.cpp + SmolLM2

1. Overhead: judge calls/s through the library (vanilla strategy, one call per answer)
   against raw `openai` client calls with the same prompts and the same concurrency, on the
   same local OpenAI-compatible server, measured in one run (target ratio >= 0.9).
2. Calls per answer for each preset on a fixed set of synthetic answers with scripted
   judges (mean, most observed, worst case), with precision/recall against the set's
   labels; the cascade should spend at least 40% fewer calls than uq-strict.

Prints figures and same-run ratios; never fails on a time.
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import importlib.util
import json
import re
import socket
import statistics
import subprocess
import sys
import time
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import benchenv  # noqa: E402
from benchenv import Figure  # noqa: E402

import validators  # noqa: E402
from validators import prompts  # noqa: E402
from validators.backends import ScriptedBackend  # noqa: E402
from validators.config import call_bounds, load  # noqa: E402

QUESTION = {"question_id": "b1", "title": "Is every bounded sequence convergent on a subsequence?",
            "body": "In R^n, does every bounded sequence have a convergent subsequence? " * 8,
            "tags": ["analysis"], "category": "math", "site": "math"}  # fmt: skip
ANSWER = "Yes, by Bolzano-Weierstrass: bisect the box repeatedly and pick a point in each. " * 6


# ---- a fast fake OpenAI-compatible server (own process) -----------------------------------

REPLY = json.dumps({
    "id": "x", "object": "chat.completion", "created": 0, "model": "fake",
    "choices": [{"index": 0, "finish_reason": "stop",
                 "message": {"role": "assistant", "content": "Checked. Correct: [[Y]]"}}],
    "usage": {"prompt_tokens": 300, "completion_tokens": 6, "total_tokens": 306},
}).encode()  # fmt: skip


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def _reply(self, body: bytes):
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self):
        self._reply(b'{"data": [{"id": "fake"}]}')

    def do_POST(self):
        self.rfile.read(int(self.headers.get("Content-Length", 0)))
        self._reply(REPLY)


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 1024  # the listen backlog: bursts of new connections must not drop


def serve(port: int) -> None:
    _Server(("127.0.0.1", port), _Handler).serve_forever()


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_ready(base: str, proc: subprocess.Popen, timeout: float = 120) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise SystemExit("server exited early")
        try:
            with urllib.request.urlopen(f"{base}/models", timeout=2):  # noqa: S310 - loopback
                return
        except OSError:
            time.sleep(0.2)
    raise SystemExit("server did not become ready")


def start_server(kind: str) -> tuple[str, subprocess.Popen]:
    port = free_port()
    if kind == "llama":
        from validators.backends.llamacpp import bundled_model_path

        cmd = [sys.executable, "-m", "llama_cpp.server", "--model", bundled_model_path(),
               "--host", "127.0.0.1", "--port", str(port), "--n_ctx", "2048",
               "--verbose", "False"]  # fmt: skip
    else:
        cmd = [sys.executable, __file__, "--serve", str(port)]
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{port}/v1"
    wait_ready(base, proc)
    return base, proc


# ---- part 1: overhead ------------------------------------------------------------------------


async def raw_calls(base: str, n: int, concurrency: int, max_tokens: int) -> float:
    import openai

    client = openai.AsyncOpenAI(base_url=base, api_key="not-needed", max_retries=0, timeout=120)
    prompt = prompts.vanilla(QUESTION, ANSWER, None, "tag")
    semaphore = asyncio.Semaphore(concurrency)

    async def one():
        async with semaphore:
            response = await client.chat.completions.create(
                model="judge", messages=[{"role": "user", "content": prompt}],
                max_tokens=max_tokens, temperature=0.0,
            )  # fmt: skip
            return response.choices[0].message.content

    started = time.perf_counter()
    await asyncio.gather(*(one() for _ in range(n)))
    elapsed = time.perf_counter() - started
    await client.close()
    return n / elapsed


async def library_calls(base: str, n: int, concurrency: int, max_tokens: int) -> float:
    config = {"judges": {"default": {"model": "judge", "base_url": base, "api_key_env": None,
                                     "profile": "generic", "max_concurrency": concurrency,
                                     "params": {"max_tokens": max_tokens,
                                                "temperature": 0.0}}},
              "defaults": {"parse_retries": 0}, "pipeline": "vanilla"}  # fmt: skip
    validator = validators.Validator(config)
    items = [((i, "m"), QUESTION, ANSWER) for i in range(n)]
    calls = 0
    started = time.perf_counter()
    async for _, verdict, error in validator.judge_many(items, concurrency=concurrency):
        if error is not None:
            raise error
        calls += verdict["calls"]
    elapsed = time.perf_counter() - started
    await validator.aclose()
    return calls / elapsed


def overhead(base: str, n: int, concurrency: int, rounds: int, max_tokens: int) -> dict:
    asyncio.run(raw_calls(base, min(n, 50), concurrency, max_tokens))  # warm up both paths
    asyncio.run(library_calls(base, min(n, 50), concurrency, max_tokens))
    raw, lib = [], []
    for _ in range(rounds):  # interleaved, so drifts in machine load hit both alike
        raw.append(asyncio.run(raw_calls(base, n, concurrency, max_tokens)))
        lib.append(asyncio.run(library_calls(base, n, concurrency, max_tokens)))
    return {"raw": raw, "lib": lib, "ratio": statistics.median(lib) / statistics.median(raw)}


# ---- part 2: calls per preset with scripted judges --------------------------------------------

# P(judge says Y) by (judge strength, strategy, answer is correct)
P_YES = {
    "strong": {"cycle_consistency": (0.97, 0.85), "relevance": (0.95, 0.6),
               "fact_check": (0.9, 0.4), "final_answer": (0.85, 0.3),
               "correctness": (0.85, 0.2), "vanilla": (0.9, 0.35)},
    "cheap": {"cycle_consistency": (0.95, 0.95), "relevance": (0.9, 0.75),
              "fact_check": (0.88, 0.55), "final_answer": (0.8, 0.45),
              "correctness": (0.8, 0.35), "vanilla": (0.85, 0.5)},
}  # fmt: skip
# On reflection a judge withdraws an acceptance more readily than a rejection.
FLIP_ON_REFLECTION = {True: 0.15, False: 0.05}
ID = re.compile(r"\[bench-answer (\d+) (good|bad)\]")


def uniform(*key) -> float:
    digest = hashlib.blake2b("|".join(map(str, key)).encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big") / 2**64


def scripted_judge(strength: str) -> ScriptedBackend:
    def respond(messages, meta, index):
        text = " ".join(m["content"] for m in messages)
        found = ID.search(text)
        answer_id, good = found.group(1), found.group(2) == "good"
        if meta["phase"] == "infer":
            return "What does the question ask?"
        path = meta["path"]
        turn = int(path.rsplit("turn[", 1)[1].rstrip("]")) if "turn[" in path else 0
        sample_path = path.rsplit("/turn[", 1)[0]
        p = P_YES[strength][meta["strategy"]][0 if good else 1]
        first = uniform(strength, answer_id, sample_path, 0) < p
        if turn == 0:
            verdict = first
        else:
            previous = [m["content"] for m in messages if m["role"] == "assistant"][-1]
            verdict = "[[Y]]" in previous
            if uniform(strength, answer_id, sample_path, turn) < FLIP_ON_REFLECTION[verdict]:
                verdict = not verdict
        return f"Assessment. [[{'Y' if verdict else 'N'}]]"

    return ScriptedBackend(respond, max_concurrency=256)


def answer_set(n: int, share_good: float) -> list[tuple[int, bool, str]]:
    return [(i, good, f"[bench-answer {i} {'good' if good else 'bad'}] {ANSWER[:200]}")
            for i in range(n) for good in [uniform("label", i) < share_good]]  # fmt: skip


async def preset_calls(name: str, answers) -> dict:
    config = load(name)
    backends = {judge: scripted_judge("cheap" if judge == "cheap" else "strong")
                for judge in config["judges"]}  # fmt: skip
    validator = validators.Validator(config, backends=backends)
    items = [((i, good), QUESTION, text) for i, good, text in answers]
    calls, tp, fp, fn = [], 0, 0, 0
    async for (_, good), verdict, error in validator.judge_many(items, concurrency=32):
        if error is not None:
            raise error
        calls.append(verdict["calls"])
        accepted = verdict["decision"] == "accept"
        tp += accepted and good
        fp += accepted and not good
        fn += (not accepted) and good
    return {
        "mean": statistics.mean(calls), "max": max(calls),
        "worst": call_bounds(config["pipeline"])[1],
        "accepted": tp + fp, "precision": tp / (tp + fp) if tp + fp else float("nan"),
        "recall": tp / (tp + fn) if tp + fn else float("nan"),
    }


def calls_table(n: int, share_good: float) -> dict:
    answers = answer_set(n, share_good)
    goods = sum(good for _, good, _ in answers)
    print(f"\nJudge calls per answer: {n} synthetic answers ({goods} correct), scripted judges "
          "(deterministic, hash-based)")  # fmt: skip
    print(f"{'preset':16} {'mean':>6} {'max':>4} {'worst':>5} {'accepted':>8} {'precision':>9} "
          f"{'recall':>6}")  # fmt: skip
    rows = {}
    for name in ("uq-default", "uq-recommended", "uq-strict", "quorum-cascade"):
        row = rows[name] = asyncio.run(preset_calls(name, answers))
        print(f"{name:16} {row['mean']:6.2f} {row['max']:4d} {row['worst']:5d} "
              f"{row['accepted']:8d} {row['precision']:9.2f} {row['recall']:6.2f}")
    saving = 1 - rows["quorum-cascade"]["mean"] / rows["uq-strict"]["mean"]
    print(f"quorum-cascade spends {saving:.0%} fewer calls than uq-strict (target >= 40%)\n")
    return rows


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--serve", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--server", help="an OpenAI-compatible base URL (…/v1) to measure")
    parser.add_argument("--llama", action="store_true", help="start llama.cpp with SmolLM2")
    parser.add_argument("--calls", type=int, default=400, help="calls per overhead round")
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--answers", type=int, default=300, help="answers in the calls table")
    parser.add_argument("--skip-overhead", action="store_true")
    args = parser.parse_args(argv)
    if args.serve:
        serve(args.serve)
        return 0

    figures = []
    if not args.skip_overhead:
        proc = None
        if args.server:
            base, label = args.server, args.server
        elif args.llama:
            if importlib.util.find_spec("llama_cpp") is None:
                print("llama-cpp-python is not installed; use the fake server or --server")
                return 0
            base, proc = start_server("llama")
            label = "llama.cpp server, SmolLM2-135M"
            args.calls = min(args.calls, 24)
        else:
            base, proc = start_server("fake")
            label = "fake OpenAI-compatible server (own process, fixed reply)"
        max_tokens = 8 if args.llama else 16
        try:
            result = overhead(base, args.calls, args.concurrency, args.rounds, max_tokens)
        finally:
            if proc is not None:
                proc.terminate()
                proc.wait(timeout=10)
        print(f"Overhead vs raw openai client: {label}; {args.calls} calls x {args.rounds} "
              f"rounds, concurrency {args.concurrency}")  # fmt: skip
        print("  raw openai calls/s : " + ", ".join(f"{x:.1f}" for x in result["raw"]))
        print("  library calls/s    : " + ", ".join(f"{x:.1f}" for x in result["lib"]))
        print(f"  library / raw (medians): {result['ratio']:.2f} (target >= 0.90)")
        figures.append(Figure(f"judge library calls/s, concurrency {args.concurrency} (target ratio >= 0.9)",
                              statistics.median(result["lib"]), "raw openai calls/s",
                              statistics.median(result["raw"])))  # fmt: skip
    rows = calls_table(args.answers, 0.2)
    figures.append(Figure("quorum-cascade judge calls per answer (target ratio <= 0.6)",
                          rows["quorum-cascade"]["mean"], "uq-strict calls per answer",
                          rows["uq-strict"]["mean"]))  # fmt: skip
    benchenv.report("validators", figures)
    return 0


if __name__ == "__main__":
    sys.exit(main())
