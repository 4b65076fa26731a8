"""What the benchmarks share: their own PostgreSQL database, a configured Django, the servers
they measure (gunicorn, a Celery worker) and the one table every figure is printed in."""

import contextlib
import json
import math
import os
import signal
import subprocess
import sys
import time
from dataclasses import asdict, dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
FIGURES_ENV = "BENCH_FIGURES"  # bench/run.py collects every script's figures through this file


def say(message: str) -> None:
    print(f"bench: {message}", file=sys.stderr, flush=True)


def ensure_database(url: str) -> None:
    """Create the benchmark's database if it is missing (never the site's or the tests' own)."""
    if url.startswith("sqlite:"):
        return  # SQLite creates its file on the first connection
    import psycopg
    from psycopg import sql
    from psycopg.conninfo import conninfo_to_dict, make_conninfo

    params = conninfo_to_dict(url)
    name = params["dbname"]
    if name in ("quorum", "test_quorum"):
        raise SystemExit(f"refusing to use database {name!r}: give the benchmark its own")
    with psycopg.connect(make_conninfo(**{**params, "dbname": "postgres"}), autocommit=True) as db:
        if not db.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone():
            db.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))


def setup_django(database_url: str, **env: str) -> None:
    """Settings from the environment as in production (DEBUG off), the database migrated."""
    sys.path[:0] = [str(ROOT / "platform"), str(ROOT)]
    os.environ.update({
        "DATABASE_URL": database_url, "SECRET_KEY": "bench-" + "x" * 40, "ALLOWED_HOSTS": "testserver",
        "QUORUM_PRODUCTION": "false", "DJANGO_SETTINGS_MODULE": "config.settings", "LOG_LEVEL": "WARNING",
        **env,
    })  # fmt: skip
    ensure_database(database_url)
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)


# --- the table ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Figure:
    """One row of the table: a measured value beside its same-run reference."""

    name: str
    value: float | None
    reference_name: str = ""
    reference: float | None = None

    @property
    def ratio(self) -> float | None:
        if self.value is None or not self.reference:
            return None
        return self.value / self.reference


def format_number(value: float | None) -> str:
    if value is None:
        return "-"
    if isinstance(value, int):
        return f"{value:,}"
    if abs(value) >= 100:
        return f"{value:,.0f}"
    return f"{value:,.2f}" if abs(value) < 10 else f"{value:,.1f}"


def table_lines(figures: list[Figure], first_column: str = "figure") -> list[str]:
    rows = [(first_column, "value", "same-run reference", "ratio")]
    for figure in figures:
        reference = (f"{figure.reference_name} {format_number(figure.reference)}"
                     if figure.reference_name else "-")  # fmt: skip
        ratio = f"{figure.ratio:.2f}" if figure.ratio is not None else "-"
        rows.append((figure.name, format_number(figure.value), reference, ratio))
    widths = [max(len(row[i]) for row in rows) for i in range(4)]
    lines = []
    for index, row in enumerate(rows):
        lines.append("  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip())
        if index == 0:
            lines.append("  ".join("-" * width for width in widths))
    return lines


def report(bench: str, figures: list[Figure]) -> None:
    """Print the script's own table; under bench/run.py also hand the figures on to its table."""
    print("\n".join(table_lines(figures)), flush=True)
    collected = os.environ.get(FIGURES_ENV)
    if collected:
        with open(collected, "a", encoding="utf-8") as out:
            for figure in figures:
                out.write(json.dumps({"bench": bench, **asdict(figure)}) + "\n")


def collected_figures(path: Path) -> list[tuple[str, Figure]]:
    rows = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line]
    return [(row.pop("bench"), Figure(**row)) for row in rows]


def percentile(samples: list[float], q: float) -> float:
    """Nearest-rank percentile (q in 0..100) of the samples."""
    ordered = sorted(samples)
    return ordered[max(0, math.ceil(q / 100 * len(ordered)) - 1)]


# --- the servers --------------------------------------------------------------------------------


def server_env(**env: str) -> dict[str, str]:
    """This process's environment (the settings setup_django put there) for a server it starts."""
    return {**os.environ, "PYTHONPATH": f"{ROOT / 'platform'}{os.pathsep}{ROOT}{os.pathsep}{ROOT / 'bench'}",
            **env}  # fmt: skip


@contextlib.contextmanager
def gunicorn(port: int, *, workers: int = 3, **env: str):
    """gunicorn as deployed (platform/config/gunicorn.conf.py) with this process's settings, until
    the block ends. Its workers warm up on their first requests: time none of those."""
    import requests

    command = [sys.executable, "-m", "gunicorn", "--config", "platform/config/gunicorn.conf.py", "--log-level", "warning"]
    env = {"GUNICORN_BIND": f"127.0.0.1:{port}", "GUNICORN_WORKERS": str(workers), **env}
    server = subprocess.Popen(command, cwd=ROOT, env=server_env(**env), start_new_session=True)  # noqa: S603
    try:
        for _ in range(120):
            try:
                if requests.get(f"http://127.0.0.1:{port}/healthz", timeout=5).ok:
                    break
            except requests.RequestException:
                time.sleep(0.5)
        else:
            raise SystemExit("gunicorn did not start")
        yield f"http://127.0.0.1:{port}"
    finally:
        stop_process_group(server)


def start_worker(*, queues: str = "default,llm_io", pool: str = "threads", concurrency: int = 8,
                 name: str = "bench", log=None, **env: str) -> subprocess.Popen:  # fmt: skip
    command = [sys.executable, "-m", "celery", "-A", "workers.celery_app", "worker",
               "-Q", queues, "--pool", pool, "--concurrency", str(concurrency),
               "--loglevel", "WARNING", "--hostname", f"{name}-{pool}-{os.getpid()}@%h",
               "--without-mingle", "--without-gossip"]  # fmt: skip
    return subprocess.Popen(command, cwd=ROOT, env=server_env(**env), stdout=log, stderr=log,  # noqa: S603
                            start_new_session=True)  # fmt: skip


def wait_worker_ready(proc: subprocess.Popen, timeout_s: float = 90) -> None:
    from workers.celery_app import app

    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"the worker exited with status {proc.returncode}")
        if app.control.ping(timeout=1.0):
            return
    raise RuntimeError("the worker did not answer a ping")


@contextlib.contextmanager
def worker(**options):
    """A real Celery worker on this process's broker and database, until the block ends."""
    proc = start_worker(**options)
    try:
        wait_worker_ready(proc)
        yield proc
    finally:
        stop_process_group(proc)


def stop_process_group(proc: subprocess.Popen) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.killpg(proc.pid, signal.SIGTERM)
    try:
        proc.wait(timeout=30)
    except subprocess.TimeoutExpired:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(timeout=10)


def purge_queues() -> None:
    from workers.celery_app import app
    from workers.queues import ALL_QUEUES

    with app.connection_for_write() as conn:
        for name in ALL_QUEUES:
            with contextlib.suppress(Exception):  # a queue that does not exist yet is empty
                conn.default_channel.queue_purge(name)


def broker_url() -> str:
    """The benchmarks' broker: $BENCH_BROKER_URL, else a Redis database of their own."""
    return os.environ.get("BENCH_BROKER_URL", "redis://127.0.0.1:6379/14")
