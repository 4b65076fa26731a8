"""Reading a decision out of a judge's reply.

Unlike UQ (first `[[Y]]`/`[[N]]` wins, no tag means reject) the *last* tag counts, so an
echoed format instruction early in the reply cannot decide; a JSON reply
(`{"verdict": "Y"}`) is read too; text before a closing `</think>` is a reasoning trace and
is ignored; and no decision at all is reported as `None`, for the caller to retry and
finally record as abstain.
"""

from __future__ import annotations

import json
import math
import re
from dataclasses import dataclass

from .backends.base import TokenLogprob

TAG = re.compile(r"\[\[\s*(Y|N|YES|NO)\s*\]\]", re.IGNORECASE)
JSON_VERDICT = re.compile(r'"(?:verdict|decision)"\s*:\s*"\s*(Y|N|YES|NO|ACCEPT|REJECT)\b', re.I)
_POSITIVE = {"Y", "YES", "ACCEPT"}


@dataclass(frozen=True)
class Parsed:
    decision: str | None  # "Y", "N" or None (no decision found)
    method: str | None  # "tag" | "json" | None
    offset: int | None  # index in the *full* text of the decision's first letter


def strip_reasoning(text: str) -> tuple[str, int]:
    """The text after the last `</think>`, and where it starts in the original."""
    marker = "</think>"
    idx = text.rfind(marker)
    if idx < 0:
        return text, 0
    start = idx + len(marker)
    return text[start:], start


def _norm(word: str) -> str:
    return "Y" if word.upper() in _POSITIVE else "N"


def _last_tag(text: str, base: int) -> Parsed | None:
    matches = list(TAG.finditer(text))
    if not matches:
        return None
    m = matches[-1]
    return Parsed(_norm(m.group(1)), "tag", base + m.start(1))


def _json(text: str, base: int) -> Parsed | None:
    body = text.strip()
    fence = re.match(r"^```(?:json)?\s*(.*?)\s*```$", body, re.S)
    if fence:
        body = fence.group(1)
    try:
        obj = json.loads(body)
    except ValueError:
        obj = None
    if isinstance(obj, dict):
        value = obj.get("verdict", obj.get("decision"))
        if isinstance(value, bool):
            return Parsed("Y" if value else "N", "json", None)
        if isinstance(value, str) and value.strip().upper() in _POSITIVE | {"N", "NO", "REJECT"}:
            m = list(JSON_VERDICT.finditer(text))
            return Parsed(_norm(value.strip()), "json", base + m[-1].start(1) if m else None)
    matches = list(JSON_VERDICT.finditer(text))
    if matches:
        m = matches[-1]
        return Parsed(_norm(m.group(1)), "json", base + m.start(1))
    return None


def parse_verdict(text: str, fmt: str = "tag") -> Parsed:
    """The judge's decision: the last tag, or a JSON verdict ("json" format tries JSON first)."""
    body, base = strip_reasoning(text or "")
    order = (_json, _last_tag) if fmt == "json" else (_last_tag, _json)
    for reader in order:
        found = reader(body, base)
        if found is not None:
            return found
    return Parsed(None, None, None)


def p_yes(text: str, tokens: list[TokenLogprob] | None, offset: int | None) -> float | None:
    """P(yes) at the decision token, from the top alternatives the server returned.

    Finds the token covering the decision letter, then sums the probability of the
    alternatives that would have written Y (or N) at that place: P(Y) / (P(Y) + P(N)).
    """
    if not tokens or offset is None:
        return None
    joined = "".join(t.token for t in tokens)
    if joined != text:
        # Some servers strip the reply; align on the tail if that is all that differs.
        shift = joined.find(text)
        if shift < 0:
            return None
        offset += shift
    pos = 0
    for tok in tokens:
        end = pos + len(tok.token)
        if pos <= offset < end:
            prefix = joined[pos:offset]
            py = pn = 0.0
            alternatives = tok.top or [(tok.token, tok.logprob)]
            if all(alt != tok.token for alt, _ in alternatives):
                alternatives = [*alternatives, (tok.token, tok.logprob)]
            for alt, logprob in alternatives:
                if not alt.startswith(prefix) or len(alt) <= len(prefix):
                    continue
                letter = alt[len(prefix)].upper()
                if letter == "Y":
                    py += math.exp(logprob)
                elif letter == "N":
                    pn += math.exp(logprob)
            if py + pn == 0:
                return None
            return py / (py + pn)
        pos = end
    return None
