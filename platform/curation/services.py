"""Every write of the curation pipeline: presets and filter runs, candidates and decisions,
Stack Exchange harvests, LLM pre-screening, and re-checking questions at their source."""

import dataclasses
import html
import logging
import uuid
from collections import defaultdict
from datetime import datetime

from django.conf import settings
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone

from accounts.models import User
from accounts.services import notify
from catalog.models import Question, QuestionState, RetireReason
from catalog.records import RecordError, parse_record
from catalog.services import (
    NumberedRecord,
    SiteCache,
    question_import_batch,
    question_open,
    question_retire,
)
from common.errors import DomainError
from common.outbound import checked_session, configured_url_policy
from curation import rules as rule_filters
from curation.models import (
    ACTIVE,
    Candidate,
    Decision,
    FilterPreset,
    FilterRun,
    HarvestJob,
    JobStatus,
    ScreenJob,
    ScreenState,
    SourceFlag,
    SourceStatus,
)
from curation.stackexchange import MAX_IDS, StackExchangeClient, StackExchangeError, question_ref
from evaluation.models import ValidatorConfig
from reviews.services import audit_record
from validators import screening

logger = logging.getLogger(__name__)

HARVEST_SOURCE = "stackexchange"
MANUAL_SOURCE = "manual"
UQ_PRESET_NAME = "UQ defaults"


# --- presets and rule filters ---------------------------------------------------------------


def _checked_rules(rules) -> dict:
    errors = rule_filters.schema_errors(rules)
    if errors:
        raise DomainError("The preset is not valid: " + "; ".join(errors))
    return rules


@transaction.atomic
def preset_save(
    *, name: str, rules, actor: User | None, description: str = "",
    instance: FilterPreset | None = None,
) -> FilterPreset:  # fmt: skip
    preset = instance or FilterPreset(created_by=actor)
    preset.name = name.strip()
    preset.description = description
    preset.rules = _checked_rules(rules)
    if not preset.name:
        raise DomainError("A preset needs a name.")
    if FilterPreset.objects.filter(name=preset.name).exclude(pk=preset.pk).exists():
        raise DomainError(f"A preset named “{preset.name}” exists already.")
    preset.save()
    return preset


def preset_uq_default() -> FilterPreset:
    preset, _ = FilterPreset.objects.get_or_create(
        name=UQ_PRESET_NAME,
        defaults={"rules": dict(rule_filters.UQ_DEFAULTS),
                  "description": "The rules UQ used to choose its 500 questions."},
    )  # fmt: skip
    return preset


def _facts(question: Question) -> rule_filters.Facts:
    return rule_filters.Facts(
        site=question.site.slug, title=question.title, body=question.body, tags=question.tags,
        score=question.votes, views=question.views, created_at=question.source_created_at,
    )  # fmt: skip


@transaction.atomic
def filters_apply(*, preset: FilterPreset, actor: User | None, site: str = "") -> FilterRun:
    """Apply a preset to every pending draft candidate (of one site, or all) and store the
    report of how many each rule removed; each candidate keeps its own failures."""
    rules = _checked_rules(preset.rules)
    drafts = Question.objects.filter(state=QuestionState.DRAFT).exclude(
        candidate__decision__in=[Decision.APPROVED, Decision.REJECTED, Decision.MERGED]
    )
    if site:
        drafts = drafts.filter(site__slug=site)
    now = timezone.now()
    run = FilterRun.objects.create(preset=preset, preset_name=preset.name, rules=rules, site=site,
                                   created_by=actor)  # fmt: skip
    outcomes, rows = [], []
    for question in drafts.select_related("site").iterator(chunk_size=2000):
        outcome = rule_filters.evaluate(_facts(question), rules, now)
        outcomes.append(outcome)
        rows.append(Candidate(
            question=question, filter_run=run, filter_passed=outcome.kept,
            filter_failures=[list(f) for f in outcome.failures], diamond_eligible=outcome.diamond,
        ))  # fmt: skip
    Candidate.objects.bulk_create(
        rows, batch_size=1000, update_conflicts=True, unique_fields=["question"],
        update_fields=["filter_run", "filter_passed", "filter_failures", "diamond_eligible"],
    )  # fmt: skip
    run.report = rule_filters.report(outcomes)
    run.save(update_fields=["report"])
    audit_record(actor=actor, action="curation_filter", after=f"{run.report['kept']} kept",
                 reason=f"{preset.name}: {run.report['removed']} of {run.report['total']} removed")  # fmt: skip
    return run


# --- candidates -----------------------------------------------------------------------------


def _candidate(question: Question) -> Candidate:
    candidate, _ = Candidate.objects.get_or_create(question=question)
    return candidate


def _pending_draft(question: Question) -> Question:
    question = Question.objects.select_for_update().get(pk=question.pk)
    if question.state != QuestionState.DRAFT:
        raise DomainError(f"“{question.title[:80]}” is no longer a draft candidate.")
    return question


@transaction.atomic
def candidate_create(
    *, actor: User, site: str, title: str, body: str, tags=(), category: str = "", link: str = ""
) -> Question:
    """A candidate typed in by a curator: validated like an imported record."""
    external_id = uuid.uuid4().hex[:16]
    try:
        record = parse_record({"question_id": external_id, "site": site, "title": title, "body": body,
                               "tags": list(tags), "category": category, "link": link})  # fmt: skip
    except RecordError as exc:
        raise DomainError(str(exc)) from None
    question_import_batch(items=[NumberedRecord(1, record)], source=MANUAL_SOURCE,
                          initial_state=QuestionState.DRAFT, actor=actor)  # fmt: skip
    question = Question.objects.get(source=MANUAL_SOURCE, external_id=external_id)
    Candidate.objects.create(question=question)
    audit_record(actor=actor, action="curation_create", question=question, after="draft",
                 reason="typed in by a curator")  # fmt: skip
    return question


def _decide(candidate: Candidate, decision: str, actor: User, note: str, **fields) -> None:
    candidate.decision = decision
    candidate.decision_note = note
    candidate.decided_by = actor
    candidate.decided_at = timezone.now()
    for name, value in fields.items():
        setattr(candidate, name, value)
    candidate.save()


@transaction.atomic
def candidate_approve(*, question: Question, actor: User, note: str = "") -> Question:
    question = _pending_draft(question)
    candidate = _candidate(question)
    if candidate.diamond_eligible and not question.diamond:
        Question.objects.filter(pk=question.pk).update(diamond=True)
    question = question_open(question=question, actor=actor, reason=note or "approved by a curator")
    _decide(candidate, Decision.APPROVED, actor, note)
    audit_record(actor=actor, action="curation_approve", question=question, before="draft",
                 after="open", reason=note)  # fmt: skip
    return question


@transaction.atomic
def candidate_reject(*, question: Question, actor: User, reason: str, note: str = "") -> Question:
    if reason not in RetireReason.values:
        raise DomainError(f"Rejecting needs a reason: one of {', '.join(RetireReason.values)}.")
    question = _pending_draft(question)
    question = question_retire(question=question, actor=actor, retire_reason=reason, note=note)
    _decide(_candidate(question), Decision.REJECTED, actor, note)
    audit_record(actor=actor, action="curation_reject", question=question, before="draft",
                 after="retired", reason=f"{RetireReason(reason).label}: {note}".rstrip(": "))  # fmt: skip
    return question


EDITABLE = ("title", "body", "tags", "category")


@transaction.atomic
def candidate_edit(*, question: Question, actor: User, **changes) -> Question:
    """Fix a draft's title, body, tags or category before it goes public (validated like an
    imported record; the source's content hash is kept, so an unchanged re-import keeps it)."""
    question = _pending_draft(question)
    unknown = set(changes) - set(EDITABLE)
    if unknown:
        raise DomainError(f"Only {', '.join(EDITABLE)} can be edited.")
    merged = {"question_id": question.external_id, "site": question.site.slug, "title": question.title,
              "body": question.body, "tags": question.tags, "category": question.category, **changes}  # fmt: skip
    try:
        record = parse_record(merged)
    except RecordError as exc:
        raise DomainError(str(exc)) from None
    changed = [name for name in EDITABLE if getattr(record, name) != getattr(question, name)]
    if not changed:
        return question
    for name in changed:
        setattr(question, name, getattr(record, name))
    question.save(update_fields=[*changed, "updated_at"])
    _candidate(question)
    audit_record(actor=actor, action="curation_edit", question=question,
                 reason="changed " + ", ".join(changed))  # fmt: skip
    return question


@transaction.atomic
def candidate_merge(*, question: Question, into: Question, actor: User, note: str = "") -> Question:
    """A duplicate: retire it as such, pointing at the question kept; its tags join the kept
    question's while that one is still a draft."""
    if into.pk == question.pk:
        raise DomainError("A question cannot be merged into itself.")
    question = _pending_draft(question)
    into = Question.objects.select_for_update().get(pk=into.pk)
    if into.state == QuestionState.RETIRED:
        raise DomainError("Merge into a question that is not retired.")
    if into.state == QuestionState.DRAFT:
        tags = list(dict.fromkeys([*into.tags, *question.tags]))[:20]
        if tags != into.tags:
            Question.objects.filter(pk=into.pk).update(tags=tags)
    text = f"duplicate of #{into.pk}" + (f": {note}" if note else "")
    question = question_retire(question=question, actor=actor, retire_reason=RetireReason.DUPLICATE, note=text)
    _decide(_candidate(question), Decision.MERGED, actor, note, merged_into=into)
    audit_record(actor=actor, action="curation_merge", question=question, before="draft",
                 after=f"merged into #{into.pk}", reason=note)  # fmt: skip
    return question


BULK_ACTIONS = ("approve", "reject", "screen")


def candidates_bulk(
    *, action: str, questions: list[Question], actor: User, reason: str = "", note: str = ""
) -> tuple[int, list[str]]:
    """Approve or reject many; each one on its own, so one refusal does not stop the rest."""
    done, problems = 0, []
    for question in questions:
        try:
            if action == "approve":
                candidate_approve(question=question, actor=actor, note=note)
            elif action == "reject":
                candidate_reject(question=question, actor=actor, reason=reason, note=note)
            else:
                raise DomainError(f"Unknown action {action!r}.")
            done += 1
        except DomainError as exc:
            problems.append(f"#{question.pk}: {exc}")
    return done, problems


# --- Stack Exchange harvests ----------------------------------------------------------------


def se_client(**overrides) -> StackExchangeClient:
    """The client (pure Python) with a session of the outbound policy: the configured API's
    host and port, pinned per request; a redirect must lead to a public host (common.outbound)."""
    policy = configured_url_policy(settings.QUORUM_SE_API_URL, setting="QUORUM_SE_API_URL")
    options = {"base_url": settings.QUORUM_SE_API_URL, "key": settings.QUORUM_SE_API_KEY,
               "timeout_s": settings.QUORUM_SE_TIMEOUT_S, "page_size": settings.QUORUM_SE_PAGE_SIZE,
               "session": checked_session(policy)}  # fmt: skip
    return StackExchangeClient(**{**options, **overrides})


def _site_slug(api_site: str) -> str:
    host = api_site.lower().strip()
    return host.removesuffix(".stackexchange.com").split(".")[0] if "." in host else host


def harvest_record(item: dict, api_site: str):
    """A Stack Exchange API question item as an importable record."""
    owner = item.get("owner") or {}
    record = parse_record({
        "question_id": f"{_site_slug(api_site)}:{item.get('question_id')}",
        "site": _site_slug(api_site), "title": html.unescape(item.get("title") or ""),
        "body": item.get("body") or "", "tags": item.get("tags") or [], "link": item.get("link"),
        "score": item.get("score", 0), "views": item.get("view_count"),
        "creation_date": item.get("creation_date"),
    })  # fmt: skip
    extra = {"se_question_id": item.get("question_id"), "answer_count": item.get("answer_count", 0),
             "is_answered": bool(item.get("is_answered")),
             "owner": html.unescape(owner.get("display_name") or "")}  # fmt: skip
    return dataclasses.replace(record, extra=extra)


@transaction.atomic
def harvest_job_start(*, actor: User, site: str, **options) -> HarvestJob:
    site = site.strip()
    if not site:
        raise DomainError("Name the site to harvest, e.g. math or mathoverflow.net.")
    if HarvestJob.objects.filter(site=site, status__in=ACTIVE).exists():
        raise DomainError(f"A harvest of {site} is already running.")
    job = HarvestJob.objects.create(site=site, created_by=actor, **options)
    transaction.on_commit(lambda: _publish_harvest(job.pk))
    return job


def _publish_harvest(job_id: int) -> None:
    from workers.tasks.curation import run_harvest

    run_harvest.delay(job_id)


def harvest_job_cancel(*, job: HarvestJob) -> HarvestJob:
    HarvestJob.objects.filter(pk=job.pk, status__in=[JobStatus.QUEUED, JobStatus.PAUSED]).update(
        status=JobStatus.CANCELLED, cancel_requested=True, finished_at=timezone.now()
    )
    HarvestJob.objects.filter(pk=job.pk, status=JobStatus.RUNNING).update(cancel_requested=True)
    job.refresh_from_db()
    return job


@transaction.atomic
def harvest_job_resume(*, job: HarvestJob) -> HarvestJob:
    """Continue a paused harvest (quota spent, throttled) from its next page."""
    updated = HarvestJob.objects.filter(pk=job.pk, status=JobStatus.PAUSED).update(
        status=JobStatus.QUEUED, cancel_requested=False, finished_at=None
    )
    if not updated:
        raise DomainError("Only a paused harvest can be resumed.")
    transaction.on_commit(lambda: _publish_harvest(job.pk))
    job.refresh_from_db()
    return job


def _job_claim(model, job_id: int):
    with transaction.atomic():
        job = model.objects.select_for_update().filter(pk=job_id).first()
        if job is None or job.status not in ACTIVE or job.cancel_requested:
            return None
        job.status = JobStatus.RUNNING
        job.started_at = job.started_at or timezone.now()
        job.save(update_fields=["status", "started_at"])
    return job


def _job_finish(model, job, status: str, error: str = ""):
    fields = {"status": status}
    if status != JobStatus.PAUSED:
        fields["finished_at"] = timezone.now()
    if error:
        fields["last_error"] = error[:2000]
    model.objects.filter(pk=job.pk).update(**fields)
    job.refresh_from_db()
    return job


def harvest_job_run(*, job_id: int, client: StackExchangeClient | None = None) -> HarvestJob | None:
    """The worker's side: page after page until done, cancelled, the limit, or the quota."""
    job = _job_claim(HarvestJob, job_id)
    if job is None:
        return None
    client = client or se_client()
    sites = SiteCache()
    while True:
        if HarvestJob.objects.filter(pk=job.pk, cancel_requested=True).exists():
            return _job_finish(HarvestJob, job, JobStatus.CANCELLED)
        if job.fetched >= job.limit:
            return _job_finish(HarvestJob, job, JobStatus.COMPLETED)
        try:
            page = client.unanswered(
                site=job.site, page=job.next_page, method=job.method, sort=job.sort,
                fromdate=_unix(job.fromdate), todate=_unix(job.todate), tagged=job.tagged,
                min_votes=job.min_votes,
            )  # fmt: skip
        except StackExchangeError as exc:
            status = JobStatus.PAUSED if exc.transient else JobStatus.FAILED
            return _job_finish(HarvestJob, job, status, str(exc))
        job = _harvest_store(job, page, sites)
        if not page.has_more:
            return _job_finish(HarvestJob, job, JobStatus.COMPLETED)
        if page.quota_exhausted:
            return _job_finish(HarvestJob, job, JobStatus.PAUSED,
                               "the API's daily quota is spent: resume after it resets")  # fmt: skip


def _unix(moment: datetime | None) -> int | None:
    return int(moment.timestamp()) if moment else None


def _harvest_store(job: HarvestJob, page, sites: SiteCache) -> HarvestJob:
    items, bad = [], []
    for item in page.items[: max(0, job.limit - job.fetched)]:
        try:
            items.append(NumberedRecord(item.get("question_id") or 0, harvest_record(item, job.site)))
        except RecordError as exc:
            bad.append(f"question {item.get('question_id')}: {exc}")
    outcome = question_import_batch(items=items, source=HARVEST_SOURCE, initial_state=QuestionState.DRAFT,
                                    actor=job.created_by, sites=sites)  # fmt: skip
    bad += [f"question {number}: {reason}" for number, reason in outcome.failed]
    HarvestJob.objects.filter(pk=job.pk).update(
        next_page=F("next_page") + 1, pages=F("pages") + 1, fetched=F("fetched") + len(items),
        created=F("created") + outcome.created, updated=F("updated") + outcome.updated,
        quota_max=page.quota_max, quota_remaining=page.quota_remaining,
        **({"last_error": "; ".join(bad)[:2000]} if bad else {}),
    )  # fmt: skip
    job.refresh_from_db()
    return job


# --- LLM pre-screening ----------------------------------------------------------------------


def _judge_spec(validator: ValidatorConfig) -> dict:
    judges = validator.config.get("judges") or {}
    if not judges:
        raise DomainError(f"{validator.name} names no judge.")
    return dict(judges.get("default") or next(iter(judges.values())))


def screen_candidates(*, site: str = "", rescreen: bool = False, limit: int | None = None) -> list[int]:
    """Pending drafts that passed the rule filters and still need a pre-screen."""
    wanted = Candidate.objects.filter(
        decision=Decision.PENDING, filter_passed=True, question__state=QuestionState.DRAFT
    )
    if not rescreen:
        wanted = wanted.filter(screen_state__in=[ScreenState.NONE, ScreenState.ERROR])
    if site:
        wanted = wanted.filter(question__site__slug=site)
    ids = wanted.order_by("-question__votes", "question_id").values_list("question_id", flat=True)
    return list(ids[:limit] if limit else ids)


@transaction.atomic
def screen_job_start(
    *, validator: ValidatorConfig, actor: User, question_ids: list[int],
    settings_: screening.ScreenSettings | None = None,
) -> ScreenJob:  # fmt: skip
    if not question_ids:
        raise DomainError("No candidate needs a pre-screen: apply a filter preset first.")
    if ScreenJob.objects.filter(status__in=ACTIVE).exists():
        raise DomainError("A pre-screen is already running; cancel it or wait.")
    chosen = settings_ or screening.ScreenSettings()
    job = ScreenJob.objects.create(validator=validator, judge=_judge_spec(validator),
                                   options=chosen.to_dict(), question_ids=question_ids,
                                   total=len(question_ids), created_by=actor)  # fmt: skip
    from workers.tasks.curation import run_screen

    transaction.on_commit(lambda: run_screen.delay(job.pk))
    return job


def screen_job_cancel(*, job: ScreenJob) -> ScreenJob:
    ScreenJob.objects.filter(pk=job.pk, status=JobStatus.QUEUED).update(
        status=JobStatus.CANCELLED, cancel_requested=True, finished_at=timezone.now()
    )
    ScreenJob.objects.filter(pk=job.pk, status=JobStatus.RUNNING).update(cancel_requested=True)
    job.refresh_from_db()
    return job


def screen_job_run(*, job_id: int, backend=None) -> ScreenJob | None:
    """The worker's side: screen the job's candidates chunk by chunk (cancel between chunks)."""
    job = _job_claim(ScreenJob, job_id)
    if job is None:
        return None
    chosen = screening.ScreenSettings(**job.options)
    done = set(Candidate.objects.filter(question_id__in=job.question_ids, screen_job=job)
               .values_list("question_id", flat=True))  # fmt: skip
    todo = [pk for pk in job.question_ids if pk not in done]
    size = settings.QUORUM_SCREEN_CHUNK
    try:
        for start in range(0, len(todo), size):
            if ScreenJob.objects.filter(pk=job.pk, cancel_requested=True).exists():
                return _job_finish(ScreenJob, job, JobStatus.CANCELLED)
            _screen_chunk(job, todo[start : start + size], backend or job.judge, chosen)
    except Exception as exc:  # a crash must not leave the job running for ever
        logger.exception("pre-screen %s crashed", job.pk)
        return _job_finish(ScreenJob, job, JobStatus.FAILED, f"stopped: {type(exc).__name__}: {exc}")
    return _job_finish(ScreenJob, job, JobStatus.COMPLETED)


def _screen_chunk(job: ScreenJob, question_pks: list[int], judge, chosen) -> None:
    by_pk = Question.objects.select_related("site").in_bulk(question_pks)
    questions = [by_pk[pk] for pk in question_pks if pk in by_pk]
    payloads = [{"title": q.title, "body": q.body, "tags": q.tags, "category": q.category,
                 "site": q.site.slug} for q in questions]  # fmt: skip
    results = screening.screen_many(payloads, judge, chosen)
    counts, cost, errors = defaultdict(int), [0, 0, 0], []
    for question, result in zip(questions, results, strict=True):
        if isinstance(result, Exception):
            result = {"decision": ScreenState.ERROR, "reasons": [f"judge call failed: {result}"]}
            errors.append(f"#{question.pk}: {result['reasons'][0]}")
        counts[result["decision"]] += 1
        cost[0] += result.get("calls", 0)
        cost[1] += result.get("prompt_tokens", 0)
        cost[2] += result.get("completion_tokens", 0)
        Candidate.objects.update_or_create(
            question=question, defaults={"screen_job": job, "screen_state": result["decision"], "screen": result}
        )
    ScreenJob.objects.filter(pk=job.pk).update(
        passed=F("passed") + counts[ScreenState.PASSED], failed=F("failed") + counts[ScreenState.FAILED],
        errors=F("errors") + counts[ScreenState.ERROR], calls=F("calls") + cost[0],
        prompt_tokens=F("prompt_tokens") + cost[1], completion_tokens=F("completion_tokens") + cost[2],
        **({"last_error": errors[-1][:2000]} if errors else {}),
    )  # fmt: skip


# --- re-checking questions at their source --------------------------------------------------


def source_recheck(*, client: StackExchangeClient | None = None, limit: int | None = None) -> int:
    """Ask Stack Exchange, 100 ids a request, whether public questions got answered there.
    Newly answered (or vanished) questions are flagged for curators; nothing is retired."""
    client = client or se_client()
    limit = limit or settings.QUORUM_SE_RECHECK_BATCH
    questions = (
        Question.objects.answerable().filter(Q(link__contains="/questions/") | Q(link__contains="/q/"))
        .order_by(F("source_status__checked_at").asc(nulls_first=True), "pk")
        .only("pk", "link")[:limit]
    )  # fmt: skip
    by_host: dict[str, dict[int, int]] = defaultdict(dict)
    for question in questions:
        ref = question_ref(question.link)
        if ref:
            by_host[ref[0]][ref[1]] = question.pk
    flagged = 0
    for host, ids in by_host.items():
        source_ids = list(ids)
        for start in range(0, len(source_ids), MAX_IDS):
            batch = source_ids[start : start + MAX_IDS]
            try:
                page = client.questions(site=host, ids=batch)
            except StackExchangeError as exc:
                logger.warning("re-check of %s stopped: %s", host, exc)
                break
            flagged += _source_record(page.items, {i: ids[i] for i in batch})
            if page.quota_exhausted:
                return flagged
    if flagged:
        curators = User.objects.filter(Q(is_curator=True) | Q(is_superuser=True))
        notify(users=curators, kind="source_answered", url="/curation/#source-flags",
               text="Questions were answered at their source: check them", once_while_unread=True)  # fmt: skip
    return flagged


@transaction.atomic
def _source_record(items: list[dict], question_by_source_id: dict[int, int]) -> int:
    now = timezone.now()
    seen = {item.get("question_id"): item for item in items}
    known = {s.question_id: s for s in SourceStatus.objects.filter(question_id__in=question_by_source_id.values())}
    flagged = 0
    for source_id, question_pk in question_by_source_id.items():
        item = seen.get(source_id)
        status = known.get(question_pk) or SourceStatus(question_id=question_pk)
        status.checked_at = now
        status.missing = item is None
        if item is not None:
            status.is_answered = bool(item.get("is_answered") or item.get("accepted_answer_id"))
            status.accepted_answer_id = item.get("accepted_answer_id")
            status.answer_count = item.get("answer_count") or 0
        if (status.is_answered or status.missing) and status.flag == SourceFlag.NONE:
            status.flag = SourceFlag.FLAGGED
            flagged += 1
        status.save()
    return flagged


@transaction.atomic
def source_flag_resolve(*, status: SourceStatus, actor: User, retire: bool, note: str = "") -> SourceStatus:
    """A curator's call on a flag: retire the question as answered elsewhere, or dismiss."""
    status = SourceStatus.objects.select_for_update().select_related("question").get(pk=status.pk)
    if status.flag != SourceFlag.FLAGGED:
        raise DomainError("This flag was already resolved.")
    if retire:
        question_retire(question=status.question, actor=actor,
                        retire_reason=RetireReason.ANSWERED_ELSEWHERE, note=note or status.question.link)  # fmt: skip
    status.flag = SourceFlag.RETIRED if retire else SourceFlag.DISMISSED
    status.resolved_by = actor
    status.resolved_at = timezone.now()
    status.save(update_fields=["flag", "resolved_by", "resolved_at"])
    audit_record(actor=actor, action="curation_source_flag", question=status.question,
                 after=status.flag, reason=note)  # fmt: skip
    return status
