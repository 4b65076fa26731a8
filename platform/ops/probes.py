"""What /readyz and /metrics read: is the database answering, is the broker, how deep are the queues."""

import logging

import psycopg
from django.db import DatabaseError, connection

from workers.celery_app import app as celery_app
from workers.queues import ALL_QUEUES

logger = logging.getLogger(__name__)
BROKER_TIMEOUT_S = 3
PROBE_TIMEOUT_S = 3


def database_problem() -> str | None:
    """None when a query round-trips; otherwise the error's kind (never its message: it may
    carry the connection string). With the pool, it waits PROBE_TIMEOUT_S for a connection, not
    the pool's own timeout: a probe answers while requests wait."""
    try:
        pool = getattr(connection, "pool", None)
        if pool is not None and connection.connection is None:
            pool.open(wait=False)
            with pool.connection(timeout=PROBE_TIMEOUT_S) as pooled:
                pooled.execute("SELECT 1")
        else:
            with connection.cursor() as cursor:
                cursor.execute("SELECT 1")
    except (DatabaseError, psycopg.Error) as exc:
        logger.warning("readiness: database unreachable (%s)", type(exc).__name__)
        return type(exc).__name__
    return None


def broker_problem() -> str | None:
    try:
        queue_depths()
    except Exception as exc:  # noqa: BLE001 — every transport raises its own errors
        logger.warning("readiness: broker unreachable (%s)", type(exc).__name__)
        return type(exc).__name__
    return None


def queue_depths() -> dict[str, int]:
    """Messages waiting per queue; raises when the broker cannot be reached."""
    with celery_app.connection_for_read(connect_timeout=BROKER_TIMEOUT_S) as conn:
        conn.ensure_connection(max_retries=1, interval_start=0, interval_step=0, timeout=BROKER_TIMEOUT_S)
        return {queue: _depth(conn, queue) for queue in ALL_QUEUES}


def _depth(conn, queue: str) -> int:
    try:
        with conn.channel() as channel:
            return channel.queue_declare(queue=queue, passive=True).message_count
    except conn.channel_errors:
        return 0  # never declared: nothing was ever published to it
