from workers.tasks.curation import recheck_sources, run_harvest, run_screen
from workers.tasks.exports import cleanup_exports, run_export
from workers.tasks.generation import run_generation_job
from workers.tasks.judging import run_validation
from workers.tasks.leaderboards import refresh_leaderboards
from workers.tasks.reviews import assess_answer, sweep_assessments
from workers.tasks.validation import record_validation, sweep_validations
from workers.tasks.webhooks import deliver_webhook, sweep_webhooks

__all__ = [
    "assess_answer", "cleanup_exports", "deliver_webhook", "recheck_sources", "record_validation",
    "refresh_leaderboards", "run_export", "run_generation_job", "run_harvest", "run_screen", "run_validation",
    "sweep_assessments", "sweep_validations", "sweep_webhooks",
]  # fmt: skip
