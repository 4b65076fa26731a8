import sys
from itertools import islice
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from tqdm import tqdm

from catalog.models import QuestionState
from catalog.records import RecordError, parse_line
from catalog.services import ImportOutcome, NumberedRecord, SiteCache, question_import_batch

BATCH_SIZE = 500
MAX_LINE_BYTES = 1_000_000


class Command(BaseCommand):
    help = (
        "Import UQ question records (JSON Lines, either the published dataset's or the crawler's "
        "shape). Upserts on (source, id); bad lines are reported and skipped."
    )

    def add_arguments(self, parser):
        parser.add_argument("file", help="A .jsonl file, or - for standard input.")
        parser.add_argument("--source", default="uq", help="Collection name (default: uq).")
        parser.add_argument("--site", default="", help="Site for records that name none.")
        parser.add_argument(
            "--state",
            choices=[QuestionState.OPEN, QuestionState.DRAFT],
            default=QuestionState.OPEN,
            help="State of newly created questions (default: open).",
        )
        parser.add_argument(
            "--draft", action="store_const", const=QuestionState.DRAFT, dest="state",
            help="Import as draft candidates for curation (same as --state draft).",
        )
        parser.add_argument("--strict", action="store_true", help="Exit 1 if any line was bad.")
        parser.add_argument("--dry-run", action="store_true", help="Validate only; write nothing.")
        parser.add_argument("--no-progress", action="store_true", help="Hide the progress bar.")

    def handle(self, *args, **opts):
        stream, total_bytes = self._open(opts["file"])
        outcome = ImportOutcome()
        bad: list[tuple[int, str]] = []
        lines = blank = 0
        sites = SiteCache()
        bar = tqdm(
            total=total_bytes, unit="B", unit_scale=True, desc="importing", file=sys.stderr,
            disable=opts["no_progress"] or None, mininterval=0.5,
        )  # fmt: skip
        with stream, bar:
            numbered = enumerate(stream, start=1)
            while chunk := list(islice(numbered, BATCH_SIZE)):
                batch = []
                for number, raw in chunk:
                    lines += 1
                    bar.update(len(raw))
                    if not raw.strip():
                        blank += 1
                        continue
                    try:
                        batch.append(NumberedRecord(number, self._parse(raw, opts["site"])))
                    except RecordError as exc:
                        bad.append((number, str(exc)))
                        self._report(number, str(exc), bar)
                if batch and not opts["dry_run"]:
                    done = question_import_batch(
                        items=batch, source=opts["source"], initial_state=opts["state"],
                        sites=sites,
                    )  # fmt: skip
                    for number, reason in done.failed:
                        self._report(number, reason, bar)
                    outcome.add(done)
                elif batch:
                    outcome.created += len(batch)
                bar.set_postfix(bad=len(bad) + len(outcome.failed), refresh=False)
        bad.extend(outcome.failed)
        self._summarise(lines, blank, outcome, bad, opts["dry_run"])
        if bad and opts["strict"]:
            raise CommandError(f"{len(bad)} bad line(s) (--strict).", returncode=1)

    def _open(self, name: str):
        if name == "-":
            return sys.stdin.buffer, None
        path = Path(name)
        if not path.is_file():
            raise CommandError(f"No such file: {path}")
        return path.open("rb"), path.stat().st_size

    @staticmethod
    def _parse(raw: bytes, default_site: str):
        if len(raw) > MAX_LINE_BYTES:
            raise RecordError(f"line is {len(raw):,} bytes, the limit is {MAX_LINE_BYTES:,}")
        try:
            text = raw.decode("utf-8-sig" if raw.startswith(b"\xef\xbb\xbf") else "utf-8")
        except UnicodeDecodeError as exc:
            raise RecordError(f"not valid UTF-8 (byte {exc.start})") from None
        return parse_line(text, default_site=default_site)

    def _report(self, number: int, reason: str, bar) -> None:
        bar.clear()
        self.stderr.write(f"line {number}: {reason}")
        bar.refresh()

    def _summarise(self, lines, blank, outcome, bad, dry_run) -> None:
        verb = "would be imported" if dry_run else "imported"
        summary = (
            f"{lines:,} lines read: {outcome.created:,} created, {outcome.updated:,} updated, "
            f"{outcome.unchanged:,} unchanged, {len(bad):,} bad, {blank:,} blank."
        )
        if dry_run:
            summary = f"{lines:,} lines read: {outcome.created:,} valid records {verb}, {len(bad):,} bad, {blank:,} blank (dry run: nothing written)."
        style = self.style.WARNING if bad else self.style.SUCCESS
        self.stdout.write(style(summary))
