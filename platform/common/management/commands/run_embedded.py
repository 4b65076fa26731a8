import contextlib
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand

from common import localjudge
from workers.queues import ALL_QUEUES

ROOT = Path(settings.BASE_DIR)


class Command(BaseCommand):
    help = (
        "Run the whole platform on one machine: the web server, one real Celery worker "
        "(all queues, with beat) on the configured broker — the embedded one by default — and "
        "the demo's local judge (SmolLM2-135M behind llama.cpp's OpenAI-compatible server)."
    )

    def add_arguments(self, parser):
        parser.add_argument("addrport", nargs="?", default="127.0.0.1:8000")
        parser.add_argument("--no-worker", action="store_true", help="Run the web server only.")
        parser.add_argument("--no-judge", action="store_true", help="Do not start the local judge.")

    def handle(self, *args, addrport, no_worker, no_judge, **options):
        # SIGTERM (from a process manager, or `kill`) must stop the worker and the judge too.
        signal.signal(signal.SIGTERM, lambda signum, frame: sys.exit(0))
        children = []
        try:
            if settings.QUORUM_DEMO_JUDGE and not no_judge:
                children.append(self._start_judge())
            if not no_worker:
                children.append(self._start_worker())
            self.stdout.write(self.style.SUCCESS(f"Quorum is at http://{addrport}/"))
            call_command("runserver", addrport, use_reloader=False)
        finally:
            for child in reversed([c for c in children if c is not None]):
                self._stop(child)

    def _stop(self, child: subprocess.Popen) -> None:
        """Warm shutdown of a child and its own children; killed if it does not stop in 20 s."""
        with contextlib.suppress(ProcessLookupError):
            os.killpg(child.pid, signal.SIGTERM)
        try:
            child.wait(timeout=20)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(child.pid, signal.SIGKILL)

    def _start_judge(self) -> subprocess.Popen | None:
        addr = settings.QUORUM_DEMO_JUDGE_ADDR
        missing = localjudge.missing_packages()
        if missing:
            self.stderr.write(self.style.WARNING(
                f"Local judge: not installed ({', '.join(missing)} missing), so answers wait with "
                f"'no judge configured'. To fix: {localjudge.HOW_TO_INSTALL}."
            ))  # fmt: skip
            return None
        if localjudge.already_serving(addr):
            self.stdout.write(f"Local judge: a server already answers at {localjudge.base_url(addr)}; using it.")
            return None
        log = Path(settings.VAR_DIR) / "log" / "local-judge.log"
        try:
            judge = localjudge.start(addr, log)
        except (RuntimeError, OSError) as exc:
            self.stderr.write(self.style.ERROR(
                f"Local judge: could not start ({exc}). Answers will wait and retry. Is another "
                f"program using {addr}? Set QUORUM_DEMO_JUDGE_ADDR to a free address, or "
                f"QUORUM_DEMO_JUDGE=false to run without it."
            ))  # fmt: skip
            return None
        self.stdout.write(
            f"Local judge: SmolLM2-135M at {judge.url} (pid {judge.process.pid}, log {log}). "
            "A tiny model: its verdicts show the pipeline working and mean nothing."
        )
        return judge.process

    def _start_worker(self) -> subprocess.Popen:
        schedule = Path(settings.VAR_DIR) / "celerybeat-schedule"
        command = [
            sys.executable, "-m", "celery", "-A", "workers.celery_app", "worker", "--beat",
            "--schedule", str(schedule), "--queues", ",".join(ALL_QUEUES),
            "--pool", "threads", "--concurrency", "8", "--without-mingle", "--without-gossip",
            "--loglevel", "INFO", "--hostname", "embedded@%h",
        ]  # fmt: skip
        env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT / "platform"), str(ROOT)])}
        worker = subprocess.Popen(command, cwd=ROOT, env=env, start_new_session=True)  # noqa: S603
        time.sleep(1)
        if worker.poll() is not None:
            self.stderr.write(self.style.ERROR("The Celery worker did not start; see above."))
        else:
            self.stdout.write(f"Celery worker running (pid {worker.pid}) on {settings.CELERY_BROKER_URL}")
        return worker
