"""Signing and sending one webhook request, and reading its outcome (no database here)."""

import json
import random
import re
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime

import requests
from standardwebhooks import Webhook

from common.outbound import Target

# Besides 5xx: worth another try (RFC 9110: timeout, conflict, too early, too many requests).
RETRYABLE_STATUSES = frozenset({408, 409, 425, 429})
SNIPPET_CHARS = 200
MAX_ERROR_CHARS = 300
USER_AGENT = "Quorum-Webhooks/1"


@dataclass(frozen=True)
class Outcome:
    status_code: int | None = None
    error: str = ""
    retryable: bool = False
    retry_after_s: float | None = None

    @property
    def ok(self) -> bool:
        return self.status_code is not None and 200 <= self.status_code < 300


def body_of(payload: dict) -> str:
    return json.dumps(payload, separators=(",", ":"), ensure_ascii=False)


def signed_headers(
    *, message_id: str, body: str, secrets: list[str], at: datetime
) -> dict[str, str]:
    """Standard Webhooks headers; several secrets (a rotation) give several signatures."""
    signatures = " ".join(Webhook(secret).sign(message_id, at, body) for secret in secrets)
    return {
        "webhook-id": message_id,
        "webhook-timestamp": str(int(at.timestamp())),
        "webhook-signature": signatures,
        "content-type": "application/json",
        "user-agent": USER_AGENT,
    }


def post(target: Target, body: str, headers: dict[str, str], *, timeout_s: float) -> Outcome:
    """POST once to the checked address. Redirects are not followed (a redirect could point
    inside the network). The start of the reply is kept only from a public receiver: an
    allow-listed internal one could answer with a page of the internal network."""
    try:
        with (
            target.requests_session() as session,
            session.post(
                target.url,
                data=body.encode(),
                headers=headers,
                timeout=timeout_s,
                allow_redirects=False,
                stream=True,
            ) as response,
        ):
            snippet = (
                response.raw.read(SNIPPET_CHARS * 4, decode_content=True) if target.public else b""
            )
            return classify(response.status_code, response.headers.get("Retry-After"), snippet)
    except requests.Timeout:
        return Outcome(error=f"no response within {timeout_s:g} s", retryable=True)
    except requests.ConnectionError as exc:
        return Outcome(error=f"could not connect: {_os_reason(exc)}", retryable=True)
    except requests.RequestException as exc:
        return Outcome(error=f"request failed: {type(exc).__name__}")


def classify(status: int, retry_after: str | None, body: bytes = b"") -> Outcome:
    if 200 <= status < 300:
        return Outcome(status_code=status)
    error = f"HTTP {status}"
    if 300 <= status < 400:
        error += " (redirects are not followed: register the final URL)"
    snippet = _snippet(body)
    if snippet:
        error += f": {snippet}"
    if status >= 500 or status in RETRYABLE_STATUSES:
        return Outcome(
            status_code=status,
            error=error,
            retryable=True,
            retry_after_s=parse_retry_after(retry_after),
        )
    return Outcome(status_code=status, error=error)


def parse_retry_after(value: str | None, *, now: datetime | None = None) -> float | None:
    """Seconds, or an HTTP date (RFC 9110 §10.2.3); None when absent or unreadable."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, (when - (now or datetime.now(UTC))).total_seconds())


def retry_delay(
    *, attempt: int, retry_after_s: float | None, first_s: float, factor: float, most_s: float
) -> float:
    """The receiver's Retry-After when it gave one, else exponential back-off with ±25% jitter."""
    if retry_after_s is not None:
        return min(most_s, max(1.0, retry_after_s))
    return min(most_s, first_s * factor ** (attempt - 1)) * random.uniform(0.75, 1.25)  # noqa: S311


def _snippet(body: bytes) -> str:
    """The start of a response body, on one line, without control characters."""
    text = body.decode("utf-8", errors="replace")
    printable = "".join(c for c in text if c.isprintable() or c.isspace())
    return re.sub(r"\s+", " ", printable).strip()[:SNIPPET_CHARS]


def _os_reason(exc: BaseException) -> str:
    """The operating system's reason (connection refused, name unknown), never the message of
    requests, which repeats the URL (and whatever token a receiver put in it)."""
    seen = set()
    pending = [exc]
    while pending:
        current = pending.pop()
        if id(current) in seen:
            continue
        seen.add(id(current))
        if isinstance(current, OSError) and current.strerror:
            return current.strerror
        pending += [
            e
            for e in (
                current.__cause__,
                current.__context__,
                getattr(current, "reason", None),
                *getattr(current, "args", ()),
            )
            if isinstance(e, BaseException)
        ]
    return type(exc).__name__
