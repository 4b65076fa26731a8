from celery import shared_task


@shared_task(name="quorum.reviews.assess", acks_late=True, reject_on_worker_lost=True,
             autoretry_for=(Exception,), retry_backoff=True, max_retries=5)  # fmt: skip
def assess_answer(answer_id: int) -> str:
    """Re-aggregate an answer's reviews after a submission (idempotent: it recomputes)."""
    from reviews.services import answer_assess
    from submissions.models import Answer

    answer = Answer.objects.filter(pk=answer_id).first()
    if answer is None:
        return "gone"
    return answer_assess(answer=answer).method


@shared_task(name="quorum.reviews.refit", acks_late=True, time_limit=1800, expires=600)
def refit_reliabilities() -> int:
    """Refit the expert reliabilities of every site whose reviews changed; re-assess what moved."""
    from reviews.services import site_reliabilities_refit

    return site_reliabilities_refit()


@shared_task(name="quorum.reviews.sweep", acks_late=True, time_limit=600, expires=120)
def sweep_assessments() -> int:
    from reviews.services import answers_assess_sweep

    return answers_assess_sweep()
