"""The public pages under load: gunicorn + PostgreSQL, 16 concurrent clients.

    python bench/http_bench.py [--database-url postgres://…/quorum_httpbench] [--clients 16]

Imports its own catalogue (5,000 UQ-shaped questions by default) into its own database, starts
gunicorn with production settings (DEBUG off, WhiteNoise, the PostgreSQL pool) and drives it with
`--clients` threads that each keep one HTTP connection. For each page it prints p50, p99 and
requests/s, beside the same clients fetching a static file from the same server (WhiteNoise):
the floor of the stack, measured in the same run. Never fails on a time.
"""

import argparse
import os
import tempfile
import threading
import time
from pathlib import Path

import benchenv
import requests
from benchenv import Figure, percentile

DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/quorum_httpbench"
PORT = 8799


def seed(questions: int) -> list[str]:
    """The catalogue, imported as an operator would; returns a common and a rare search word."""
    from catalog_pages import COMMON_WORD_RANK, RARE_WORD_RANK, SOURCE, write_questions
    from django.core.management import call_command

    from catalog.models import Question

    Question.objects.filter(source=SOURCE).delete()
    path = Path(tempfile.mkdtemp()) / "questions.jsonl"
    corpus = write_questions(path, questions)
    call_command("import_questions", str(path), "--source", SOURCE, "--no-progress", verbosity=0)
    call_command("collectstatic", interactive=False, verbosity=0)
    return [corpus.words[COMMON_WORD_RANK], corpus.words[RARE_WORD_RANK]]


def load(base: str, path: str, clients: int, requests_each: int) -> tuple[float, list[float]]:
    """`clients` threads, each with its own connection, `requests_each` GETs of `path`."""
    latencies: list[float] = []
    lock = threading.Lock()
    barrier = threading.Barrier(clients + 1)

    def client() -> None:
        session = requests.Session()
        session.get(f"{base}{path}")  # connect and warm
        mine = []
        barrier.wait()
        for _ in range(requests_each):
            started = time.perf_counter()
            response = session.get(f"{base}{path}")
            mine.append((time.perf_counter() - started) * 1000)
            assert response.status_code == 200, (path, response.status_code)
        with lock:
            latencies.extend(mine)

    threads = [threading.Thread(target=client) for _ in range(clients)]
    for thread in threads:
        thread.start()
    barrier.wait()
    started = time.perf_counter()
    for thread in threads:
        thread.join()
    return len(latencies) / (time.perf_counter() - started), sorted(latencies)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", default=os.environ.get("BENCH_DATABASE_URL", DEFAULT_URL))
    parser.add_argument("--questions", type=int, default=5000)
    parser.add_argument("--clients", type=int, default=16)
    parser.add_argument("--requests", type=int, default=25, help="per client and page")
    parser.add_argument("--workers", type=int, default=3, help="gunicorn worker processes")
    args = parser.parse_args()
    benchenv.setup_django(args.database_url, CELERY_BROKER_URL="memory://", ALLOWED_HOSTS="127.0.0.1",
                          DATABASE_POOL="true")  # fmt: skip
    common, rare = seed(args.questions)
    from catalog.models import Question

    question = Question.objects.filter(source="bench").order_by("-votes").first()
    pages = {
        "question list": "/",
        "filtered list (site=math)": "/?site=math",
        f"search, common word ({common})": f"/?q={common}",
        f"search, rare word ({rare})": f"/?q={rare}",
        "question page": f"/questions/{question.pk}/",
        "model leaderboard": "/leaderboards/models/",
    }
    with benchenv.gunicorn(PORT, workers=args.workers) as base:
        floor_rate, floor = load(base, "/static/css/quorum.css", args.clients, args.requests)
        benchenv.say(f"gunicorn {args.workers} workers, PostgreSQL, {args.clients} concurrent clients × "
                     f"{args.requests} requests per page; {args.questions:,} questions")  # fmt: skip
        figures = []
        for name, path in pages.items():
            rate, latencies = load(base, path, args.clients, args.requests)
            figures += page_figures(f"{name}, {args.clients} clients", rate, latencies, floor_rate, floor)
    benchenv.report("pages under load", figures)


def page_figures(name: str, rate: float, latencies: list[float], floor_rate: float,
                 floor: list[float]) -> list[Figure]:  # fmt: skip
    return [
        Figure(f"{name}: p50 ms", percentile(latencies, 50), "static file p50 ms", percentile(floor, 50)),
        Figure(f"{name}: p99 ms", percentile(latencies, 99), "static file p99 ms", percentile(floor, 99)),
        Figure(f"{name}: req/s", rate, "static file req/s", floor_rate),
    ]

if __name__ == "__main__":
    main()
