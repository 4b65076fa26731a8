"""Every write of the leaderboards app: the tallies the leaderboards read, and exports
(request, run on a `default` worker, cancel, clean up)."""

import errno
import logging
import shutil
import time
import uuid
from datetime import datetime, timedelta
from pathlib import Path

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Count, F, Q, Sum
from django.db.models.functions import TruncWeek
from django.utils import timezone

from accounts.models import User
from catalog.models import Site
from common.errors import DomainError
from evaluation.models import ValidationResult
from leaderboards import exports
from leaderboards.export_tables import QUESTIONS, TABLES
from leaderboards.models import (
    ACTIVE_STATUSES,
    AnswerTally,
    Export,
    ExportFormat,
    ExportScope,
    ExportStatus,
    ExportTable,
    JudgementTally,
    TallyRefresh,
    VerdictTally,
    WeeklyVerdictTally,
)
from submissions.models import Answer, ReviewState
from submissions.services import Conflict

logger = logging.getLogger(__name__)
# Longer than the export task's time limit: a running export older than this lost its worker.
EXPORT_STALE_AFTER = timedelta(hours=7)
WORK_PREFIX = ".work-"


FACETS = {"site_id": "question__site_id", "category": "question__category", "diamond": "question__diamond"}
ANSWER_FACETS = {key: f"answer__{value}" for key, value in FACETS.items()}


@transaction.atomic
def leaderboard_tallies_refresh() -> TallyRefresh:
    """Rebuild the tallies from the answers and verdicts: a few GROUP BY queries whose results
    are small (model entries × sites × categories × states). Readers see the old tallies until
    the rebuild commits. Runs on beat every QUORUM_LEADERBOARD_REFRESH_S seconds."""
    started = time.perf_counter()
    for model in (AnswerTally, VerdictTally, JudgementTally, WeeklyVerdictTally):
        model.objects.all().delete()
    AnswerTally.objects.bulk_create(
        AnswerTally(**row) for row in Answer.objects.values(
            "model_entry_id", "validation_state", "review_state", **{k: F(v) for k, v in FACETS.items()}
        ).annotate(answers=Count("id")).order_by()
    )  # fmt: skip
    VerdictTally.objects.bulk_create(
        VerdictTally(**row) for row in ValidationResult.objects.values(
            "config_hash", "decision", model_entry_id=F("answer__model_entry_id"),
            validator_id=F("validation__validator_id"), review_state=F("answer__review_state"),
            **{k: F(v) for k, v in ANSWER_FACETS.items()},
        ).annotate(results=Count("id"), calls=Sum("calls"),
                   tokens=Sum(F("prompt_tokens") + F("completion_tokens"))).order_by()
    )  # fmt: skip
    JudgementTally.objects.bulk_create(
        JudgementTally(**row) for row in ValidationResult.objects.filter(
            answer__review_state__in=(ReviewState.VERIFIED_CORRECT, ReviewState.VERIFIED_INCORRECT)
        ).values(
            "config_hash", "decision", "score", validator_id=F("validation__validator_id"),
            verified_correct=Q(answer__review_state=ReviewState.VERIFIED_CORRECT),
            **{k: F(v) for k, v in ANSWER_FACETS.items()},
        ).annotate(answers=Count("id")).order_by()
    )  # fmt: skip
    WeeklyVerdictTally.objects.bulk_create(
        WeeklyVerdictTally(**row) for row in ValidationResult.objects.values(
            "config_hash", validator_id=F("validation__validator_id"),
            week=TruncWeek("answer__submitted_at"), **{k: F(v) for k, v in ANSWER_FACETS.items()},
        ).annotate(results=Count("id"), accepted=Count("id", filter=Q(decision="accept"))).order_by()
    )  # fmt: skip
    TallyRefresh.objects.filter(finished_at__lt=timezone.now() - timedelta(days=1)).delete()
    return TallyRefresh.objects.create(seconds=time.perf_counter() - started)


class ExportCancelled(Exception):
    pass


def export_dir() -> Path:
    folder = Path(settings.QUORUM_EXPORT_DIR)
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def export_path(export: Export) -> Path:
    return Path(settings.QUORUM_EXPORT_DIR) / export.file_name


def may_export_everything(user: User) -> bool:
    return user.is_curator or user.is_superuser


# --- requesting and cancelling --------------------------------------------------------------


def export_request(
    *, user: User, tables: list[str], format: str, scope: str = ExportScope.PUBLIC,
    site: Site | None = None, since: datetime | None = None,
) -> Export:  # fmt: skip
    """Queue an export; any signed-in user may export public data, curators everything."""
    wanted = [t for t in ExportTable.values if t in set(tables or ())]
    if not wanted or len(wanted) != len(set(tables)):
        raise DomainError(f"Choose the tables to export among: {', '.join(ExportTable.values)}.")
    if format not in ExportFormat.values:
        raise DomainError(f"The format must be one of: {', '.join(ExportFormat.values)}.")
    if scope not in ExportScope.values:
        raise DomainError(f"The scope must be one of: {', '.join(ExportScope.values)}.")
    if scope == ExportScope.FULL and not may_export_everything(user):
        raise DomainError("Only curators can export everything; choose the public data.")
    try:
        with transaction.atomic():
            export = Export.objects.create(requested_by=user, tables=wanted, format=format, scope=scope,
                                           site=site, since=since)  # fmt: skip
    except IntegrityError:
        raise Conflict("You already have an export in progress: wait for it or cancel it.") from None
    from workers.tasks.exports import run_export

    transaction.on_commit(lambda: run_export.delay(export.pk))
    return export


def export_cancel(*, export: Export, actor: User) -> Export:
    """A queued export stops at once; a running one at its next chunk."""
    if export.requested_by_id != actor.pk and not may_export_everything(actor):
        raise DomainError("You cannot cancel this export.")
    stopped = Export.objects.filter(pk=export.pk, status=ExportStatus.QUEUED).update(
        status=ExportStatus.CANCELLED, cancel_requested=True, finished_at=timezone.now()
    )
    if not stopped:
        Export.objects.filter(pk=export.pk, status=ExportStatus.RUNNING).update(cancel_requested=True)
    export.refresh_from_db()
    return export


def export_delete(*, export: Export) -> None:
    if export.file_name:
        export_path(export).unlink(missing_ok=True)
    export.delete()


# --- running ----------------------------------------------------------------------------------


def export_run(*, export_id: int) -> Export | None:
    """The worker's side: stream every table to a file, then publish them as one zip."""
    export = _export_claim(export_id)
    if export is None:
        return None
    work = Path(settings.QUORUM_EXPORT_DIR) / f"{WORK_PREFIX}{export.pk}-{uuid.uuid4().hex[:8]}"
    try:
        export_dir()
        work.mkdir()
        counts = _export_write_tables(export, work)
        _export_write_card(export, work, counts)
        target = export_dir() / f"quorum-export-{export.pk}-{export.format}.zip"
        size, digest = exports.publish_zip(work, target)
        return _export_succeed(export, target, size, digest, counts)
    except ExportCancelled:
        return _export_finish(export, ExportStatus.CANCELLED, "")
    except OSError as exc:
        logger.warning("export %s could not be written: %s", export.pk, exc)
        return _export_finish(export, ExportStatus.FAILED, _describe_os_error(exc))
    except Exception:  # a crash must not leave the export running (and the user blocked)
        logger.exception("export %s crashed", export.pk)
        return _export_finish(export, ExportStatus.FAILED, "The export stopped on an unexpected error (logged).")
    finally:
        shutil.rmtree(work, ignore_errors=True)


def _describe_os_error(exc: OSError) -> str:
    if exc.errno in (errno.ENOSPC, errno.EDQUOT):
        return "The server ran out of disk space for exports; nothing was kept. Try again later or ask an operator."
    return f"The export file could not be written ({exc.strerror or type(exc).__name__}); nothing was kept."


def _export_claim(export_id: int) -> Export | None:
    with transaction.atomic():
        export = Export.objects.select_for_update().filter(pk=export_id).first()
        if export is None or export.status not in ACTIVE_STATUSES:
            return None
        if export.cancel_requested:
            _export_finish(export, ExportStatus.CANCELLED, "")
            return None
        export.status = ExportStatus.RUNNING  # again after a lost worker: it starts over
        export.started_at = timezone.now()
        export.save(update_fields=["status", "started_at"])
    return export


def _export_write_tables(export: Export, work: Path) -> dict[str, int]:
    """Each table streamed in chunks; progress (and a cancel check) after every chunk. Rows are
    bounded by the largest id when the export starts, so the total and the stream agree."""
    tables = [TABLES[name] for name in export.tables]
    rows = {t.name: t.queryset(export, up_to_pk=t.snapshot_pk(export)) for t in tables}
    total = sum(queryset.count() for queryset in rows.values())
    Export.objects.filter(pk=export.pk).update(rows_total=total, rows_done=0)
    size = settings.QUORUM_EXPORT_CHUNK_ROWS
    done, counts = 0, {}
    for table in tables:
        counts[table.name] = 0
        path = work / exports.file_name(table.name, export.format)
        with exports.table_writer(export.format, path, table.schema) as write:
            for chunk in table.chunks(rows[table.name], size):
                write(chunk)
                counts[table.name] += len(chunk)
                done += len(chunk)
                _export_progress(export, done)
    return counts


def _export_progress(export: Export, done: int) -> None:
    if not Export.objects.filter(pk=export.pk, cancel_requested=False).update(rows_done=done):
        raise ExportCancelled


def _export_write_card(export: Export, work: Path, counts: dict[str, int]) -> None:
    site = settings.QUORUM_SITE_URL
    about = [
        f"Exported from Quorum at {site} on {timezone.now():%Y-%m-%d %H:%M} UTC (export #{export.pk}): "
        + ("everything, drafts and reviews in progress included." if export.scope == ExportScope.FULL
           else "public data (reviews only of answers the experts have resolved)."),
        *([f"Site: {export.site.name}."] if export.site else []),
        *([f"Rows created (reviews: changed) since {export.since:%Y-%m-%d %H:%M} UTC."] if export.since else []),
    ]  # fmt: skip
    sites = _export_sites(export)
    columns = {name: TABLES[name].schema.names for name in counts}
    card = exports.dataset_card(
        title=f"Quorum export {export.pk}", fmt=export.format, counts=counts, about=about,
        data_licence=settings.QUORUM_DATA_LICENSE, sites=sites, columns=columns,
    )  # fmt: skip
    (work / "README.md").write_text(card, encoding="utf-8")
    licence = exports.attribution(data_licence=settings.QUORUM_DATA_LICENSE, sites=sites)
    (work / "LICENSE.md").write_text("\n".join(licence) + "\n", encoding="utf-8")


def _export_sites(export: Export) -> list[dict]:
    questions = QUESTIONS.queryset(export, up_to_pk=QUESTIONS.snapshot_pk(export))
    rows = questions.order_by().values("site__name", "site__url", "site__licence", "site__attribution")
    rows = rows.annotate(questions=Count("pk")).order_by("site__name")
    return [{"name": r["site__name"], "url": r["site__url"], "licence": r["site__licence"],
             "attribution": r["site__attribution"], "questions": r["questions"]} for r in rows]  # fmt: skip


def _export_succeed(export: Export, target: Path, size: int, digest: str, counts: dict[str, int]) -> Export:
    rows = sum(counts.values())
    published = Export.objects.filter(pk=export.pk, cancel_requested=False).update(
        status=ExportStatus.SUCCEEDED, file_name=target.name, file_size=size, sha256=digest,
        row_counts=counts, rows_done=rows, rows_total=rows, finished_at=timezone.now(),
    )  # fmt: skip
    if not published:  # cancelled while the archive was being written
        target.unlink(missing_ok=True)
        return _export_finish(export, ExportStatus.CANCELLED, "")
    export.refresh_from_db()
    return export


def _export_finish(export: Export, status: str, error: str) -> Export:
    Export.objects.filter(pk=export.pk).update(status=status, error=error, finished_at=timezone.now())
    export.refresh_from_db()
    return export


# --- cleaning up ------------------------------------------------------------------------------


def exports_cleanup(*, now: datetime | None = None) -> int:
    """Remove files older than QUORUM_EXPORT_KEEP_DAYS (the rows stay, without a download), fail
    exports whose worker was lost, and remove leftovers of interrupted runs. Returns files removed."""
    now = now or timezone.now()
    Export.objects.filter(status=ExportStatus.RUNNING, started_at__lt=now - EXPORT_STALE_AFTER).update(
        status=ExportStatus.FAILED, error="The worker running this export stopped; request it again.",
        finished_at=now,
    )  # fmt: skip
    removed = 0
    expired = Export.objects.exclude(file_name="").filter(
        finished_at__lt=now - timedelta(days=settings.QUORUM_EXPORT_KEEP_DAYS)
    )
    for export in expired:
        export_path(export).unlink(missing_ok=True)
        Export.objects.filter(pk=export.pk).update(file_name="")
        removed += 1
    return removed + _remove_leftovers(now)


def _remove_leftovers(now: datetime) -> int:
    """Work folders and partial archives of runs that died, and archives no export refers to."""
    known = set(Export.objects.exclude(file_name="").values_list("file_name", flat=True))
    cutoff = (now - EXPORT_STALE_AFTER).timestamp()
    removed = 0
    for path in export_dir().iterdir():
        leftover = path.name.startswith((WORK_PREFIX, ".")) or (path.suffix == ".zip" and path.name not in known)
        if leftover and path.stat().st_mtime < cutoff:
            shutil.rmtree(path) if path.is_dir() else path.unlink()
            removed += 1
    return removed
