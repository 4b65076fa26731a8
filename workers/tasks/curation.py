"""Curation jobs: Stack Exchange harvests, LLM pre-screens, re-checks at the source."""

from celery import shared_task


@shared_task(name="quorum.curation.harvest", acks_late=True, reject_on_worker_lost=True,
             soft_time_limit=6 * 3600, time_limit=6 * 3600 + 60)  # fmt: skip
def run_harvest(job_id: int) -> str:
    """Fetch a site's unanswered questions as drafts (resumable: it starts at its next page)."""
    from curation.services import harvest_job_run

    job = harvest_job_run(job_id=job_id)
    return job.status if job else "skipped"


@shared_task(name="quorum.curation.screen", acks_late=True, reject_on_worker_lost=True,
             soft_time_limit=6 * 3600, time_limit=6 * 3600 + 60)  # fmt: skip
def run_screen(job_id: int) -> str:
    """Pre-screen candidates with an LLM judge (resumable: screened candidates are skipped)."""
    from curation.services import screen_job_run

    job = screen_job_run(job_id=job_id)
    return job.status if job else "skipped"


@shared_task(name="quorum.curation.recheck", acks_late=True, soft_time_limit=1800, time_limit=1860)
def recheck_sources() -> int:
    """Flag public questions answered at their source since import (never retires them)."""
    from curation.services import source_recheck

    return source_recheck()
