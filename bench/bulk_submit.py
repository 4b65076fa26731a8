"""Bulk answer submission over HTTP: the API vs a raw bulk_create of the same rows, same run.

    python bench/bulk_submit.py [--database-url postgres://…] [--rounds 5]

POSTs /api/v1/answers/bulk/ with 1,000 answers of 1 KB to gunicorn (production settings,
PostgreSQL; a real Celery worker takes what the submissions queue), so the network, JSON
parsing, authentication, validation and the writes all count. The reference is
`Answer.objects.bulk_create` of 1,000 equivalent rows in this process. Prints answers/s (the
median round) and the ratio; targets ≥ 10,000/s and ≥ 0.5×.
"""

import argparse
import os
import statistics
import time

import benchenv
import requests
from benchenv import Figure

ANSWERS = 1000
ANSWER_BYTES = 1024
PORT = 8797
WEB_WORKERS = 3


def setup_django(database_url: str) -> None:
    benchenv.setup_django(database_url, QUORUM_THROTTLE_SUBMIT="100000/min", ALLOWED_HOSTS="127.0.0.1",
                          CELERY_BROKER_URL=benchenv.broker_url(), SECURE_SSL_REDIRECT="false")  # fmt: skip


def fixtures(rounds: int):
    from django.utils import timezone

    from accounts.services import api_token_create
    from catalog.models import Question, Site
    from tests.factories import ModelEntryFactory, UserFactory

    site, _ = Site.objects.get_or_create(slug="bench", defaults={"name": "Bench"})
    user = UserFactory(username=f"bench-{time.time_ns()}", is_builder=True)
    Question.objects.bulk_create(
        Question(source=f"bench-{user.pk}", external_id=str(n), site=site, title=f"Q{n}", body="b",
                 content_hash="h", last_activity_at=timezone.now())
        for n in range(ANSWERS)
    )  # fmt: skip
    entries = [ModelEntryFactory(owner=user, name=f"m{r}") for r in range(2 * rounds)]
    token = api_token_create(user=user, name="bench", scopes=["submit"]).plaintext
    return user, entries, token, f"bench-{user.pk}"


def answer_text(n: int) -> str:
    return (f"Answer {n}: " + "lorem ipsum dolor sit amet " * 60)[:ANSWER_BYTES]


def time_api(api: requests.Session, base: str, entry, source) -> float:
    body = {"model_entry": entry.pk, "source": source,
            "answers": [{"question_id": str(n), "answer": answer_text(n)} for n in range(ANSWERS)]}  # fmt: skip
    start = time.perf_counter()
    response = api.post(f"{base}/api/v1/answers/bulk/", json=body)
    elapsed = time.perf_counter() - start
    assert response.status_code == 201, response.text[:500]
    return elapsed


def time_raw(entry, source) -> float:
    from catalog.models import Question
    from submissions.models import Answer
    from submissions.services import content_hash

    ids = dict(Question.objects.filter(source=source).values_list("external_id", "pk"))
    start = time.perf_counter()
    Answer.objects.bulk_create(
        Answer(question_id=ids[str(n)], model_entry=entry, text=answer_text(n),
               content_hash=content_hash(answer_text(n)))
        for n in range(ANSWERS)
    )  # fmt: skip
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--database-url", default=os.environ.get(
        "BENCH_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/quorum_bulkbench"))  # fmt: skip
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    setup_django(args.database_url)
    benchenv.purge_queues()
    warm_up = 3 * WEB_WORKERS  # enough for each web worker's first requests
    _, entries, token, source = fixtures(args.rounds + warm_up)
    api = requests.Session()
    api.headers["Authorization"] = f"Bearer {token}"
    with benchenv.worker(queues="default", concurrency=4), benchenv.gunicorn(PORT, workers=WEB_WORKERS) as base:
        for _ in range(warm_up):
            time_api(api, base, entries.pop(), source)
        time_raw(entries.pop(), source)
        api_times = [time_api(api, base, entries.pop(), source) for _ in range(args.rounds - 1)]
        raw_times = [time_raw(entries.pop(), source) for _ in range(args.rounds - 1)]
    benchenv.purge_queues()
    benchenv.report("bulk submission", [
        Figure(f"bulk POST, {ANSWERS:,} × 1 KB answers: answers/s (target >= 10,000, ratio >= 0.5)",
               ANSWERS / statistics.median(api_times), "raw bulk_create answers/s",
               ANSWERS / statistics.median(raw_times)),
    ])  # fmt: skip

if __name__ == "__main__":
    main()
