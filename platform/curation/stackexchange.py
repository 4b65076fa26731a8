"""A small Stack Exchange API 2.3 client (no database): pages, quota, backoff, errors.

Every response is wrapped: `items`, `has_more`, `quota_max`, `quota_remaining` and, when the
API wants the caller to slow down, `backoff` (seconds before calling the same method again).
Errors come in the same wrapper as `error_id`, `error_name` and `error_message`.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from urllib.parse import urlparse

import requests

# 500 internal_error, 502 throttle_violation, 503 temporarily_unavailable: try again later.
TRANSIENT_ERRORS = {500, 502, 503}
MAX_IDS = 100
METHODS = {"unanswered": "/questions/unanswered", "no-answers": "/questions/no-answers"}


class StackExchangeError(Exception):
    def __init__(self, error_id: int, error_name: str, message: str):
        super().__init__(f"{error_name} ({error_id}): {message}")
        self.error_id = error_id
        self.error_name = error_name

    @property
    def transient(self) -> bool:
        return self.error_id in TRANSIENT_ERRORS


@dataclass(frozen=True)
class Page:
    items: list[dict] = field(default_factory=list)
    has_more: bool = False
    quota_max: int | None = None
    quota_remaining: int | None = None
    backoff: int | None = None

    @property
    def quota_exhausted(self) -> bool:
        return self.quota_remaining is not None and self.quota_remaining <= 0


class StackExchangeClient:
    def __init__(
        self, *, base_url: str, key: str = "", timeout_s: float = 30.0, page_size: int = 100,
        session: requests.Session | None = None, sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.monotonic,
    ):  # fmt: skip
        self.base_url = base_url.rstrip("/")
        self.key = key
        self.timeout_s = timeout_s
        self.page_size = page_size
        self.session = session or requests.Session()
        self.sleep = sleep
        self.clock = clock
        self._not_before: dict[str, float] = {}

    def unanswered(self, *, site: str, page: int, method: str = "unanswered", sort: str = "votes",
                   fromdate: int | None = None, todate: int | None = None, tagged: str = "",
                   min_votes: int | None = None) -> Page:  # fmt: skip
        params = {"site": site, "page": page, "pagesize": self.page_size, "order": "desc",
                  "sort": sort, "filter": "withbody", "fromdate": fromdate, "todate": todate,
                  "tagged": tagged or None,
                  "min": min_votes if sort == "votes" else None}  # fmt: skip
        return self._get(method, METHODS[method], params)

    def questions(self, *, site: str, ids: list[int]) -> Page:
        """Up to 100 questions by id (answered or not), e.g. to see whether they still are."""
        if not 0 < len(ids) <= MAX_IDS:
            raise ValueError(f"1 to {MAX_IDS} ids per request")
        path = "/questions/" + ";".join(str(i) for i in ids)
        params = {"site": site, "pagesize": MAX_IDS, "filter": "default"}
        return self._get("questions-by-id", path, params)

    def _get(self, method: str, path: str, params: dict) -> Page:
        wait = self._not_before.get(method, 0.0) - self.clock()
        if wait > 0:
            self.sleep(wait)
        if self.key:
            params = {**params, "key": self.key}
        params = {k: v for k, v in params.items() if v is not None}
        try:
            response = self.session.get(self.base_url + path, params=params, timeout=self.timeout_s)
            data = response.json()
        except requests.RequestException as exc:
            raise StackExchangeError(503, "unreachable", type(exc).__name__) from None
        except ValueError:
            raise StackExchangeError(
                response.status_code, "bad_response", "the response is not JSON"
            ) from None
        if not isinstance(data, dict):
            raise StackExchangeError(response.status_code, "bad_response", "not a JSON object")
        if data.get("backoff"):
            self._not_before[method] = self.clock() + float(data["backoff"])
        if "error_id" in data:
            raise StackExchangeError(int(data["error_id"]), str(data.get("error_name", "")),
                                     str(data.get("error_message", "")))  # fmt: skip
        return Page(
            items=list(data.get("items") or []), has_more=bool(data.get("has_more")),
            quota_max=data.get("quota_max"), quota_remaining=data.get("quota_remaining"),
            backoff=data.get("backoff"),
        )  # fmt: skip


def question_ref(link: str) -> tuple[str, int] | None:
    """(site host, question id) from a Stack Exchange question URL, or None."""
    parsed = urlparse(link or "")
    parts = parsed.path.strip("/").split("/")
    host = (parsed.hostname or "").lower()
    if len(parts) >= 2 and parts[0] in ("questions", "q") and parts[1].isdigit() and host:
        return host, int(parts[1])
    return None
