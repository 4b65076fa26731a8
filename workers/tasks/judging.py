"""The judging task: plain data in, a verdict out. It never touches the database (an
import-linter contract holds it), so a GPU box next to its judge needs only the broker."""

import random

from celery import shared_task
from celery.exceptions import SoftTimeLimitExceeded

import validators

RUN_RETRIES = 3


@shared_task(
    bind=True,
    name="quorum.validation.run",
    acks_late=True,
    reject_on_worker_lost=True,
    soft_time_limit=900,
    time_limit=960,
    max_retries=RUN_RETRIES,
)
def run_validation(self, payload: dict) -> dict:
    base = {"validation_id": payload["validation_id"], "config_hash": payload["config_hash"]}
    try:
        verdict = validators.judge(payload["question"], payload["answer"], payload["config"])
    except validators.TransientBackendError as exc:
        if self.request.retries < RUN_RETRIES:
            wait = exc.retry_after or min(300, 10 * 2**self.request.retries) * (0.5 + random.random())  # noqa: S311
            raise self.retry(exc=exc, countdown=wait) from exc
        return {**base, "error": f"judge unavailable after retries: {exc}", "transient": True}
    except SoftTimeLimitExceeded:
        return {**base, "error": "the judge took longer than the time limit", "transient": True}
    except (validators.BackendError, validators.ConfigError) as exc:
        return {**base, "error": str(exc), "transient": False}
    return {**base, "verdict": verdict}
