"""UQ's rule filters as pure functions: facts about one candidate in, failures out.

A preset is plain data (JSON). Each rule is one key; `null` (or false) switches it off.
`site_overrides` replaces single values for one site; `diamond` names the thresholds a kept
question must also meet to be marked diamond (the hardest, most popular subset).
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime

import jsonschema

UQ_DEFAULTS: dict = {
    "min_score": 5,
    "min_age_days": 730,
    "min_views": 500,
    "max_views_per_vote": 5000,
    "no_images": True,
    "title_banned_words": ["why"],
    "title_must_be_question": False,
    "title_min_chars": 15,
    "title_max_chars": 250,
    "blocked_tags": [
        "opinion", "recommendation", "homework", "soft-question", "big-list", "advice",
        "career", "self-learning", "book-recommendation",
    ],
    "site_overrides": {},
    "diamond": {"min_score": 50, "min_views": 10000},
}  # fmt: skip

_NUMBER = {"type": ["number", "null"], "minimum": 0}
_WORDS = {"type": "array", "items": {"type": "string", "minLength": 1}}
_RULE_PROPERTIES = {
    "min_score": {"type": ["integer", "null"]},
    "min_age_days": _NUMBER,
    "min_views": _NUMBER,
    "max_views_per_vote": _NUMBER,
    "no_images": {"type": "boolean"},
    "title_banned_words": _WORDS,
    "title_must_be_question": {"type": "boolean"},
    "title_min_chars": {"type": ["integer", "null"], "minimum": 0},
    "title_max_chars": {"type": ["integer", "null"], "minimum": 1},
    "blocked_tags": _WORDS,
}
SCHEMA = {
    "type": "object",
    "properties": {
        **_RULE_PROPERTIES,
        "site_overrides": {
            "type": "object",
            "additionalProperties": {"type": "object", "properties": _RULE_PROPERTIES,
                                     "additionalProperties": False},
        },
        "diamond": {
            "type": "object",
            "properties": {"min_score": {"type": ["integer", "null"]}, "min_views": _NUMBER},
            "additionalProperties": False,
        },
    },
    "additionalProperties": False,
}  # fmt: skip

IMAGE = re.compile(r"<img\b|!\[[^\]]*\]\([^)]*\)|\bi\.stack\.imgur\.com\b|\bi\.sstatic\.net\b", re.I)
QUESTION_START = re.compile(
    r"^(how|what|which|who|whom|whose|when|where|is|are|was|were|do|does|did|can|could|"
    r"should|would|will|may|might|must|has|have|had|why)\b",
    re.I,
)


@dataclass(frozen=True)
class Facts:
    site: str
    title: str
    body: str
    tags: list[str] = field(default_factory=list)
    score: int = 0
    views: int | None = None
    created_at: datetime | None = None


def schema_errors(rules) -> list[str]:
    validator = jsonschema.Draft202012Validator(SCHEMA)
    return [
        f"{'.'.join(str(p) for p in error.path) or '(preset)'}: {error.message}"
        for error in sorted(validator.iter_errors(rules), key=lambda e: list(e.path))
    ]


def effective_rules(rules: dict, site: str) -> dict:
    """The preset's rules with this site's overrides applied (missing keys: off)."""
    merged = {key: rules.get(key) for key in _RULE_PROPERTIES}
    merged.update(rules.get("site_overrides", {}).get(site, {}))
    return merged


# --- the rules: each returns why the candidate fails, or None -----------------------------


def min_score(facts: Facts, value, now: datetime) -> str | None:
    if facts.score < value:
        return f"score {facts.score} < {value}"
    return None


def min_age_days(facts: Facts, value, now: datetime) -> str | None:
    if facts.created_at is None:
        return "age unknown"
    age = (now - facts.created_at).total_seconds() / 86400
    if age < value:
        return f"{age:.0f} days old < {value:g}"
    return None


def min_views(facts: Facts, value, now: datetime) -> str | None:
    if facts.views is None:
        return "views unknown"
    if facts.views < value:
        return f"{facts.views} views < {value:g}"
    return None


def max_views_per_vote(facts: Facts, value, now: datetime) -> str | None:
    """Many views, few votes: widely seen and not found interesting (UQ: views/score ≤ 5000)."""
    if facts.views is None:
        return None  # min_views reports unknown views
    if facts.score <= 0:
        return "no positive score to divide views by"
    ratio = facts.views / facts.score
    if ratio > value:
        return f"{ratio:.0f} views per vote > {value:g}"
    return None


def no_images(facts: Facts, value, now: datetime) -> str | None:
    if IMAGE.search(facts.body or ""):
        return "the body has an image"
    return None


def title_banned_words(facts: Facts, value, now: datetime) -> str | None:
    for word in value:
        if re.search(rf"\b{re.escape(word)}\b", facts.title, re.I):
            return f"the title contains “{word}”"
    return None


def title_must_be_question(facts: Facts, value, now: datetime) -> str | None:
    title = facts.title.strip()
    if not (title.endswith("?") or QUESTION_START.match(title)):
        return "the title is not phrased as a question"
    return None


def title_min_chars(facts: Facts, value, now: datetime) -> str | None:
    if len(facts.title.strip()) < value:
        return f"title shorter than {value} characters"
    return None


def title_max_chars(facts: Facts, value, now: datetime) -> str | None:
    if len(facts.title.strip()) > value:
        return f"title longer than {value} characters"
    return None


def blocked_tags(facts: Facts, value, now: datetime) -> str | None:
    """A tag containing a blocked word (so `opinion` also blocks `opinion-based`)."""
    for tag in facts.tags:
        for blocked in value:
            if blocked.lower() in tag.lower():
                return f"tag “{tag}” is blocked"
    return None


RULES: dict[str, Callable[[Facts, object, datetime], str | None]] = {
    "min_score": min_score,
    "min_age_days": min_age_days,
    "min_views": min_views,
    "max_views_per_vote": max_views_per_vote,
    "no_images": no_images,
    "title_banned_words": title_banned_words,
    "title_must_be_question": title_must_be_question,
    "title_min_chars": title_min_chars,
    "title_max_chars": title_max_chars,
    "blocked_tags": blocked_tags,
}


@dataclass(frozen=True)
class Outcome:
    failures: list[tuple[str, str]]
    diamond: bool

    @property
    def kept(self) -> bool:
        return not self.failures


def evaluate(facts: Facts, rules: dict, now: datetime) -> Outcome:
    """Every failing rule, in preset order, and whether a kept question is diamond."""
    active = effective_rules(rules, facts.site)
    failures = []
    for name, check in RULES.items():
        value = active.get(name)
        if value is None or value is False or value == []:
            continue
        why = check(facts, value, now)
        if why:
            failures.append((name, why))
    return Outcome(failures=failures, diamond=not failures and is_diamond(facts, rules))


def is_diamond(facts: Facts, rules: dict) -> bool:
    thresholds = rules.get("diamond") or {}
    if not thresholds or all(v is None for v in thresholds.values()):
        return False
    if thresholds.get("min_score") is not None and facts.score < thresholds["min_score"]:
        return False
    wanted_views = thresholds.get("min_views")
    return wanted_views is None or (facts.views or 0) >= wanted_views


def report(outcomes: Iterable[Outcome]) -> dict:
    """How many candidates each rule removed: `removed_by` credits the first failing rule (a
    funnel that sums to `removed`); `failed` counts every rule a candidate failed."""
    total = kept = diamond = 0
    first: Counter[str] = Counter()
    every: Counter[str] = Counter()
    for outcome in outcomes:
        total += 1
        if outcome.kept:
            kept += 1
            diamond += outcome.diamond
            continue
        first[outcome.failures[0][0]] += 1
        every.update(name for name, _ in outcome.failures)
    return {
        "total": total,
        "kept": kept,
        "removed": total - kept,
        "diamond": diamond,
        "removed_by": {name: first[name] for name in RULES if first[name]},
        "failed": {name: every[name] for name in RULES if every[name]},
    }
