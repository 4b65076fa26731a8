"""Parsing one UQ question record (either shape) into a validated, normalised record.

Pure functions: no database. Both the published dataset's shape (``question_id``,
``votes``, ``diamond`` …) and UQ's crawler shape (``id``, ``score``, ``body_markdown``,
``views``, ``creation_date`` …) are accepted; unknown fields are ignored.
"""

import hashlib
import json
import re
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from urllib.parse import urlparse

from django.utils.dateparse import parse_datetime
from django.utils.text import slugify

MAX_TITLE = 500
MAX_BODY = 200_000
MAX_TAGS = 20
MAX_TAG = 100
SE_TAGS = re.compile(r"<([^<>]+)>")


class RecordError(ValueError):
    """A record that cannot be imported; the message says which field and why."""


@dataclass(frozen=True, slots=True)
class QuestionRecord:
    external_id: str
    site: str
    title: str
    body: str
    body_markdown: str = ""
    category: str = ""
    tags: list[str] = field(default_factory=list)
    link: str = ""
    votes: int = 0
    views: int | None = None
    diamond: bool = False
    comment_count: int = 0
    source_created_at: datetime | None = None
    extra: dict = field(default_factory=dict)

    @property
    def content_hash(self) -> str:
        data = asdict(self)
        data["source_created_at"] = self.source_created_at.isoformat() if self.source_created_at else None
        canonical = json.dumps(data, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
        return hashlib.sha256(canonical.encode()).hexdigest()


def parse_line(line: str, *, default_site: str = "") -> QuestionRecord:
    try:
        data = json.loads(line)
    except json.JSONDecodeError as exc:
        raise RecordError(f"not valid JSON: {exc.msg} at column {exc.colno}") from None
    if not isinstance(data, dict):
        raise RecordError(f"expected a JSON object, got {type(data).__name__}")
    return parse_record(data, default_site=default_site)


def parse_record(data: dict, *, default_site: str = "") -> QuestionRecord:
    body_markdown = _text(data, "body_markdown", required=False, limit=MAX_BODY)
    body = _text(data, "body", required=not body_markdown, limit=MAX_BODY)
    extra = {}
    if isinstance(data.get("comments"), list):
        extra["comments"] = data["comments"][:50]
    return QuestionRecord(
        external_id=_external_id(data),
        site=_site(data, default_site),
        title=_text(data, "title", required=True, limit=MAX_TITLE),
        # The crawler's "body" is plain text: its Markdown is the better display body.
        body=body_markdown or body,
        body_markdown=body_markdown,
        category=_text(data, "category", required=False, limit=100),
        tags=_tags(data.get("tags")),
        link=_link(data.get("link")),
        votes=_integer(data, "votes" if "votes" in data else "score", default=0),
        views=_integer(data, "views", default=None, minimum=0),
        diamond=_flag(data.get("diamond", 0)),
        comment_count=_integer(data, "comment_count", default=0, minimum=0),
        source_created_at=_timestamp(data.get("creation_date")),
        extra=extra,
    )


def _external_id(data: dict) -> str:
    key = "question_id" if "question_id" in data else "id"
    value = data.get(key)
    if isinstance(value, bool) or not isinstance(value, str | int):
        raise RecordError("question_id (or id): required, a string or an integer")
    value = str(value).strip()
    if not value or len(value) > 200:
        raise RecordError("question_id (or id): must be 1 to 200 characters")
    return value


def _text(data: dict, name: str, *, required: bool, limit: int) -> str:
    value = data.get(name)
    if value is None or value == "":
        if required:
            raise RecordError(f"{name}: required, a non-empty string")
        return ""
    if not isinstance(value, str):
        raise RecordError(f"{name}: expected a string, got {type(value).__name__}")
    value = value.strip().replace("\x00", "")
    if required and not value:
        raise RecordError(f"{name}: required, a non-empty string")
    if len(value) > limit:
        raise RecordError(f"{name}: {len(value)} characters, the limit is {limit}")
    return value


def _site(data: dict, default_site: str) -> str:
    raw = data.get("site") or default_site
    if not isinstance(raw, str) or not raw.strip():
        raise RecordError("site: required (or pass --site), e.g. 'math' or 'mathoverflow'")
    slug = slugify(raw.strip().removesuffix(".stackexchange.com"))
    if not slug:
        raise RecordError(f"site: {raw!r} has no usable name")
    return slug[:100]


def _tags(value) -> list[str]:
    if value is None or value == "":
        return []
    if isinstance(value, str):
        value = SE_TAGS.findall(value) or value.split()
    if not isinstance(value, list) or not all(isinstance(t, str) for t in value):
        raise RecordError("tags: expected a list of strings")
    tags = list(dict.fromkeys(t.strip().lower() for t in value if t.strip()))
    if len(tags) > MAX_TAGS:
        raise RecordError(f"tags: {len(tags)} tags, the limit is {MAX_TAGS}")
    if any(len(t) > MAX_TAG or '"' in t for t in tags):
        raise RecordError(f"tags: each tag at most {MAX_TAG} characters, without quotes")
    return tags


def _link(value) -> str:
    if value in (None, ""):
        return ""
    if not isinstance(value, str):
        raise RecordError("link: expected a URL string")
    parsed = urlparse(value.strip())
    if parsed.scheme not in ("http", "https") or not parsed.netloc or len(value) > 500:
        raise RecordError(f"link: {value[:80]!r} is not an http(s) URL of at most 500 characters")
    return value.strip()


def _integer(data: dict, name: str, *, default, minimum: int | None = None):
    value = data.get(name)
    if value is None:
        return default
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, bool) or not isinstance(value, int):
        raise RecordError(f"{name}: expected an integer, got {value!r}")
    if minimum is not None and value < minimum:
        raise RecordError(f"{name}: must be at least {minimum}, got {value}")
    if abs(value) > 2**31 - 1:
        raise RecordError(f"{name}: {value} is out of range")
    return value


def _flag(value) -> bool:
    if value in (0, 1, True, False):
        return bool(value)
    raise RecordError(f"diamond: expected 0 or 1, got {value!r}")


def _timestamp(value) -> datetime | None:
    if value in (None, ""):
        return None
    if isinstance(value, int | float) and not isinstance(value, bool):
        try:
            return datetime.fromtimestamp(value, tz=UTC)
        except (OverflowError, OSError, ValueError):
            raise RecordError(f"creation_date: {value!r} is not a valid Unix time") from None
    if isinstance(value, str):
        try:
            parsed = parse_datetime(value.strip())
        except ValueError:
            parsed = None
        if parsed is None:
            raise RecordError(f"creation_date: {value!r} is not an ISO 8601 date-time")
        return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)
    raise RecordError(f"creation_date: expected an ISO 8601 string, got {value!r}")
