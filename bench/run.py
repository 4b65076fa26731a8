"""Quorum's benchmarks: `make bench` runs every one and prints one table.

Each script in bench/ runs in a process of its own against a PostgreSQL database of its own
(gunicorn, a real Celery worker and Redis where it measures them) and hands its figures on;
this prints them together: each figure, its reference measured in the same run, and the ratio
of the two. Never fails on a time; exits 1 if a benchmark itself failed.

    .venv/bin/python bench/run.py [--quick] [--only catalogue pipeline …]
"""

import argparse
import os
import platform
import socket
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

import benchenv
from benchenv import Figure

BENCH = Path(__file__).resolve().parent
# name, script, its arguments for --quick
BENCHES = [
    ("catalogue", "catalog_bench.py", ["--questions", "20000", "--requests", "50"]),
    ("pages under load", "http_bench.py", ["--requests", "10"]),
    ("review POST", "review_bench.py", ["--reviews", "400"]),
    ("bulk submission", "bulk_submit.py", ["--rounds", "3"]),
    ("validation pipeline", "pipeline_bench.py", ["--rows", "3000", "--answers", "300", "--prefork-answers", "0"]),
    ("embedded broker", "broker_bench.py", ["--rounds", "1", "--no-old-filesystem"]),
    ("validators", "validators_bench.py", ["--rounds", "2"]),
    ("leaderboards", "leaderboard_bench.py", ["--answers", "200000", "--requests", "5"]),
    ("GPU scorer", "gpu_smoke.py", []),
    ("GPU worker", "gpu_worker_check.py", []),
]
HELPERS = {  # the other files in bench/
    "benchenv.py": "shared helpers",
    "catalog_pages.py": "the catalogue benchmark's data and pages (run by catalog_bench.py)",
    "review_urls.py": "the review benchmark's reference view",
    "review_settings.py": "the review benchmark's settings",
    "run.py": "this runner",
}


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="smaller data and fewer requests (a few minutes)")
    parser.add_argument("--only", nargs="+", metavar="NAME", choices=[name for name, _, _ in BENCHES],
                        help="run only these: " + ", ".join(repr(name) for name, _, _ in BENCHES))  # fmt: skip
    return parser.parse_args(argv)


def reachable(host: str, port: int) -> bool:
    try:
        socket.create_connection((host, port), timeout=2).close()
        return True
    except OSError:
        return False


def refuse_without_services() -> None:
    needed = [("PostgreSQL", 5432)] + ([] if os.environ.get("BENCH_BROKER_URL") else [("Redis", 6379)])
    missing = [name for name, port in needed if not reachable("127.0.0.1", port)]
    if missing:
        raise SystemExit(f"bench: {' and '.join(missing)} not reachable on 127.0.0.1: the benchmarks measure "
                         "the production stack (PostgreSQL, Redis); start them first")  # fmt: skip


def run_one(name: str, script: str, arguments: list[str], figures_file: Path) -> tuple[int, float]:
    benchenv.say(f"--- {name}: {script} {' '.join(arguments)}")
    env = {**os.environ, benchenv.FIGURES_ENV: str(figures_file)}
    env.pop("DATABASE_URL", None)  # each benchmark uses its own database, never the site's
    started = time.monotonic()
    result = subprocess.run([sys.executable, str(BENCH / script), *arguments], env=env,  # noqa: S603
                            stdout=sys.stderr, cwd=BENCH.parent)  # fmt: skip
    return result.returncode, time.monotonic() - started


def commit() -> str:
    result = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=BENCH, capture_output=True, text=True)  # noqa: S607
    return result.stdout.strip() or "unknown"


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    refuse_without_services()
    chosen = [bench for bench in BENCHES if not args.only or bench[0] in args.only]
    started, load_before = datetime.now(UTC), os.getloadavg()[0]
    outcomes = {}
    with tempfile.TemporaryDirectory(prefix="quorum-bench-") as workdir:
        figures_file = Path(workdir, "figures.jsonl")
        figures_file.touch()
        for name, script, quick in chosen:
            outcomes[name] = run_one(name, script, quick if args.quick else [], figures_file)
        collected = benchenv.collected_figures(figures_file)
    rows = [Figure(f"{bench}: {figure.name}", figure.value, figure.reference_name, figure.reference)
            for bench, figure in collected]  # fmt: skip
    print(f"Quorum benchmarks, {started:%Y-%m-%d %H:%M} UTC, commit {commit()}, {os.cpu_count()} cores "
          f"({platform.processor() or platform.machine()}), load average {load_before:.1f} at start and "
          f"{os.getloadavg()[0]:.1f} at end; `bench/run.py{' --quick' if args.quick else ''}`\n")  # fmt: skip
    print("\n".join(benchenv.table_lines(rows)))
    print()
    failed = False
    for name, (code, seconds) in outcomes.items():
        reported = any(bench == name for bench, _ in collected)
        status = "ok" if code == 0 and reported else "skipped (printed why)" if code == 0 else f"FAILED (exit {code})"
        failed |= code != 0
        print(f"{name}: {status}, {seconds / 60:.1f} min")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
