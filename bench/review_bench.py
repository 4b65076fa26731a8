"""Submitting an expert review over HTTP: the real POST vs a plain view doing one upsert.

    python bench/review_bench.py [--database-url postgres://…] [--reviews 1000] [--clients 16]

gunicorn (production settings, PostgreSQL) serves both, and the re-assessments the reviews
queue go to Redis. `--clients` threads, each with its own connection and a logged-in expert's
session, POST the review form (form, CSRF, rate limit, checks, history, audit, the
re-assessment queued after commit) to distinct answers; the reference is the same clients
POSTing to a view that does one upsert of the review row behind the same middleware. The two
alternate in phases of `--phase` requests so that both meet the same machine noise.

1. The web tier: `--reviews` reviews while the re-assessments wait in the queue. Reviews/s,
   p50 and p99 beside the reference's (target ratio ≥ 0.8 for the rate).
2. A real Celery worker (4 threads) then works that queue off: re-assessments/s.
3. `--reviews` more reviews with that worker re-assessing on the same cores: reviews/s.

And the SQL statements the review service itself runs (target ≤ 5).
"""

import argparse
import os
import secrets
import threading
import time

import benchenv
import requests
from benchenv import Figure, percentile

DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/quorum_reviewbench"
PORT = 8798
DATA = {"verdict": "correct", "confidence": "4", "rationale": "Checked the key step and the conclusion."}


def fixtures(n: int):
    from django.utils import timezone

    from catalog.models import Question, Site
    from reviews.services import expert_domain_grant
    from submissions.models import Answer
    from tests.factories import ModelEntryFactory, UserFactory

    stamp = time.time_ns()
    site, _ = Site.objects.get_or_create(slug="bench-reviews", defaults={"name": "Bench"})
    experts = [UserFactory(username=f"bench-expert-{stamp}-{i}") for i in range(2)]
    for expert in experts:
        expert_domain_grant(user=expert, site=site, curator=None)
    entry = ModelEntryFactory(name=f"bench-{stamp}")
    questions = Question.objects.bulk_create(
        Question(source=f"bench-{stamp}", external_id=str(i), site=site, title=f"Q{i}", body="b",
                 content_hash="h", last_activity_at=timezone.now()) for i in range(n)
    )  # fmt: skip
    answers = Answer.objects.bulk_create(
        Answer(question=q, model_entry=entry, text="answer", content_hash=str(q.pk)) for q in questions
    )
    return experts, [a.pk for a in answers]


def browser_session(user) -> requests.Session:
    """An HTTP session logged in as the user, with a CSRF cookie the way a browser holds one."""
    from django.test import Client

    client = Client()
    client.force_login(user)
    session = requests.Session()
    session.cookies.set("sessionid", client.cookies["sessionid"].value)
    token = secrets.token_hex(16)  # an unmasked 32-character CSRF secret
    session.cookies.set("csrftoken", token)
    session.headers["X-CSRFToken"] = token
    return session


def phase(base: str, sessions: list[requests.Session], urls: list[str]) -> tuple[float, list[float]]:
    """Each client POSTs its share of the URLs; wall seconds and per-request milliseconds."""
    latencies: list[float] = []
    lock = threading.Lock()

    def client(session: requests.Session, mine: list[str]) -> None:
        timings = []
        for url in mine:
            started = time.perf_counter()
            response = session.post(f"{base}{url}", data=DATA, allow_redirects=False)
            timings.append((time.perf_counter() - started) * 1000)
            assert response.status_code == 302, (url, response.status_code, response.text[:300])
        with lock:
            latencies.extend(timings)

    threads = [threading.Thread(target=client, args=(session, urls[i :: len(sessions)]))
               for i, session in enumerate(sessions)]  # fmt: skip
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return time.perf_counter() - started, latencies


def alternate(base: str, reviewers, plain, answer_ids: list[int], size: int):
    """Review phase, plain phase, and so on over the answers: totals for each."""
    totals = {"review": [0.0, []], "plain": [0.0, []]}
    for start in range(0, len(answer_ids), size):
        chunk = answer_ids[start : start + size]
        for kind, sessions, url in (("review", reviewers, "/reviews/answers/{}/"), ("plain", plain, "/bench/upsert/{}/")):
            seconds, latencies = phase(base, sessions, [url.format(pk) for pk in chunk])
            totals[kind][0] += seconds
            totals[kind][1] += latencies
    return totals


def service_statements(expert, answer_id: int) -> int:
    from django.db import connection, transaction
    from django.test.utils import CaptureQueriesContext

    from reviews.services import review_submit

    with CaptureQueriesContext(connection) as queries, transaction.atomic():
        review_submit(expert=expert, answer_id=answer_id, verdict="incorrect", confidence=3, rationale="again")
        transaction.set_rollback(True)
    control = ("BEGIN", "COMMIT", "ROLLBACK", "SAVEPOINT", "RELEASE SAVEPOINT")
    return sum(1 for q in queries.captured_queries if not q["sql"].startswith(control))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", default=os.environ.get("BENCH_DATABASE_URL", DEFAULT_URL))
    parser.add_argument("--reviews", type=int, default=1000, help="timed reviews (and as many reference POSTs)")
    parser.add_argument("--clients", type=int, default=16)
    parser.add_argument("--phase", type=int, default=100, help="requests per phase")
    parser.add_argument("--workers", type=int, default=3, help="gunicorn worker processes")
    args = parser.parse_args()
    benchenv.setup_django(args.database_url, CELERY_BROKER_URL=benchenv.broker_url(), ALLOWED_HOSTS="127.0.0.1",
                          QUORUM_REVIEWS_PER_MINUTE="1000000", SECURE_SSL_REDIRECT="false")  # fmt: skip
    benchenv.purge_queues()
    warm_up = 2 * args.clients
    experts, answer_ids = fixtures(2 * args.reviews + warm_up)
    warm, alone, shared = answer_ids[:warm_up], answer_ids[warm_up : warm_up + args.reviews], answer_ids[warm_up + args.reviews :]
    reviewers = [browser_session(experts[0]) for _ in range(args.clients)]
    plain = [browser_session(experts[1]) for _ in range(args.clients)]
    with benchenv.gunicorn(PORT, workers=args.workers, DJANGO_SETTINGS_MODULE="review_settings") as base:
        alternate(base, reviewers, plain, warm, warm_up)
        web = alternate(base, reviewers, plain, alone, args.phase)  # the re-assessments wait in the queue
        with benchenv.worker(queues="default", concurrency=4):
            drain_s = seconds_until_assessed(warm + alone)
            live = alternate(base, reviewers, plain, shared, args.phase)
            seconds_until_assessed(shared)
    benchenv.purge_queues()
    name = f"review POST, {args.clients} clients"
    web_rate, web_reference = rates(web)
    live_rate, live_reference = rates(live)
    benchenv.report("review POST", [
        Figure(f"{name}: reviews/s (target ratio >= 0.8)", web_rate, "one-upsert POST/s", web_reference),
        Figure(f"{name}: p50 ms", percentile(web["review"][1], 50), "one-upsert POST p50 ms", percentile(web["plain"][1], 50)),
        Figure(f"{name}: p99 ms", percentile(web["review"][1], 99), "one-upsert POST p99 ms", percentile(web["plain"][1], 99)),
        Figure(f"{name}, a worker re-assessing on the same cores: reviews/s", live_rate, "one-upsert POST/s",
               live_reference),
        Figure("worker (4 threads) re-assessments/s, after the POSTs", len(warm + alone) / drain_s,
               "review POSTs/s", web_rate),
        Figure("review_submit: SQL statements (target <= 5)", service_statements(experts[0], answer_ids[0])),
    ])  # fmt: skip


def rates(totals) -> tuple[float, float]:
    (review_s, review), (plain_s, plain) = totals["review"], totals["plain"]
    return len(review) / review_s, len(plain) / plain_s


def seconds_until_assessed(answer_ids: list[int], timeout_s: float = 600) -> float:
    """From now until the worker has assessed every one of these answers."""
    from reviews.models import AnswerAssessment

    started = time.perf_counter()
    while AnswerAssessment.objects.filter(answer_id__in=answer_ids).count() < len(answer_ids):
        if time.perf_counter() - started > timeout_s:
            raise SystemExit("the worker did not assess the reviewed answers in time")
        time.sleep(0.05)
    return time.perf_counter() - started

if __name__ == "__main__":
    main()
