"""Embedded broker: answers validated through the embedded default against the same worker on Redis.

    python bench/broker_bench.py [--answers 60] [--rounds 3] [--redis-url redis://127.0.0.1:6379/13]
                                 [--no-old-filesystem]

Each run is a process of its own with a copy of one migrated SQLite database (the embedded
default), a fresh broker, one worker as `make demo` runs it (`--pool threads --concurrency 8`,
every queue) and a fake OpenAI judge on loopback that answers "[[Y]]" in 5 ms (vanilla: one
call per answer). It times `--answers` answers from `validations_dispatch` to the last recorded
result, after 4 warm-up answers. Runs alternate the embedded broker (spool://) and Redis,
`--rounds` times each, and the medians are compared: target embedded <= 1.25 x Redis. Kombu's
own file-system transport (the embedded default before spool://) is measured once more as a
second reference. Prints one table; never asserts a time.
"""

import argparse
import json
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import benchenv
from benchenv import Figure, say

ROOT = Path(__file__).resolve().parents[1]
WARMUP = 4
JUDGE_DELAY_S = 0.005
BROKERS = {"embedded spool://": "spool://localhost//", "old file-system transport": "filesystem://localhost//"}


def parse_args(argv):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--answers", type=int, default=60)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--redis-url", default="redis://127.0.0.1:6379/13")
    parser.add_argument("--no-old-filesystem", action="store_true")
    parser.add_argument("--timeout-s", type=float, default=600)
    parser.add_argument("--one", help=argparse.SUPPRESS)  # a broker URL: one run, in this process
    parser.add_argument("--workdir", type=Path, help=argparse.SUPPRESS)
    return parser.parse_args(argv)


# --- one run, in a process of its own ---------------------------------------------------------


def run_once(args) -> dict:
    import pipeline_bench as pipeline

    database = args.workdir / "quorum.sqlite3"
    env = {"CELERY_BROKER_URL": args.one, "QUORUM_BROKER_DIR": str(args.workdir / "broker"),
           "QUORUM_VAR_DIR": str(args.workdir), "DEBUG": "true"}  # fmt: skip
    benchenv.setup_django(f"sqlite:///{database}", **env)
    from evaluation.services import validations_create
    from submissions.models import Answer
    from tests.support.fake_openai import FakeOpenAI

    benchenv.purge_queues()
    with FakeOpenAI(answer="Checked it. [[Y]]", delay_s=JUDGE_DELAY_S) as fake:
        validator = pipeline.save_validator("brokerbench", pipeline.openai_config(fake.base_url), primary=True)
        question_ids = pipeline.make_questions(args.answers + WARMUP)
        answers = Answer.objects.filter(pk__in=pipeline.make_answers("brokerbench", question_ids))
        ids = sorted(validations_create(answers=answers, validator=validator))
        with tempfile.TemporaryFile("w+") as log:
            worker = benchenv.start_worker(queues="default,llm_io,gpu", pool="threads", concurrency=8,
                                           name="brokerbench", log=log, **env)  # fmt: skip
            try:
                pipeline.judged(ids[:WARMUP], args.timeout_s)
                seconds, first_s, errors = pipeline.judged(ids[WARMUP:], args.timeout_s)
            except RuntimeError:
                log.seek(0)
                say(f"worker log (tail):\n{log.read()[-3000:]}")
                raise
            finally:
                benchenv.stop_process_group(worker)
                benchenv.purge_queues()
    return {"seconds": seconds, "first_s": first_s, "errors": errors}


# --- the comparison ---------------------------------------------------------------------------


def migrated_template(folder: Path) -> Path:
    """Migrate one SQLite database; every run starts from a copy (migrating takes longer than a run)."""
    template = folder / "template.sqlite3"
    code = ("import sys, benchenv; benchenv.setup_django(sys.argv[1], DEBUG='true', "
            "QUORUM_VAR_DIR=sys.argv[2])")  # fmt: skip
    subprocess.run([sys.executable, "-c", code, f"sqlite:///{template}", str(folder)], check=True,  # noqa: S603
                   cwd=ROOT / "bench", env=benchenv.server_env())  # fmt: skip
    return template


def run_in_process(url: str, template: Path, folder: Path, args) -> dict:
    workdir = Path(tempfile.mkdtemp(prefix="run-", dir=folder))
    shutil.copy(template, workdir / "quorum.sqlite3")
    command = [sys.executable, __file__, "--one", url, "--workdir", str(workdir),
               "--answers", str(args.answers), "--timeout-s", str(args.timeout_s)]  # fmt: skip
    result = subprocess.run(command, cwd=ROOT / "bench", env=benchenv.server_env(), check=True,  # noqa: S603
                            stdout=subprocess.PIPE, text=True)  # fmt: skip
    outcome = json.loads(result.stdout.strip().splitlines()[-1])
    say(f"{url}: {args.answers} answers in {outcome['seconds']:.2f} s")
    return outcome


def compare(args) -> list[Figure]:
    runs: dict[str, list[dict]] = {"embedded spool://": [], "Redis": []}
    urls = {"embedded spool://": BROKERS["embedded spool://"], "Redis": args.redis_url}
    with tempfile.TemporaryDirectory(prefix="brokerbench-") as tmp:
        folder = Path(tmp)
        template = migrated_template(folder)
        for _ in range(args.rounds):
            for name, url in urls.items():
                runs[name].append(run_in_process(url, template, folder, args))
        old = None if args.no_old_filesystem else run_in_process(BROKERS["old file-system transport"], template, folder, args)
    median = {name: statistics.median(run["seconds"] for run in rows) for name, rows in runs.items()}
    label = f"{args.answers} answers, worker threads x8, judge {JUDGE_DELAY_S * 1000:.0f} ms"
    figures = [
        Figure(f"{label}: s, median of {args.rounds} (target ratio <= 1.25)",
               median["embedded spool://"], "same worker on Redis s", median["Redis"]),
        Figure("s from dispatch to first result",
               statistics.median(run["first_s"] for run in runs["embedded spool://"]),
               "on Redis s", statistics.median(run["first_s"] for run in runs["Redis"])),
    ]  # fmt: skip
    if old is not None:
        figures.append(Figure(f"kombu's file-system transport (before spool://): {label}: s",
                              old["seconds"], "same worker on Redis s", median["Redis"]))  # fmt: skip
    errors = sum(run["errors"] for rows in runs.values() for run in rows)
    if errors:
        figures.append(Figure("validations without a result (errors)", errors))
    return figures


def main(argv=None) -> int:
    args = parse_args(argv)
    if args.one:
        print(json.dumps(run_once(args)))
        return 0
    started = time.monotonic()
    benchenv.report("embedded broker", compare(args))
    say(f"done in {time.monotonic() - started:.0f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
