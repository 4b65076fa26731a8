"""Real Celery workers for the pipeline's fault tests: separate processes on the configured
broker (Redis in CI, the file-system broker elsewhere) against the test database."""

import contextlib
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection

ROOT = Path(__file__).resolve().parents[2]


def database_url() -> str:
    db = connection.settings_dict
    if db["ENGINE"].endswith("sqlite3"):
        return f"sqlite:///{db['NAME']}"
    auth = db["USER"] + (f":{db['PASSWORD']}" if db["PASSWORD"] else "")
    return f"postgres://{auth}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"


class Workers:
    def __init__(self, env: dict):
        self.env = env
        self.processes: list[subprocess.Popen] = []

    def start(self, *, queues="default,llm_io,gpu", concurrency=2, beat=True) -> subprocess.Popen:
        command = [sys.executable, "-m", "celery", "-A", "workers.celery_app", "worker",
                   "--queues", queues, "--concurrency", str(concurrency), "--loglevel", os.environ.get("QUORUM_TEST_WORKER_LOGLEVEL", "WARNING"),
                   "--hostname", f"test{len(self.processes)}@%h", "--without-mingle", "--without-gossip"]
        if beat:
            command += ["--beat", "--schedule", str(Path(settings.VAR_DIR) / f"beat-{os.getpid()}")]
        proc = subprocess.Popen(command, cwd=ROOT, env=self.env, start_new_session=True)  # noqa: S603
        self.processes.append(proc)
        return proc

    def kill(self, proc: subprocess.Popen) -> None:
        """SIGKILL the worker and its pool children, as a crash or an OOM kill would."""
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(timeout=10)

    def stop_all(self) -> None:
        for proc in self.processes:
            if proc.poll() is None:
                self.kill(proc)


def purge_queues() -> None:
    from workers.celery_app import app
    from workers.queues import ALL_QUEUES

    with app.connection_for_write() as conn:
        for name in ALL_QUEUES:
            with contextlib.suppress(Exception):  # a queue that does not exist yet is empty
                conn.default_channel.queue_purge(name)


@contextlib.contextmanager
def broker_of_its_own(folder: Path):
    """With a broker that is a folder, a test's workers and this process share a fresh one:
    nothing an earlier test published waits in line before this test's messages."""
    from workers.celery_app import app, embedded_broker_options

    before = dict(app.conf.broker_transport_options)
    app.conf.broker_transport_options = {**before, **embedded_broker_options(settings.CELERY_BROKER_URL, folder)}
    fresh_connections(app)
    try:
        yield
    finally:
        app.conf.broker_transport_options = before
        fresh_connections(app)


def fresh_connections(app) -> None:
    """Forget the pools in use: kombu keys its pools by the transport options, so the next
    publish takes (or makes) the pool of the options now set."""
    app._pool = None
    app.amqp._producer_pool = None


@pytest.fixture
def workers(transactional_db, settings, tmp_path):
    settings.QUORUM_VALIDATION_LEASE_S = 6  # this process dispatches too
    settings.QUORUM_VALIDATION_RETRY_S = 1
    env = {
        **os.environ,
        "PYTHONPATH": f"{ROOT / 'platform'}:{ROOT}",
        "DJANGO_SETTINGS_MODULE": "config.settings_test",
        "DATABASE_URL": database_url(),
        "DATABASE_POOL": "false",
        "CELERY_BROKER_URL": settings.CELERY_BROKER_URL,
        "QUORUM_VAR_DIR": str(settings.VAR_DIR),
        "QUORUM_VALIDATION_LEASE_S": "6",
        "QUORUM_VALIDATION_RETRY_S": "1",
        "QUORUM_SWEEP_EVERY_S": "1",
    }
    own_broker = contextlib.nullcontext()
    from workers.celery_app import embedded_broker_options

    if embedded_broker_options(settings.CELERY_BROKER_URL, tmp_path / "broker"):
        env["QUORUM_BROKER_DIR"] = str(tmp_path / "broker")
        own_broker = broker_of_its_own(tmp_path / "broker")
    with own_broker:
        purge_queues()
        pool = Workers(env)
        yield pool
        pool.stop_all()
        purge_queues()


def wait_for(predicate, *, timeout_s: float, what: str):
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.25)
    from evaluation.models import Validation

    states = list(Validation.objects.values_list("pk", "state", "attempts", "last_error"))
    raise AssertionError(f"timed out after {timeout_s:.0f} s waiting for {what}; validations: {states}")


@pytest.fixture
def embedded_broker(settings, monkeypatch):
    """The embedded spool:// broker for this test, whatever broker the suite runs on (CI: Redis)."""
    from workers.celery_app import app

    before = app.conf.broker_url
    monkeypatch.setenv("CELERY_BROKER_URL", "spool://localhost//")  # Celery reads it before its conf
    settings.CELERY_BROKER_URL = app.conf.broker_url = "spool://localhost//"
    fresh_connections(app)
    yield
    app.conf.broker_url = before
    fresh_connections(app)
