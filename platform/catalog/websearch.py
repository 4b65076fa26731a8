"""The search box's syntax, parsed the way PostgreSQL's `websearch_to_tsquery('english', …)` reads it.

Words are all required, `"a phrase"` must appear in that order, `-word` and `-"a phrase"` exclude,
and `or` between two items accepts either (`and` binds tighter: `a b or c` is `(a b) or c`).
Every other character is ordinary text: `( ) : * ^ NEAR` and column names mean nothing, an
unbalanced quote runs to the end, and English stop words ("the", "of", …) are not searched.

PostgreSQL parses the query itself; this parser is what SQLite's FTS5 is given instead of the
user's text (`Parsed.fts5_positive`, `fts5_negative_only`), and what tells both backends apart
from a query with nothing to search for. Pure Python: no Django.
"""

import re
from dataclasses import dataclass, field

# PostgreSQL's english.stop (src/backend/snowball/stopwords/english.stop), in its order.
_ENGLISH_STOP = """
i me my myself we our ours ourselves you your yours yourself yourselves he him his himself she her
hers herself it its itself they them their theirs themselves what which who whom this that these
those am is are was were be been being have has had having do does did doing a an the and but if
or because as until while of at by for with about against between into through during before
after above below to from up down in out on off over under again further then once here there when
where why how all any both each few more most other some such no nor not only own same so than too
very s t can will just don should now
"""
STOP_WORDS = frozenset(_ENGLISH_STOP.split())

# Characters that end an operand, as in websearch_to_tsquery (measured against PostgreSQL 15).
OPERAND_BREAKS = frozenset('!&|():<"')
WORD = re.compile(r"[^\W_]+")  # letters and digits: what both tokenizers keep


@dataclass(frozen=True)
class Term:
    """One word, or several that must be adjacent and in order (a phrase)."""

    words: tuple[str, ...]
    negated: bool = False

    def fts5(self) -> str:
        # A quoted FTS5 string is never an operator, column filter, prefix or NEAR.
        text = " ".join(self.words).replace('"', '""')
        return f'"{text}"'


@dataclass(frozen=True)
class Group:
    """Terms that must all hold (an AND); groups are joined by `or`."""

    terms: tuple[Term, ...]

    @property
    def included(self) -> list[Term]:
        return [t for t in self.terms if not t.negated]

    @property
    def excluded(self) -> list[Term]:
        return [t for t in self.terms if t.negated]


@dataclass(frozen=True)
class Parsed:
    groups: tuple[Group, ...] = field(default_factory=tuple)

    @property
    def searchable(self) -> bool:
        """False when nothing is left to search for (only stop words or punctuation)."""
        return bool(self.groups)

    def fts5_positive(self) -> str | None:
        """One FTS5 MATCH expression for the groups that include something, or None."""
        parts = []
        for group in self.groups:
            if not group.included:
                continue
            expr = "(" + " AND ".join(t.fts5() for t in group.included) + ")"
            if group.excluded:
                expr = f"({expr} NOT ({' OR '.join(t.fts5() for t in group.excluded)}))"
            parts.append(expr)
        return " OR ".join(parts) or None

    def fts5_negative_only(self) -> list[str]:
        """For each group of exclusions only, what a matching question must not contain.

        FTS5's NOT is binary (`a NOT b`): "everything but b" is a NOT IN on the caller's side.
        """
        return [
            " OR ".join(t.fts5() for t in group.excluded)
            for group in self.groups
            if not group.included
        ]


def parse(text: str) -> Parsed:
    groups: list[list[Term]] = [[]]
    for item in _items(text):
        if item is None:  # `or`
            if groups[-1]:
                groups.append([])
            continue
        groups[-1].append(item)
    kept = tuple(Group(tuple(g)) for g in groups if g)
    return Parsed(kept)


def _items(text: str):
    """Yield Terms (stop words dropped) and None for each `or`, left to right."""
    i, n, negated = 0, len(text), False
    while i < n:
        char = text[i]
        if char == ":":  # PostgreSQL reads `:-` as a position label, not as a minus
            i += 1
            while i < n and text[i] == "-":
                i += 1
        elif char.isspace() or (char in OPERAND_BREAKS and char != '"'):
            i += 1
        elif char == "-":
            negated = not negated  # `--x` is x, as in PostgreSQL
            i += 1
        elif char == '"':
            end = text.find('"', i + 1)
            end = n if end < 0 else end
            term = _term(text[i + 1 : end], negated)
            negated, i = False, end + 1
            if term:
                yield term
        elif not negated and _is_or(text, i):
            yield None
            i += 2
        else:
            end = i
            while end < n and not (text[end].isspace() or text[end] in OPERAND_BREAKS):
                end += 1
            operand, i = text[i:end], end
            term = _term(operand, negated)
            negated = False
            if term:
                yield term


def _is_or(text: str, i: int) -> bool:
    """`or` at i, not followed by a letter, digit, `-` or `_` (`orbit`, `or-else` are words)."""
    if text[i : i + 2].lower() != "or":
        return False
    after = text[i + 2 : i + 3]
    return not (after.isalnum() or after in ("-", "_"))


def _term(text: str, negated: bool) -> Term | None:
    """Its words, without the stop words at either end (PostgreSQL drops those too)."""
    words = [w.lower() for w in WORD.findall(text)]
    while words and words[0] in STOP_WORDS:
        words.pop(0)
    while words and words[-1] in STOP_WORDS:
        words.pop()
    return Term(tuple(words), negated) if words else None
