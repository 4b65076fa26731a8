"""Exports run on `default` workers: they read the database and write files to QUORUM_EXPORT_DIR."""

from celery import shared_task


@shared_task(
    name="quorum.exports.run",
    acks_late=True,
    reject_on_worker_lost=True,
    soft_time_limit=6 * 3600,
    time_limit=6 * 3600 + 60,
)
def run_export(export_id: int) -> str:
    """Write one export (started over if a lost worker's message is delivered again)."""
    from leaderboards.services import export_run

    export = export_run(export_id=export_id)
    return export.status if export else "skipped"


@shared_task(name="quorum.exports.cleanup", acks_late=True, time_limit=600)
def cleanup_exports() -> int:
    from leaderboards.services import exports_cleanup

    return exports_cleanup()
