"""The catalogue at scale: question import (rate, memory) and the question list's pages.

Generates its own UQ-shaped questions, imports them with `manage.py import_questions` and
times the list page, a filtered list and three searches in-process. Every figure comes with a
reference measured in the same run; see bench/README.md. Call `run()` after django.setup().
"""

import json
import os
import random
import subprocess
import sys
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from itertools import islice
from pathlib import Path
from urllib.parse import urlencode

from benchenv import Figure, percentile
from django.conf import settings
from django.db import connection, transaction
from django.http import QueryDict
from django.test import Client
from django.test.utils import CaptureQueriesContext

from catalog import selectors
from catalog.management.commands.import_questions import BATCH_SIZE
from catalog.models import Question, Site
from catalog.services import SiteCache

ROOT = Path(__file__).resolve().parents[1]
SEED = 20250101
SOURCE = "bench"
IMPORT_TARGET = 2_000  # questions per second
PAGE_TARGET_MS = 50  # p50
WARM_UP = 5

VOCABULARY_SIZE = 20_000
TAG_COUNT = 500
COMMON_WORD_RANK = 10  # in about two thirds of the questions
RARE_WORD_RANK = VOCABULARY_SIZE - 1  # in about 0.06%
CONSONANTS = "bcdfghklmnprstvz"
VOWELS = "aeiou"
# slug, category, share of the questions
SITES = [
    ("math", "math", 30), ("mathoverflow", "math", 15), ("physics", "science", 12),
    ("cstheory", "technology", 8), ("stats", "math", 8), ("chemistry", "science", 6),
    ("biology", "science", 6), ("philosophy", "culture", 5), ("english", "culture", 5),
    ("unix", "technology", 5),
]  # fmt: skip


# --- data ---------------------------------------------------------------------------------


class Corpus:
    """Zipf-distributed pseudo-words and tags, the same for a given seed."""

    def __init__(self, rng: random.Random) -> None:
        self.words = _unique_words(rng, VOCABULARY_SIZE, syllables=(2, 4))
        self.tags = _unique_words(rng, TAG_COUNT, syllables=(2, 3))
        self._word_weights = _zipf_cumulative(VOCABULARY_SIZE)
        self._tag_weights = _zipf_cumulative(TAG_COUNT)
        self._site_weights = list(_cumulative([share for _, _, share in SITES]))

    def text(self, rng: random.Random, count: int) -> list[str]:
        return rng.choices(self.words, cum_weights=self._word_weights, k=count)

    def some_tags(self, rng: random.Random) -> list[str]:
        picked = rng.choices(self.tags, cum_weights=self._tag_weights, k=rng.randint(1, 4))
        return list(dict.fromkeys(picked))

    def site(self, rng: random.Random) -> tuple[str, str, int]:
        return rng.choices(SITES, cum_weights=self._site_weights)[0]


def _unique_words(rng: random.Random, count: int, syllables: tuple[int, int]) -> list[str]:
    words: dict[str, None] = {}
    while len(words) < count:
        parts = rng.randint(*syllables)
        words["".join(rng.choice(CONSONANTS) + rng.choice(VOWELS) for _ in range(parts))] = None
    return list(words)


def _cumulative(weights):
    total = 0.0
    for weight in weights:
        total += weight
        yield total


def _zipf_cumulative(size: int) -> list[float]:
    return list(_cumulative(1 / rank for rank in range(1, size + 1)))


def question_record(number: int, rng: random.Random, corpus: Corpus) -> dict:
    slug, category, _ = corpus.site(rng)
    question_id = 1_000_000 + number
    host = "mathoverflow.net" if slug == "mathoverflow" else f"{slug}.stackexchange.com"
    return {
        "question_id": str(question_id),
        "title": _sentence(corpus.text(rng, rng.randint(6, 14)), "?"),
        "body": _body(rng, corpus, rng.randint(300, 1400)),
        "site": slug,
        "category": category,
        "tags": corpus.some_tags(rng),
        "link": f"https://{host}/questions/{question_id}",
        "votes": min(int(rng.paretovariate(1.2)) - 1, 5_000),
        "diamond": int(rng.random() < 0.05),
    }


def _sentence(words: list[str], end: str = ".") -> str:
    return " ".join(words).capitalize() + end


def _body(rng: random.Random, corpus: Corpus, length: int) -> str:
    """HTML paragraphs of pseudo-sentences, `length` characters give or take a sentence."""
    paragraphs, sentences, size = [], [], 0
    while size < length:
        sentence = _sentence(corpus.text(rng, rng.randint(5, 18)))
        sentences.append(sentence)
        size += len(sentence) + 1
        if len(sentences) == 4 or size >= length:
            paragraphs.append(f"<p>{' '.join(sentences)}</p>")
            sentences = []
    return "\n".join(paragraphs)


def write_questions(path: Path, count: int) -> Corpus:
    rng = random.Random(SEED)
    corpus = Corpus(rng)
    with path.open("w", encoding="utf-8") as out:
        for number in range(count):
            out.write(json.dumps(question_record(number, rng, corpus)) + "\n")
    return corpus


def copy_head(source: Path, dest: Path, lines: int) -> None:
    with source.open("rb") as src, dest.open("wb") as out:
        out.writelines(islice(src, lines))


# --- database -----------------------------------------------------------------------------


def empty_catalog() -> None:
    """Remove the benchmark's questions, refusing to touch anything it did not write."""
    foreign = Question.objects.exclude(source=SOURCE).count()
    busy = [table for table in _tables_referring_to_questions() if _has_rows(table)]
    found = [f"{foreign:,} question(s) it did not import"] if foreign else []
    found += [f"rows in {', '.join(busy)}"] if busy else []
    if found:
        raise SystemExit(
            f"The benchmark stops: the database holds {' and '.join(found)}. "
            "Point --database-url at a database of its own."
        )
    with connection.cursor() as cursor:
        cursor.execute("TRUNCATE catalog_question RESTART IDENTITY CASCADE")


def _tables_referring_to_questions() -> list[str]:
    """Every table TRUNCATE … CASCADE would empty, but the question import's own two."""
    with connection.cursor() as cursor:
        cursor.execute(
            """
            WITH RECURSIVE refs(rel) AS (
              SELECT 'catalog_question'::regclass
              UNION
              SELECT c.conrelid::regclass FROM pg_constraint c JOIN refs ON c.confrelid = refs.rel
              WHERE c.contype = 'f'
            )
            SELECT rel::text FROM refs
            """
        )
        tables = {row[0] for row in cursor.fetchall()}
    return sorted(tables - {"catalog_question", "catalog_questiontransition"})


def _has_rows(table: str) -> bool:
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT EXISTS (SELECT 1 FROM {connection.ops.quote_name(table)})")
        return cursor.fetchone()[0]


def vacuum_analyze() -> None:
    """What autovacuum does shortly after a large import: fresh statistics for the planner."""
    with connection.cursor() as cursor:
        cursor.execute("VACUUM (ANALYZE) catalog_question")
        cursor.execute("VACUUM (ANALYZE) catalog_questiontransition")


def raw_insert_rate(path: Path) -> float:
    """Questions/s of plain bulk_create in batches like the import's, timing only the writes."""
    sites, elapsed, count = SiteCache(), 0.0, 0
    with path.open(encoding="utf-8") as lines:
        while records := list(islice(lines, BATCH_SIZE)):
            batch = [_raw_row(json.loads(line), sites) for line in records]
            start = time.perf_counter()
            with transaction.atomic():
                Question.objects.bulk_create(batch)
            elapsed += time.perf_counter() - start
            count += len(batch)
    return count / elapsed


def _raw_row(record: dict, sites: SiteCache) -> Question:
    site = sites.get(record["site"])
    return Question(
        source=SOURCE,
        external_id=record["question_id"],
        site=site,
        title=record["title"],
        body=record["body"],
        category=record["category"],
        tags=record["tags"],
        link=record["link"],
        licence=site.licence,
        attribution=site.attribution,
        votes=record["votes"],
        diamond=bool(record["diamond"]),
        content_hash="0" * 64,
        last_activity_at=datetime(2025, 1, 1, tzinfo=UTC),
    )


# --- import -------------------------------------------------------------------------------


@dataclass(frozen=True)
class ImportRun:
    seconds: float
    peak_rss_mb: float


def run_import(path: Path, log: Path) -> ImportRun:
    """Time `manage.py import_questions` in a subprocess and read its own peak RSS (wait4)."""
    command = [sys.executable, str(ROOT / "manage.py"), "import_questions", str(path),
               "--source", SOURCE, "--no-progress"]  # fmt: skip
    start = time.perf_counter()
    with log.open("wb") as out:
        process = subprocess.Popen(command, stdout=out, stderr=subprocess.STDOUT, cwd=ROOT)
        _, status, usage = os.wait4(process.pid, 0)
    seconds = time.perf_counter() - start
    process.returncode = os.waitstatus_to_exitcode(status)
    if process.returncode:
        raise RuntimeError(f"import_questions failed ({process.returncode}):\n{log.read_text()}")
    return ImportRun(seconds=seconds, peak_rss_mb=usage.ru_maxrss / 1024)


# --- pages --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Page:
    name: str
    params: dict

    @property
    def url(self) -> str:
        return "/?" + urlencode(self.params) if self.params else "/"


def pages(corpus: Corpus) -> list[Page]:
    site = max(SITES, key=lambda s: s[2])[0]
    common, rare = corpus.words[COMMON_WORD_RANK], corpus.words[RARE_WORD_RANK]
    return [
        Page("list", {}),
        Page(f"site={site} + tag={corpus.tags[0]}", {"site": site, "tag": corpus.tags[0]}),
        Page(f"search common q={common}", {"q": common}),
        Page(f"search rare q={rare}", {"q": rare}),
        Page(f"search common q={common}, best match", {"q": common, "sort": "relevance"}),
    ]


def time_page(client: Client, page: Page, requests: int) -> list[float]:
    samples = []
    for index in range(WARM_UP + requests):
        start = time.perf_counter()
        response = client.get(page.url)
        elapsed = time.perf_counter() - start
        if response.status_code != 200:
            raise RuntimeError(f"{page.url} answered {response.status_code}")
        if index >= WARM_UP:
            samples.append(elapsed * 1000)
    return samples


def raw_query(page: Page) -> int:
    """The page's own queryset, evaluated as the page does: one page of rows and the count."""
    questions = selectors.question_filter(QueryDict(urlencode(page.params))).qs
    list(questions[: settings.QUORUM_PAGE_SIZE])
    return questions.count()


def time_raw(page: Page, requests: int) -> list[float]:
    samples = []
    for index in range(WARM_UP + requests):
        start = time.perf_counter()
        raw_query(page)
        if index >= WARM_UP:
            samples.append((time.perf_counter() - start) * 1000)
    return samples


def page_queries(client: Client, page: Page) -> list[str]:
    with CaptureQueriesContext(connection) as captured:
        client.get(page.url)
    return [query["sql"] for query in captured.captured_queries]


def page_figures(page: Page, client: Client, requests: int) -> list[Figure]:
    served, raw = time_page(client, page, requests), time_raw(page, requests)
    matches = raw_query(page)
    return [
        Figure(f"{page.name}: p50 ms (target < {PAGE_TARGET_MS})", percentile(served, 50),
               "raw ORM p50 ms", percentile(raw, 50)),
        Figure(f"{page.name}: p99 ms", percentile(served, 99),
               "raw ORM p99 ms", percentile(raw, 99)),
        Figure(f"{page.name}: SQL queries ({matches:,} questions)", len(page_queries(client, page))),
    ]  # fmt: skip


def explain(client: Client, page: Page) -> str:
    """EXPLAIN (ANALYZE, BUFFERS) of every query the page runs."""
    plans = []
    with connection.cursor() as cursor:
        for sql in page_queries(client, page):
            cursor.execute(f"EXPLAIN (ANALYZE, BUFFERS) {sql}")
            plans.append(sql + "\n" + "\n".join(row[0] for row in cursor.fetchall()))
    return f"== {page.name}: {page.url}\n" + "\n\n".join(plans)


# --- the benchmark ------------------------------------------------------------------------


@dataclass
class Options:
    questions: int
    requests: int
    workdir: Path
    keep: bool = False
    explain: bool = False


def run(options: Options, say=print) -> tuple[list[Figure], list[str]]:
    """Every figure of this benchmark, and the EXPLAIN output when asked for."""
    full, small = options.workdir / "questions.jsonl", options.workdir / "questions-small.jsonl"
    small_count = max(1, options.questions // 10)
    empty_catalog()
    known_sites = set(Site.objects.values_list("slug", flat=True))
    say(f"generating {options.questions:,} questions")
    corpus = write_questions(full, options.questions)
    copy_head(full, small, small_count)
    say("reference: raw bulk_create")
    raw_rate = raw_insert_rate(full)
    empty_catalog()
    say(f"importing {small_count:,} questions")
    small_run = run_import(small, options.workdir / "import-small.log")
    empty_catalog()
    say(f"importing {options.questions:,} questions")
    full_run = run_import(full, options.workdir / "import.log")
    vacuum_analyze()
    figures = import_figures(options.questions, small_count, full_run, small_run, raw_rate)
    say(f"timing pages ({options.requests} requests each)")
    client = Client()
    for page in pages(corpus):
        figures += page_figures(page, client, options.requests)
    plans = [explain(client, page) for page in pages(corpus)] if options.explain else []
    if not options.keep:
        empty_catalog()
        Site.objects.filter(slug__in={s[0] for s in SITES} - known_sites).delete()
    return figures, plans


def import_figures(
    count: int, small_count: int, full: ImportRun, small: ImportRun, raw_rate: float
) -> list[Figure]:
    return [
        Figure(f"import q/s, {count:,} questions (target >= {IMPORT_TARGET:,})",
               count / full.seconds, "raw bulk_create q/s", raw_rate),
        Figure(f"import peak RSS MB, {count:,} lines", full.peak_rss_mb,
               f"import peak RSS MB, {small_count:,} lines", small.peak_rss_mb),
    ]  # fmt: skip
