"""Validation pipeline: the sweeper's dispatch rate and one worker's end-to-end throughput.

    python bench/pipeline_bench.py [--database-url postgres://…/quorum_pipebench]
                                   [--broker-url redis://127.0.0.1:6379/14]
                                   [--rows 10000] [--answers 600] [--prefork-answers 100]

1. Sweeper: `--rows` pending `Validation` rows (one scripted validator) are dispatched by
   calling `evaluation.services.validations_sweep()` (500 rows a call) until none is due,
   publishing to the real broker. Reference: `publish_validation` of the same payloads, no
   database. Target: 10,000 rows in under 10 s.
2. End to end: one real worker process (`--pool threads --concurrency 32`, queues default and
   llm_io) judges `--answers` answers against an in-process fake OpenAI server that answers
   "[[Y]]" after 0.2 s (vanilla pipeline: one call per answer) and records each verdict;
   answers validated per minute from `validations_dispatch` to the last `ValidationResult`.
   Reference: a `ThreadPoolExecutor(32)` calling `validators.judge` on the same payloads in a
   process of its own (UQ's approach). Target ratio >= 0.8. An extra row runs a prefork worker
   with `--concurrency 2` on `--prefork-answers` answers. Both sides first judge a few warm-up
   answers (imports, connections), which are not timed.

The broker's queues (default, llm_io, gpu) are purged before and after: give it a Redis
database of its own. The database is created if missing and migrated; the benchmark deletes
what it created (questions of source `pipebench`, its validators) before and after, and stops
if another open validation is in the database (the sweeper would take it too).
Prints one table; never asserts a time.
"""

import argparse
import contextlib
import multiprocessing
import os
import statistics
import sys
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor, ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import benchenv
from benchenv import Figure, purge_queues, say

ROOT = Path(__file__).resolve().parents[1]
SOURCE = "pipebench"
JUDGE_DELAY_S = 0.2
THREADS = 32
WARMUP = 8
ANSWER_TEXT = "Yes: square both sides and compare, since the map is monotone there. " * 14
QUESTION_BODY = "<p>Is it true that every bounded monotone sequence of reals converges?</p>" * 12


@dataclass
class WorkerRun:
    answers: int
    seconds: float
    cpu_s: float
    mean_latency_s: float
    first_result_s: float
    errors: int
    db_sessions: int


# --- set-up -----------------------------------------------------------------------------------


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database-url", default=os.environ.get(
        "DATABASE_URL", "postgres://postgres@127.0.0.1:5432/quorum_pipebench"))  # fmt: skip
    parser.add_argument("--broker-url", default=benchenv.broker_url())
    parser.add_argument("--rows", type=int, default=10_000, help="due rows for the sweeper")
    parser.add_argument("--answers", type=int, default=600, help="answers, threads worker")
    parser.add_argument("--prefork-answers", type=int, default=100, help="0: skip that row")
    parser.add_argument("--timeout-s", type=float, default=600, help="per worker run")
    args = parser.parse_args(argv)
    needed = args.answers + args.prefork_answers + 2 * WARMUP
    if args.rows < needed:
        parser.error(f"--rows must be at least {needed} (one question per judged answer)")
    return args


def setup_django(database_url: str, broker_url: str) -> None:
    benchenv.setup_django(database_url, CELERY_BROKER_URL=broker_url)


def cleanup() -> None:
    from accounts.models import User
    from catalog.models import Question, Site
    from evaluation.models import ValidatorConfig
    from submissions.models import ModelEntry

    Question.objects.filter(source=SOURCE).delete()
    ValidatorConfig.objects.filter(name__startswith=SOURCE).delete()
    ModelEntry.objects.filter(owner__username=SOURCE).delete()
    User.objects.filter(username=SOURCE).delete()
    Site.objects.filter(slug=SOURCE, questions__isnull=True).delete()


def refuse_foreign_work() -> None:
    from evaluation.models import OPEN_STATES, Validation

    if Validation.objects.filter(state__in=OPEN_STATES).exists():
        raise SystemExit("the database holds open validations of its own: the sweeper would "
                         "take them too; give the benchmark a database of its own")  # fmt: skip


# --- data -------------------------------------------------------------------------------------


def make_questions(count: int) -> list[int]:
    from django.utils import timezone

    from catalog.models import Question, Site

    site, _ = Site.objects.get_or_create(slug=SOURCE, defaults={"name": "Pipeline bench"})
    now = timezone.now()
    rows = Question.objects.bulk_create(
        (Question(source=SOURCE, external_id=str(n), site=site, title=f"Bench question {n}",
                  body=QUESTION_BODY, category="math", tags=["analysis"], content_hash=f"{n:064d}",
                  last_activity_at=now) for n in range(count)),
        batch_size=1000,
    )  # fmt: skip
    return [q.pk for q in rows]


def make_answers(entry_name: str, question_ids: list[int]) -> list[int]:
    from accounts.models import User
    from submissions.models import Answer, ModelEntry

    owner, _ = User.objects.get_or_create(username=SOURCE, defaults={"is_builder": True})
    entry = ModelEntry.objects.create(owner=owner, name=entry_name)
    rows = Answer.objects.bulk_create(
        (Answer(question_id=pk, model_entry=entry, text=f"{ANSWER_TEXT} ({pk})",
                content_hash=f"{pk:064d}") for pk in question_ids),
        batch_size=2000,
    )  # fmt: skip
    return [a.pk for a in rows]


def scripted_config() -> dict:
    return {"name": f"{SOURCE}-scripted", "pipeline": "vanilla",
            "judges": {"default": {"kind": "scripted", "model": "script",
                                   "default": "Looks right. [[Y]]"}}}  # fmt: skip


def openai_config(base_url: str) -> dict:
    return {"name": f"{SOURCE}-openai", "pipeline": "vanilla",
            "judges": {"default": {"kind": "openai", "model": "judge", "base_url": base_url,
                                   "api_key_env": None}}}  # fmt: skip


def save_validator(name: str, config: dict, *, primary: bool):
    from evaluation.services import validator_config_save

    return validator_config_save(name=name, config=config, actor=None, is_primary=primary)


def payloads_for(validation_ids: list[int]) -> list[dict]:
    from evaluation.models import Validation
    from evaluation.services import validation_payload

    rows = Validation.objects.filter(pk__in=validation_ids).order_by("pk").select_related(
        "answer__question__site", "validator")  # fmt: skip
    return [validation_payload(row) for row in rows.iterator(chunk_size=2000)]


# --- 1. the sweeper ---------------------------------------------------------------------------


def sweeper_rows(question_ids: list[int], count: int) -> list[int]:
    from evaluation.models import Validation

    validator = save_validator(f"{SOURCE}-scripted", scripted_config(), primary=False)
    answer_ids = make_answers(f"{SOURCE}-sweep", question_ids[:count])
    rows = Validation.objects.bulk_create(
        (Validation(answer_id=pk, validator=validator, config_hash=validator.config_hash)
         for pk in answer_ids),
        batch_size=2000,
    )  # fmt: skip
    return [row.pk for row in rows]


def time_sweep() -> tuple[float, int, int]:
    from evaluation.services import validations_sweep

    sent = calls = 0
    started = time.perf_counter()
    while True:
        calls += 1
        published = validations_sweep()
        if not published:
            break
        sent += published
    return time.perf_counter() - started, sent, calls


def time_publish(payloads: list[dict]) -> float:
    from workers.tasks.validation import publish_validation

    started = time.perf_counter()
    for payload in payloads:
        publish_validation(payload, queue="llm_io")
    return time.perf_counter() - started


def bench_sweeper(question_ids: list[int], count: int) -> list[Figure]:
    say(f"sweeper: {count:,} pending validations")
    ids = sweeper_rows(question_ids, count)
    payloads = payloads_for(ids)
    purge_queues()
    sweep_s, sent, calls = time_sweep()
    say(f"sweeper: {sent:,} published in {calls} calls, {sweep_s:.2f} s")
    purge_queues()
    publish_s = time_publish(payloads)
    say(f"reference: {len(payloads):,} publish_validation calls, {publish_s:.2f} s")
    purge_queues()
    return [
        Figure(f"sweeper: {sent:,} due rows dispatched, s (target < 10)", sweep_s,
               "publish_validation alone, s", publish_s),
        Figure("sweeper: rows/s (target >= 1,000)", sent / sweep_s,
               "publish_validation alone, rows/s", len(payloads) / publish_s),
    ]  # fmt: skip


# --- 2. one worker, end to end ----------------------------------------------------------------


def worker_env(database_url: str, broker_url: str) -> dict[str, str]:
    return {
        "DJANGO_SETTINGS_MODULE": "config.settings",
        "DATABASE_URL": database_url,
        # As docs/operations.md says to run judge workers: the pool on, as large as the threads.
        "DATABASE_POOL": "true",
        "DATABASE_POOL_MAX": "34",
        "CELERY_BROKER_URL": broker_url,
        "DEBUG": "true",
        "LOG_LEVEL": "WARNING",
    }


def group_cpu_s(pgid: int) -> float:
    """User + system CPU seconds of every live process in a process group (from /proc)."""
    ticks = 0
    for stat in Path("/proc").glob("[0-9]*/stat"):
        with contextlib.suppress(OSError, ValueError, IndexError):
            fields = stat.read_text().rsplit(")", 1)[1].split()
            if int(fields[2]) == pgid:
                ticks += int(fields[11]) + int(fields[12])
    return ticks / os.sysconf("SC_CLK_TCK")


def db_sessions() -> int:
    """Sessions ever opened to this database (PostgreSQL's statistics, flushed within ~1 s)."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT sessions FROM pg_stat_database WHERE datname = current_database()")
        return cursor.fetchone()[0]


def wait_results(ids: list[int], timeout_s: float) -> int:
    """Poll until every validation has a result or has given up; the number that gave up."""
    from evaluation.models import OPEN_STATES, Validation

    deadline = time.monotonic() + timeout_s
    rows = Validation.objects.filter(pk__in=ids)
    while time.monotonic() < deadline:
        if not rows.filter(state__in=OPEN_STATES).exists():
            return rows.filter(result__isnull=True).count()
        time.sleep(0.2)
    raise RuntimeError(f"{rows.filter(state__in=OPEN_STATES).count()} validations still open "
                       f"after {timeout_s:.0f} s")  # fmt: skip


def judged(ids: list[int], timeout_s: float) -> tuple[float, float, int]:
    """Dispatch, wait; seconds to the last and to the first result, and the errors."""
    from django.db.models import Max, Min
    from django.utils import timezone

    from evaluation.models import ValidationResult
    from evaluation.services import validations_dispatch

    started = timezone.now()
    validations_dispatch(ids)
    errors = wait_results(ids, timeout_s)
    span = ValidationResult.objects.filter(validation_id__in=ids).aggregate(
        first=Min("created_at"), last=Max("created_at"))  # fmt: skip
    if span["last"] is None:
        raise RuntimeError("no validation got a result: see the worker's log")
    return ((span["last"] - started).total_seconds(), (span["first"] - started).total_seconds(),
            errors)  # fmt: skip


def mean_latency(ids: list[int]) -> float:
    from django.db.models import Avg

    from evaluation.models import ValidationResult

    rows = ValidationResult.objects.filter(validation_id__in=ids)
    return rows.aggregate(mean=Avg("latency_s"))["mean"] or 0.0


def run_worker(ids: list[int], env: dict, *, pool: str, concurrency: int,
               timeout_s: float) -> WorkerRun:  # fmt: skip
    warm, timed = ids[:WARMUP], ids[WARMUP:]
    with tempfile.NamedTemporaryFile("w+", prefix=f"pipebench-{pool}-", suffix=".log") as log:
        proc = benchenv.start_worker(pool=pool, concurrency=concurrency, name=SOURCE, log=log, **env)
        try:
            benchenv.wait_worker_ready(proc)
            judged(warm, timeout_s)
            time.sleep(1.5)
            cpu_before, sessions_before = group_cpu_s(proc.pid), db_sessions()
            seconds, first_s, errors = judged(timed, timeout_s)
            cpu_s = group_cpu_s(proc.pid) - cpu_before
        except RuntimeError:
            log.seek(0)
            say(f"worker log (tail):\n{log.read()[-4000:]}")
            raise
        finally:
            benchenv.stop_process_group(proc)
            purge_queues()
    time.sleep(1.5)  # the worker's sessions report their statistics when they end
    sessions = db_sessions() - sessions_before
    return WorkerRun(len(timed), seconds, cpu_s, mean_latency(timed), first_s, errors, sessions)


def reference_judge(payloads: list[dict], threads: int) -> dict:
    """In a process of its own: validators.judge on a thread pool, as UQ's validate.py does."""
    sys.path.insert(0, str(ROOT))
    import resource

    import validators

    def one(payload: dict) -> dict:
        return validators.judge(payload["question"], payload["answer"], payload["config"])

    with ThreadPoolExecutor(threads) as pool:
        list(pool.map(one, payloads[:WARMUP]))
        usage = resource.getrusage(resource.RUSAGE_SELF)
        started = time.perf_counter()
        verdicts = list(pool.map(one, payloads[WARMUP:]))
        seconds = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_SELF)
    cpu_s = after.ru_utime + after.ru_stime - usage.ru_utime - usage.ru_stime
    return {"answers": len(verdicts), "seconds": seconds, "cpu_s": cpu_s,
            "mean_latency_s": statistics.fmean(v["latency_s"] for v in verdicts),
            "accepted": sum(v["decision"] == "accept" for v in verdicts)}  # fmt: skip


def run_reference(payloads: list[dict]) -> dict:
    context = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(1, mp_context=context) as pool:
        return pool.submit(reference_judge, payloads, THREADS).result()


def e2e_rows(question_ids: list[int], base_url: str, args) -> tuple[list[int], list[int]]:
    from evaluation.services import validations_create
    from submissions.models import Answer

    validator = save_validator(f"{SOURCE}-openai", openai_config(base_url), primary=True)
    total = args.answers + args.prefork_answers + 2 * WARMUP
    answer_ids = make_answers(f"{SOURCE}-e2e", question_ids[:total])
    answers = Answer.objects.filter(pk__in=answer_ids)
    ids = sorted(validations_create(answers=answers, validator=validator))
    split = args.answers + WARMUP
    return ids[:split], ids[split:]


def per_minute(answers: int, seconds: float) -> float:
    return answers * 60 / seconds


def worker_figures(label: str, run: WorkerRun, ref: dict, target: str = "") -> list[Figure]:
    ref_rate = per_minute(ref["answers"], ref["seconds"])
    figures = [
        Figure(f"{label}: answers/min, {run.answers} answers{target}",
               per_minute(run.answers, run.seconds), "ThreadPoolExecutor(32) answers/min", ref_rate),
        Figure(f"{label}: CPU ms per answer (worker process group)", run.cpu_s * 1000 / run.answers,
               "reference CPU ms per answer", ref["cpu_s"] * 1000 / ref["answers"]),
        Figure(f"{label}: mean judge latency s (verdict latency_s)", run.mean_latency_s,
               "reference mean latency s", ref["mean_latency_s"]),
        Figure(f"{label}: s from dispatch to first result", run.first_result_s),
        Figure(f"{label}: new PostgreSQL sessions per answer", run.db_sessions / run.answers),
    ]  # fmt: skip
    if run.errors:
        figures.append(Figure(f"{label}: validations without a result (errors)", run.errors))
    return figures


def bench_e2e(question_ids: list[int], args) -> list[Figure]:
    from tests.support.fake_openai import FakeOpenAI

    env = worker_env(args.database_url, args.broker_url)
    with FakeOpenAI(answer="Checked it. [[Y]]", delay_s=JUDGE_DELAY_S) as fake:
        threaded_ids, prefork_ids = e2e_rows(question_ids, fake.base_url, args)
        reference = run_reference(payloads_for(threaded_ids))
        say(f"reference: {reference['answers']} answers in {reference['seconds']:.2f} s "
            f"({reference['accepted']} accepted)")  # fmt: skip
        say(f"worker --pool threads --concurrency {THREADS}: {len(threaded_ids)} answers")
        threaded = run_worker(threaded_ids, env, pool="threads", concurrency=THREADS,
                              timeout_s=args.timeout_s)  # fmt: skip
        say(f"worker: {threaded.answers} answers in {threaded.seconds:.2f} s")
        figures = worker_figures(f"worker threads x{THREADS}", threaded, reference,
                                 " (target ratio >= 0.8)")  # fmt: skip
        if args.prefork_answers:
            say(f"worker --pool prefork --concurrency 2: {len(prefork_ids)} answers")
            prefork = run_worker(prefork_ids, env, pool="prefork", concurrency=2,
                                 timeout_s=args.timeout_s)  # fmt: skip
            say(f"worker: {prefork.answers} answers in {prefork.seconds:.2f} s")
            figures += worker_figures("worker prefork x2", prefork, reference)[:2]
        say(f"fake server: {len(fake.requests)} judge requests")
    return figures


# --- output -----------------------------------------------------------------------------------


def load_line(label: str) -> str:
    one, five, fifteen = os.getloadavg()
    return f"load average {label}: {one:.2f} {five:.2f} {fifteen:.2f} ({os.cpu_count()} CPUs)"


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    loads = [load_line("at start")]
    say(f"database {args.database_url}: create, migrate")
    setup_django(args.database_url, args.broker_url)
    cleanup()
    refuse_foreign_work()
    purge_queues()
    try:
        question_ids = make_questions(args.rows)
        figures = bench_sweeper(question_ids, args.rows)
        figures += bench_e2e(question_ids, args)
    finally:
        purge_queues()
        cleanup()
    loads.append(load_line("at end"))
    benchenv.report("validation pipeline", figures)
    print(f"\nideal for the threads worker: {THREADS} x 60 / {JUDGE_DELAY_S} s = "
          f"{THREADS * 60 / JUDGE_DELAY_S:,.0f} answers/min; " + "; ".join(loads))  # fmt: skip
    return 0


if __name__ == "__main__":
    sys.exit(main())
