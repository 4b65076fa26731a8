from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.core.paginator import Page, Paginator
from django.db.models import Count, Max, Min, OuterRef, Prefetch, QuerySet, Subquery

from accounts.models import User
from catalog.models import Site
from submissions.filters import OwnAnswerFilter
from submissions.models import Answer, GenerationJob, ModelEntry, ValidationState


def model_entries_visible_to(user: User) -> QuerySet[ModelEntry]:
    entries = ModelEntry.objects.select_related("owner").annotate(answer_count=Count("answers"))
    if user.is_curator or user.is_superuser:
        return entries
    return entries.filter(owner=user)


def answers_visible_to(user: User) -> QuerySet[Answer]:
    from evaluation.models import Validation

    validations = Validation.objects.select_related("validator", "result").order_by("validator__name")
    answers = Answer.objects.select_related("question").prefetch_related(
        Prefetch("validations", queryset=validations)
    )
    if user.is_curator or user.is_superuser:
        return answers
    return answers.filter(model_entry__owner=user)


def generation_jobs_visible_to(user: User) -> QuerySet[GenerationJob]:
    jobs = GenerationJob.objects.select_related("model_entry", "created_by")
    if user.is_curator or user.is_superuser:
        return jobs
    return jobs.filter(model_entry__owner=user)


# --- a builder's "Your answers" page --------------------------------------------------------

# "The latest upload": the builder's answers submitted in this window up to their newest one
# (an upload client run sends many bulk requests; there is no batch row to group them by).
RECENT_UPLOAD_WINDOW = timedelta(hours=1)
WAITING_STATES = (ValidationState.PENDING, ValidationState.RUNNING)
JUDGED_STATES = (ValidationState.PASSED, ValidationState.FAILED, ValidationState.ABSTAINED)


def own_entries(user: User) -> list[ModelEntry]:
    """The user's entries, each with `newest`: when its newest answer came (an index probe each)."""
    newest = Answer.objects.filter(model_entry=OuterRef("pk")).order_by("-submitted_at").values("submitted_at")[:1]
    return list(ModelEntry.objects.filter(owner=user).annotate(newest=Subquery(newest)).order_by("name", "version", "pk"))


def own_answers(user: User) -> QuerySet[Answer]:
    """Only ever the user's own answers (whatever the role), newest first, each with its question
    and site, entry, expert assessment and the primary validator's validations (newest first,
    each with its result): a fixed number of queries per page."""
    from evaluation.models import Validation

    primary = (
        Validation.objects.filter(validator__is_primary=True)
        .select_related("validator", "result")
        .defer("last_error", "result__verdict")  # the transcripts are the question page's
        .order_by("-pk")
    )
    return (
        Answer.objects.filter(model_entry__owner=user)
        .select_related("question__site", "model_entry", "assessment")
        .prefetch_related(Prefetch("validations", queryset=primary, to_attr="primary_validations"))
        .defer("text", "reasoning", "metadata", "question__body")
        .order_by("-submitted_at", "-id")
    )


def own_answer_filter(user: User, params, *, entries: list[ModelEntry]) -> OwnAnswerFilter:
    sites = list(Site.objects.only("slug", "name").order_by("name"))
    return OwnAnswerFilter(params, queryset=own_answers(user), entries=entries, sites=sites)


def own_answer_page(answers: QuerySet[Answer], *, page, per_page: int) -> Page:
    return Paginator(answers, per_page).get_page(page)


@dataclass
class UploadProgress:
    """One entry's answers in the latest upload, counted by validation state."""

    entry: ModelEntry
    first_at: datetime
    last_at: datetime
    states: dict[str, int] = field(default_factory=dict)

    @property
    def total(self) -> int:
        return sum(self.states.values())

    @property
    def waiting(self) -> int:
        return sum(self.states.get(state, 0) for state in WAITING_STATES)

    @property
    def judged(self) -> int:
        return sum(self.states.get(state, 0) for state in JUDGED_STATES)

    @property
    def done(self) -> int:
        return self.total - self.waiting

    @property
    def percent(self) -> int:
        return round(100 * self.done / self.total) if self.total else 0

    @property
    def counts(self) -> dict[str, int]:
        return {state: self.states.get(state, 0) for state in ValidationState.values}


def primary_judges_new_answers() -> bool:
    """Whether new answers get a validation state at all: the primary validator runs on them."""
    from evaluation.models import ValidatorConfig

    return ValidatorConfig.objects.filter(is_primary=True, runs_on_new_answers=True).exists()


def latest_upload(entries: list[ModelEntry]) -> list[UploadProgress]:
    """Progress of the latest upload to these entries (own_entries), per entry: one query over
    the answers in the window up to the newest one, by the (entry, submitted_at) index."""
    newest = max((entry.newest for entry in entries if entry.newest), default=None)
    if newest is None:
        return []
    by_entry = {entry.pk: entry for entry in entries}
    rows = (
        Answer.objects.filter(model_entry_id__in=by_entry, submitted_at__gte=newest - RECENT_UPLOAD_WINDOW)
        .values("model_entry_id", "validation_state")
        .annotate(n=Count("id"), first=Min("submitted_at"), last=Max("submitted_at"))
        .order_by()
    )
    progress: dict[int, UploadProgress] = {}
    for row in rows:
        entry = by_entry[row["model_entry_id"]]
        item = progress.setdefault(entry.pk, UploadProgress(entry, row["first"], row["last"]))
        item.states[row["validation_state"]] = row["n"]
        item.first_at, item.last_at = min(item.first_at, row["first"]), max(item.last_at, row["last"])
    return sorted(progress.values(), key=lambda item: item.last_at, reverse=True)


@dataclass
class OwnAnswerRow:
    """One line of "Your answers": what the visibility selector lets this viewer see of it."""

    answer: Answer
    primary: object | None  # the primary validator's newest Validation (with .result), if any
    show_validation: bool
    show_assessment: bool
    waiting: object  # evaluation.selectors.WaitingFor: what its validation waits for


def own_answer_rows(answers: list[Answer], viewer: User) -> list[OwnAnswerRow]:
    """Asks the visibility selector (reviews.selectors.question_blindness) about every answer;
    for the answers' owner it hides nothing, but the page does not decide that itself. P(correct)
    is shown once experts have resolved the answer, as on the question page (an interim estimate
    of an answer still in review is shown to no one)."""
    from evaluation.selectors import answer_waiting_for, primary_validator
    from reviews.selectors import OPEN_REVIEW_STATES, question_blindness

    blind = question_blindness(answers, viewer)
    judge = primary_validator()
    return [
        OwnAnswerRow(
            answer=answer,
            primary=answer.primary_validations[0] if answer.primary_validations else None,
            show_validation=blind[answer.pk]["show_validation"],
            show_assessment=answer.review_state not in OPEN_REVIEW_STATES and hasattr(answer, "assessment"),
            waiting=answer_waiting_for(answer, show_validation=blind[answer.pk]["show_validation"],
                                       primary=judge, validations=answer.primary_validations),
        )
        for answer in answers
        if answer.model_entry.owner_id == viewer.pk  # the queryset already holds only these
    ]
