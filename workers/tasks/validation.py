"""Recording, sweeping and publishing validations (database side, `default` queue).
The judging itself is `workers.tasks.judging.run_validation`, which never touches the database."""

from celery import shared_task

from workers.queues import DEFAULT
from workers.tasks.judging import run_validation


@shared_task(name="quorum.validation.record", acks_late=True, reject_on_worker_lost=True)
def record_validation(result: dict) -> str:
    from evaluation.services import validation_record

    row = validation_record(result=result)
    return row.state if row else "ignored"


@shared_task(name="quorum.validation.sweep", acks_late=True, time_limit=300)
def sweep_validations() -> int:
    from evaluation.services import validations_sweep

    return validations_sweep()


def publish_validation(payload: dict, *, queue: str) -> None:
    """Judge on `queue`, then record on `default`, as one chain."""
    chain = run_validation.s(payload).set(queue=queue) | record_validation.s().set(queue=DEFAULT)
    chain.apply_async(retry=False)
