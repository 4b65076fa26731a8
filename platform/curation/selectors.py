"""Reads for the curation pages: the candidate queue, evidence, jobs and flags."""

from django.core.paginator import Page, Paginator
from django.db.models import QuerySet

from catalog.models import Question, QuestionState
from curation.models import (
    Candidate,
    Decision,
    FilterPreset,
    FilterRun,
    HarvestJob,
    ScreenJob,
    ScreenState,
    SourceFlag,
    SourceStatus,
)
from evaluation.models import ValidatorConfig
from reviews.models import AuditEntry

QUEUE_VIEWS = {
    "ready": "Passed filters and pre-screen",
    "unscreened": "Passed filters, not pre-screened",
    "screen_failed": "Failed or errored pre-screen",
    "filtered_out": "Removed by the filters",
    "unfiltered": "Not filtered yet",
    "all": "All drafts",
}


def candidate_queue(view: str, *, site: str = "") -> QuerySet[Question]:
    drafts = Question.objects.filter(state=QuestionState.DRAFT).select_related("site", "candidate")
    if site:
        drafts = drafts.filter(site__slug=site)
    c = "candidate__"
    filters = {
        "ready": {f"{c}filter_passed": True, f"{c}screen_state": ScreenState.PASSED},
        "unscreened": {f"{c}filter_passed": True, f"{c}screen_state": ScreenState.NONE},
        "filtered_out": {f"{c}filter_passed": False},
        "unfiltered": {f"{c}filter_passed__isnull": True},
    }
    if view == "screen_failed":
        drafts = drafts.filter(**{f"{c}filter_passed": True, f"{c}screen_state__in": [
            ScreenState.FAILED, ScreenState.ERROR]})  # fmt: skip
    elif view in filters:
        drafts = drafts.filter(**filters[view])
    return drafts.order_by("-diamond", "-votes", "pk")


def queue_page(questions: QuerySet[Question], page, per_page: int = 50) -> Page:
    return Paginator(questions, per_page).get_page(page)


def candidate_detail(pk: int) -> tuple[Question, Candidate | None]:
    """A draft, or any question that went through curation."""
    question = Question.objects.select_related("site").get(pk=pk)
    candidate = (
        Candidate.objects.select_related("filter_run", "screen_job", "decided_by", "merged_into")
        .filter(question=question).first()
    )  # fmt: skip
    if candidate is None and question.state != QuestionState.DRAFT:
        raise Question.DoesNotExist
    return question, candidate


def candidate_audit(question: Question) -> list[AuditEntry]:
    return list(AuditEntry.objects.filter(question=question).select_related("actor"))


def queue_counts() -> dict[str, int]:
    return {
        "drafts": Question.objects.filter(state=QuestionState.DRAFT).count(),
        "ready": candidate_queue("ready").count(),
        "decided": Candidate.objects.exclude(decision=Decision.PENDING).count(),
    }


def presets() -> list[FilterPreset]:
    return list(FilterPreset.objects.all())


def filter_runs(limit: int = 10) -> list[FilterRun]:
    return list(FilterRun.objects.select_related("created_by")[:limit])


def harvest_jobs(limit: int = 10) -> list[HarvestJob]:
    return list(HarvestJob.objects.select_related("created_by")[:limit])


def screen_jobs(limit: int = 10) -> list[ScreenJob]:
    return list(ScreenJob.objects.select_related("validator", "created_by")[:limit])


def source_flags(limit: int = 100) -> list[SourceStatus]:
    return list(
        SourceStatus.objects.filter(flag=SourceFlag.FLAGGED)
        .select_related("question__site").order_by("-checked_at")[:limit]
    )  # fmt: skip


def screen_judges() -> list[ValidatorConfig]:
    """Fresh each request (a form class's queryset, once iterated, would keep its first rows)."""
    return list(ValidatorConfig.objects.order_by("name"))


def screen_judges_exist() -> bool:
    """The pre-screen borrows a validator config's judge: without one it cannot run."""
    return ValidatorConfig.objects.exists()
