from workers.tasks.exports import cleanup_exports, run_export
from workers.tasks.generation import run_generation_job
from workers.tasks.judging import run_validation
from workers.tasks.reviews import assess_answer
from workers.tasks.validation import record_validation, sweep_validations

__all__ = [
    "assess_answer", "cleanup_exports", "record_validation", "run_export", "run_generation_job",
    "run_validation", "sweep_validations",
]
