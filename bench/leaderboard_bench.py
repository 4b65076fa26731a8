"""Both leaderboards at scale: 1,000,000 answers, 100,000 expert reviews, PostgreSQL.

    python bench/leaderboard_bench.py [--database-url postgres://…/quorum_lbbench] [--answers 1000000]

Fills its own database (created if missing, emptied first) with SQL `generate_series`: 100,000
questions on 8 sites, 20 model entries, three validator configs judging 1,000,000, 300,000
and 100,000 answers, and about 100,000 reviews (2 or 3 per answer) on about 41,000 answers of every site.
Then rebuilds the tallies the leaderboards read (as beat does every minute) and prints how long
that takes, renders the model and validator leaderboard pages and their API endpoints through
Django's test client, and prints each one's p50 and SQL queries beside the time of one count
over the answers table (target: each page under 1 s at p50). Never fails on a time.
"""

import argparse
import os
import statistics
import time

import benchenv
from benchenv import Figure, percentile

DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/quorum_lbbench"


def setup_django(database_url: str) -> None:
    benchenv.setup_django(database_url, CELERY_BROKER_URL="memory://")
    from django.core.management import call_command

    call_command("collectstatic", interactive=False, verbosity=0)  # production static storage


# Hidden truth of answer `id`: about 30 % are correct.
TRUTH = "((a.id * 2654435761) %% 1000) < 300"

SEED_SQL = [
    "SELECT setseed(0.42)",
    """INSERT INTO catalog_site (slug, name, url, licence, attribution, blind_model, blind_validator)
       SELECT 'site' || s, 'Site ' || s, 'https://site' || s || '.example', 'CC BY-SA 4.0', '', false, false
       FROM generate_series(0, 7) s""",
    """INSERT INTO catalog_question (created_at, updated_at, source, external_id, title, body, body_markdown,
         category, tags, link, licence, attribution, votes, views, diamond, comment_count, extra, content_hash,
         state, retire_reason, last_activity_at, site_id)
       SELECT now(), now(), 'bench', 'q' || i, 'Question ' || i, 'Body ' || i, 'Body ' || i, 'cat' || (i %% 5),
         '[]', '', 'CC BY-SA 4.0', '', 0, 0, i %% 20 = 0, 0, '{}', md5(i::text), 'open', '', now(),
         (SELECT min(id) FROM catalog_site) + i %% 8
       FROM generate_series(0, %(questions)s - 1) i""",
    """INSERT INTO accounts_user (password, is_superuser, username, first_name, last_name, email, is_staff,
         is_active, date_joined, display_name, affiliation, organisation, is_expert, is_builder, is_curator,
         expertise_tags)
       SELECT '!', false, 'user' || u, '', '', '', false, true, now(), '', '', 'org' || u, u >= 20, u < 20,
         false, '[]'
       FROM generate_series(0, 219) u""",
    """INSERT INTO submissions_modelentry (created_at, updated_at, organisation, name, version, display_name,
         base_model, provider, generation_params, system_prompt, notes, endpoint_base_url, endpoint_model,
         endpoint_key_env, owner_id)
       SELECT now(), now(), 'org' || e, 'model' || e, '1', 'Model ' || e, '', '', '{}', '', '', '', '', '',
         (SELECT min(id) FROM accounts_user) + e
       FROM generate_series(0, 19) e""",
    # entry e answers its share of questions (even entries the even ones, odd the odd ones)
    """INSERT INTO submissions_answer (text, reasoning, content_hash, metadata, submitted_at, validation_state,
         review_state, question_id, model_entry_id)
       SELECT 'answer ' || j, '', md5(j::text), '{}', now() - ((j %% 364) || ' days')::interval, 'pending',
         'unreviewed', (SELECT min(id) FROM catalog_question) + ((j %% %(per_entry)s) * 2 + (j / %(per_entry)s) %% 2)
           %% %(questions)s,
         (SELECT min(id) FROM submissions_modelentry) + j / %(per_entry)s
       FROM generate_series(0, %(answers)s - 1) j""",
    """INSERT INTO evaluation_validatorconfig (created_at, updated_at, name, description, config, config_hash,
         queue, runs_on_new_answers, is_primary, max_attempts, demo_judge)
       VALUES (now(), now(), 'primary', '', '{}', repeat('a', 64), 'llm_io', true, true, 5, false),
              (now(), now(), 'cascade', '', '{}', repeat('b', 64), 'llm_io', false, false, 5, false),
              (now(), now(), 'demo', '', '{}', repeat('c', 64), 'llm_io', false, false, 5, true)""",
    """INSERT INTO evaluation_validation (config_hash, state, attempts, last_error, created_at, updated_at,
         answer_id, validator_id)
       SELECT v.config_hash, 'passed', 1, '', now(), now(), a.id, v.id
       FROM submissions_answer a JOIN evaluation_validatorconfig v
         ON v.name = 'primary' OR (v.name = 'cascade' AND a.id %% 10 < 3) OR (v.name = 'demo' AND a.id %% 10 = 9)""",
    f"""INSERT INTO evaluation_validationresult (config_hash, decision, score, calls, prompt_tokens,
         completion_tokens, latency_s, library_version, verdict, created_at, answer_id, validation_id)
       SELECT s.config_hash, CASE WHEN s.score >= 0.5 THEN 'accept' ELSE 'reject' END, s.score, s.calls,
         400 * s.calls, 60 * s.calls, 1.0, 'bench', '{{}}', now(), s.answer_id, s.id
       FROM (SELECT val.id, val.answer_id, val.config_hash,
               CASE WHEN v.name = 'demo' THEN round(random())
                    WHEN {TRUTH} THEN 0.4 + 0.6 * random() ELSE 0.7 * random() END AS score,
               CASE WHEN v.name = 'cascade' THEN 2 + (val.id %% 3) ELSE 5 END AS calls
             FROM evaluation_validation val JOIN evaluation_validatorconfig v ON v.id = val.validator_id
             JOIN submissions_answer a ON a.id = val.answer_id) s""",
    """UPDATE submissions_answer a SET validation_state = CASE WHEN r.decision = 'accept' THEN 'passed'
         ELSE 'failed' END
       FROM evaluation_validationresult r JOIN evaluation_validatorconfig v ON v.config_hash = r.config_hash
       WHERE v.is_primary AND r.answer_id = a.id""",
    # about 41,000 answers reviewed (4 in 97, spread over every site); 3 reviews where the id is even, else 2
    f"""INSERT INTO reviews_review (verdict, confidence, rationale, first_wrong_step, created_at, updated_at,
         answer_id, answer_owner_id, expert_id)
       SELECT CASE WHEN ({TRUTH}) <> (random() < 0.1) THEN 'correct' ELSE 'incorrect' END, 4, 'r', '', now(),
         now(), a.id, m.owner_id, (SELECT min(id) FROM accounts_user) + 20 + (a.id + k * 61) %% 200
       FROM submissions_answer a JOIN submissions_modelentry m ON m.id = a.model_entry_id
       CROSS JOIN generate_series(0, 2) k
       WHERE (a.id * 2246822519) %% 97 < 4 AND (k < 2 OR a.id %% 2 = 0)""",
    f"""UPDATE submissions_answer a SET review_state = CASE WHEN (a.id * 7) %% 10 = 0 THEN 'disputed'
         WHEN {TRUTH} THEN 'verified_correct' ELSE 'verified_incorrect' END
       WHERE (a.id * 2246822519) %% 97 < 4""",
    "ANALYZE",
]


def seed(answers: int, say) -> None:
    from django.db import connection

    questions = answers // 10
    params = {"questions": questions, "answers": answers, "per_entry": answers // 20}
    with connection.cursor() as cursor:
        tables = ("reviews_review, evaluation_validationresult, evaluation_validation, evaluation_validatorconfig, "
                  "submissions_answer, submissions_modelentry, catalog_question, catalog_site, accounts_user")
        cursor.execute(f"TRUNCATE {tables} RESTART IDENTITY CASCADE")
        for statement in SEED_SQL:
            started = time.perf_counter()
            cursor.execute(statement, params)
            say(f"  {statement.split()[0]} {statement.split()[2] if statement.startswith('INSERT') else ''}"
                f" {cursor.rowcount} rows in {time.perf_counter() - started:.1f} s")  # fmt: skip
        cursor.execute("SELECT count(*) FROM submissions_answer")
        say(f"  answers: {cursor.fetchone()[0]}")
        cursor.execute("SELECT count(*) FROM reviews_review")
        say(f"  reviews: {cursor.fetchone()[0]}")


def time_url(client, url: str, requests: int) -> list[float]:
    response = client.get(url)  # warm
    assert response.status_code == 200, (url, response.status_code)
    samples = []
    for _ in range(requests):
        started = time.perf_counter()
        client.get(url)
        samples.append(time.perf_counter() - started)
    return samples


def reference_scan() -> float:
    from django.db import connection

    started = time.perf_counter()
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM submissions_answer")
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", default=os.environ.get("BENCH_DATABASE_URL", DEFAULT_URL))
    parser.add_argument("--answers", type=int, default=1_000_000)
    parser.add_argument("--requests", type=int, default=7)
    parser.add_argument("--skip-seed", action="store_true", help="reuse the data of the last run")
    args = parser.parse_args()
    setup_django(args.database_url)
    if not args.skip_seed:
        print(f"seeding {args.answers:,} answers …")
        seed(args.answers, print)
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    from evaluation.models import ValidatorConfig
    from leaderboards.services import leaderboard_tallies_refresh

    scans = [reference_scan() * 1000 for _ in range(args.requests)]
    scan = ("count(*) over the answers ms", statistics.median(scans))
    refreshes = [leaderboard_tallies_refresh().seconds * 1000 for _ in range(3)]
    figures = [Figure(f"tallies rebuilt (beat), {args.answers:,} answers: median of 3, ms", statistics.median(refreshes), *scan)]
    client = Client()
    primary = ValidatorConfig.objects.get(is_primary=True)
    urls = {
        "model leaderboard page": "/leaderboards/models/",
        "model leaderboard API": "/api/v1/leaderboards/models/",
        "model leaderboard, one site": "/leaderboards/models/?site=site3",
        "validator leaderboard page": "/leaderboards/validators/",
        "validator leaderboard API": "/api/v1/leaderboards/validators/",
        "validator leaderboard, one site": "/leaderboards/validators/?site=site3",
        "validator page (primary)": f"/leaderboards/validators/{primary.pk}/{primary.config_hash}/?threshold=0.6",
    }
    for name, url in urls.items():
        samples = [seconds * 1000 for seconds in time_url(client, url, args.requests)]
        with CaptureQueriesContext(connection) as queries:
            client.get(url)
        figures += [
            Figure(f"{name}: p50 ms (target < 1,000)", percentile(samples, 50), *scan),
            Figure(f"{name}: SQL queries", len(queries)),
        ]
    benchenv.report("leaderboards", figures)

if __name__ == "__main__":
    main()
