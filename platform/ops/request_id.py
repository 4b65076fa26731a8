"""Request ids: one per HTTP request, on its response and on every log line written meanwhile.

No Django here: the logging configuration imports the filter before the apps are loaded.
"""

import contextvars
import logging
import re
import uuid

CURRENT = contextvars.ContextVar("request_id", default="-")
ACCEPTED = re.compile(r"[A-Za-z0-9._:-]{8,128}")


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
