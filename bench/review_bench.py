"""Submitting an expert review: the real POST vs a plain Django view doing one upsert, same run.

    python bench/review_bench.py [--database-url postgres://…] [--reviews 1000]

Both go through Django's test client with sessions, authentication and CSRF middleware on
PostgreSQL; the review POST is the site's own (form, rate limit, checks, history, audit, the
re-assessment queued after commit on an in-memory broker). Prints reviews/s, the ratio
(target ≥ 0.8) and the SQL queries the review service itself runs (target ≤ 5).
"""

import argparse
import os
import statistics
import sys
import time
import types

import benchenv


def setup_django(database_url: str) -> None:
    benchenv.setup_django(database_url, CELERY_BROKER_URL="memory://", QUORUM_REVIEWS_PER_MINUTE="1000000")


def plain_upsert_urlconf():
    """The reference: a view that does one upsert of a review row and redirects."""
    from django.contrib.auth.decorators import login_required
    from django.shortcuts import redirect
    from django.urls import include, path

    from reviews.models import Review
    from submissions.models import Answer

    @login_required
    def upsert(request, pk):
        owner_id = Answer.objects.values_list("model_entry__owner_id", flat=True).get(pk=pk)
        Review.objects.bulk_create(
            [Review(answer_id=pk, expert=request.user, answer_owner_id=owner_id, verdict=request.POST["verdict"],
                    confidence=int(request.POST["confidence"]), rationale=request.POST["rationale"])],
            update_conflicts=True, unique_fields=["answer", "expert"],
            update_fields=["verdict", "confidence", "rationale", "updated_at"],
        )  # fmt: skip
        return redirect("/")

    module = types.ModuleType("bench_review_urls")
    module.urlpatterns = [path("bench/upsert/<int:pk>/", upsert), path("", include("config.urls"))]
    sys.modules["bench_review_urls"] = module
    return "bench_review_urls"


def fixtures(n: int):
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
    from django.utils import timezone

    questions = Question.objects.bulk_create(
        Question(source=f"bench-{stamp}", external_id=str(i), site=site, title=f"Q{i}", body="b",
                 content_hash="h", last_activity_at=timezone.now()) for i in range(n)
    )  # fmt: skip
    answers = Answer.objects.bulk_create(
        Answer(question=q, model_entry=entry, text="answer", content_hash=str(q.pk)) for q in questions
    )
    return experts, [a.pk for a in answers]


DATA = {"verdict": "correct", "confidence": "4", "rationale": "Checked the key step and the conclusion."}


def post(client, url: str) -> float:
    start = time.perf_counter()
    response = client.post(url, DATA)
    elapsed = time.perf_counter() - start
    assert response.status_code == 302, (url, response.status_code, response.content[:300])
    return elapsed


def interleaved(review_client, plain_client, answer_ids: list[int]) -> tuple[list[float], list[float]]:
    """One review POST, then one plain upsert, and so on: both meet the same machine noise."""
    review, plain = [], []
    for pk in answer_ids:
        review.append(post(review_client, f"/reviews/answers/{pk}/"))
        plain.append(post(plain_client, f"/bench/upsert/{pk}/"))
    return review, plain


def service_queries(expert, answer_id: int) -> int:
    from django.db import connection, transaction
    from django.test.utils import CaptureQueriesContext

    from reviews.services import review_submit

    with CaptureQueriesContext(connection) as queries, transaction.atomic():
        review_submit(expert=expert, answer_id=answer_id, verdict="incorrect", confidence=3, rationale="again")
        transaction.set_rollback(True)
    control = ("BEGIN", "COMMIT", "ROLLBACK", "SAVEPOINT", "RELEASE SAVEPOINT")
    return sum(1 for q in queries.captured_queries if not q["sql"].startswith(control))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--database-url", default=os.environ.get(
        "BENCH_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/quorum_reviewbench"))  # fmt: skip
    parser.add_argument("--reviews", type=int, default=1000)
    args = parser.parse_args()
    setup_django(args.database_url)
    from django.test import Client, override_settings

    experts, answer_ids = fixtures(args.reviews + 20)
    review_client, plain_client = Client(), Client()
    review_client.force_login(experts[0])
    plain_client.force_login(experts[1])
    with override_settings(ROOT_URLCONF=plain_upsert_urlconf()):
        interleaved(review_client, plain_client, answer_ids[-20:])  # warm-up
        review, plain = interleaved(review_client, plain_client, answer_ids[: args.reviews])
    review_rate, plain_rate = len(review) / sum(review), len(plain) / sum(plain)
    print(f"{'figure':<52}{'value':>10}{'reference':>12}{'ratio':>8}")
    print(f"{'review POST, reviews/s (target ratio >= 0.8)':<52}{review_rate:>10,.0f}{plain_rate:>12,.0f}"
          f"{review_rate / plain_rate:>8.2f}")  # fmt: skip
    print(f"{'  median latency, ms':<52}{statistics.median(review) * 1000:>10.2f}"
          f"{statistics.median(plain) * 1000:>12.2f}{statistics.median(plain) / statistics.median(review):>8.2f}")
    print(f"{'SQL queries of review_submit (target <= 5)':<52}{service_queries(experts[0], answer_ids[0]):>10}")
    print("reference: a plain Django view doing one upsert of the review row (same middleware), the two")
    print("interleaved request by request so that both meet the same machine noise")


if __name__ == "__main__":
    main()
