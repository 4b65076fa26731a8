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

from workers.queues import ALL_QUEUES

ROOT = Path(settings.BASE_DIR)


class Command(BaseCommand):
    help = (
        "Run the whole platform on one machine: the web server, plus one real Celery worker "
        "(all queues, with beat) on the configured broker — the file-system broker by default."
    )

    def add_arguments(self, parser):
        parser.add_argument("addrport", nargs="?", default="127.0.0.1:8000")
        parser.add_argument("--no-worker", action="store_true", help="Run the web server only.")

    def handle(self, *args, addrport, no_worker, **options):
        # SIGTERM (from a process manager, or `kill`) must stop the worker too.
        signal.signal(signal.SIGTERM, lambda signum, frame: sys.exit(0))
        worker = None if no_worker else self._start_worker()
        try:
            self.stdout.write(self.style.SUCCESS(f"Quorum is at http://{addrport}/"))
            call_command("runserver", addrport, use_reloader=False)
        finally:
            if worker is not None:
                self._stop_worker(worker)

    def _stop_worker(self, worker: subprocess.Popen) -> None:
        """Warm shutdown of the worker and its pool; killed if it does not stop in 20 s."""
        with contextlib.suppress(ProcessLookupError):
            os.killpg(worker.pid, signal.SIGTERM)
        try:
            worker.wait(timeout=20)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(worker.pid, signal.SIGKILL)

    def _start_worker(self) -> subprocess.Popen:
        schedule = Path(settings.VAR_DIR) / "celerybeat-schedule"
        command = [
            sys.executable, "-m", "celery", "-A", "workers.celery_app", "worker", "--beat",
            "--schedule", str(schedule), "--queues", ",".join(ALL_QUEUES),
            "--concurrency", "2", "--loglevel", "INFO", "--hostname", "embedded@%h",
        ]  # fmt: skip
        env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT / "platform"), str(ROOT)])}
        worker = subprocess.Popen(command, cwd=ROOT, env=env, start_new_session=True)  # noqa: S603
        time.sleep(1)
        if worker.poll() is not None:
            self.stderr.write(self.style.ERROR("The Celery worker did not start; see above."))
        else:
            self.stdout.write(f"Celery worker running (pid {worker.pid}) on {settings.CELERY_BROKER_URL}")
        return worker
