from celery import shared_task


@shared_task(name="quorum.ping")
def ping() -> str:
    """Round-trip check for operators and tests: proves a worker consumes the queue."""
    return "pong"
