"""Request ids: one per HTTP request, on its response and on every log line written meanwhile,
including the lines of the Celery tasks it queues (and of the tasks those queue in turn). A task
that no request queued (beat's, a command's) logs under its own task id.

No Django here: the logging configuration imports the filter before the apps are loaded.
"""

import contextvars
import logging
import re
import uuid

CURRENT = contextvars.ContextVar("request_id", default="-")
ACCEPTED = re.compile(r"[A-Za-z0-9._:-]{8,128}")
TASK_HEADER = "quorum_request_id"
_before_task: dict[str, contextvars.Token] = {}


def request_id_from(header: str | None) -> str:
    """Keep a proxy's id when it looks like one (nothing that could forge a log line)."""
    if header and ACCEPTED.fullmatch(header):
        return header
    return uuid.uuid4().hex


class RequestIdFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = CURRENT.get()
        return True


def forget(**_) -> None:
    CURRENT.set("-")


def attach_to_task(headers: dict | None = None, **_) -> None:
    """Celery's before_task_publish: the id in force travels in the message's headers."""
    current = CURRENT.get()
    if headers is not None and current != "-":
        headers.setdefault(TASK_HEADER, current)


def adopt_in_task(task_id: str | None = None, task=None, **_) -> None:
    """Celery's task_prerun: the task logs under the id it was sent with, else (run eagerly inside
    a request) the request's, else its own."""
    sent = getattr(task.request, TASK_HEADER, None) if task is not None else None
    current = CURRENT.get()
    chosen = sent if sent and ACCEPTED.fullmatch(sent) else current if current != "-" else task_id or "-"
    _before_task[task_id] = CURRENT.set(chosen)


def release_after_task(task_id: str | None = None, **_) -> None:
    """Celery's task_postrun: back to the id in force before the task ran."""
    token = _before_task.pop(task_id, None)
    if token is not None:
        CURRENT.reset(token)
