from celery import shared_task


@shared_task(
    name="quorum.generation.run",
    acks_late=True,
    reject_on_worker_lost=True,
    soft_time_limit=6 * 3600,
    time_limit=6 * 3600 + 60,
)
def run_generation_job(job_id: int) -> str:
    """Answer a generation job's questions (resumable: answered questions are skipped)."""
    from submissions.services import generation_job_run

    job = generation_job_run(job_id=job_id)
    return job.status if job else "skipped"
