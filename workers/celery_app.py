"""The Celery application. Configuration comes from Django settings (CELERY_* names)."""

import os
import sys
from pathlib import Path

from celery import Celery

from workers import spool  # noqa: F401 - registers the embedded broker's spool:// transport
from workers.queues import DEFAULT, TASK_QUEUES, TASK_ROUTES
from workers.schedule import beat_schedule

ROOT = Path(__file__).resolve().parents[1]
for path in (str(ROOT), str(ROOT / "platform")):
    if path not in sys.path:
        sys.path.append(path)
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

app = Celery("quorum")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.conf.update(
    task_queues=TASK_QUEUES,
    task_default_queue=DEFAULT,
    task_routes=TASK_ROUTES,
    task_acks_late=True,
    task_reject_on_worker_lost=True,
    worker_prefetch_multiplier=1,
    task_ignore_result=True,
)
app.autodiscover_tasks(["workers"], related_name="tasks")


@app.on_configure.connect
def _configure_from_settings(sender: Celery, **_: object) -> None:
    """The beat schedule, and the embedded default: a broker in var/broker that needs no server."""
    from django.conf import settings

    sender.conf.beat_schedule = beat_schedule(
        sweep_every_s=settings.QUORUM_SWEEP_EVERY_S, leaderboard_every_s=settings.QUORUM_LEADERBOARD_REFRESH_S,
        recheck_every_s=settings.QUORUM_SE_RECHECK_EVERY_S, refit_every_s=settings.QUORUM_REVIEW_REFIT_S,
    )
    folder_options = embedded_broker_options(settings.CELERY_BROKER_URL, Path(settings.CELERY_BROKER_DIR))
    if folder_options:
        sender.conf.broker_transport_options = folder_options


def embedded_broker_options(url: str, folder: Path) -> dict:
    """Where a broker that is a folder keeps its files; nothing for a broker server."""
    if url.startswith("spool://"):
        return {"folder": str(folder)}
    if not url.startswith("filesystem://"):
        return {}
    for sub in ("out", "processed", "control"):
        (folder / sub).mkdir(parents=True, exist_ok=True)
    return {
        "data_folder_in": str(folder / "out"),
        "data_folder_out": str(folder / "out"),
        "processed_folder": str(folder / "processed"),
        "control_folder": str(folder / "control"),
        "store_processed": False,
    }
