"""Reads that feed the catalogue's pages: each a fixed number of queries."""

from django.core.paginator import Page, Paginator
from django.db.models import Prefetch, QuerySet
from django.utils.functional import cached_property

from catalog.filters import QuestionFilter
from catalog.models import Question, QuestionTransition, Site

LIST_FIELDS = (
    "id", "title", "category", "tags", "votes", "diamond", "state", "created_at",
    "last_activity_at", "comment_count", "site__slug", "site__name",
)  # fmt: skip


def question_filter(params) -> QuestionFilter:
    base = Question.objects.public().select_related("site").only(*LIST_FIELDS)
    return QuestionFilter(params, queryset=base)


SEARCH_COUNT_CAP = 1000


class CappedCountPaginator(Paginator):
    """Counts at most `cap + 1` rows: an exact count of every match of a common search word
    scans them all (see bench/README.md); past the cap the page says "1,000+"."""

    def __init__(self, *args, cap: int, **kwargs):
        super().__init__(*args, **kwargs)
        self.cap = cap

    @cached_property
    def count(self) -> int:
        return self.object_list.order_by()[: self.cap + 1].count()

    @property
    def capped(self) -> bool:
        return self.count > self.cap


def question_page(
    questions: QuerySet, *, page: str | int | None, per_page: int, searching: bool = False
) -> Page:
    if searching:
        return CappedCountPaginator(questions, per_page, cap=SEARCH_COUNT_CAP).get_page(page)
    return Paginator(questions, per_page).get_page(page)


def site_list() -> list[Site]:
    return list(Site.objects.only("slug", "name"))


def question_detail(pk: int) -> Question:
    return Question.objects.public().select_related("site").get(pk=pk)


def question_answers(question: Question) -> list:
    """Answers with their assessment, validations (validator, result) and reviews: 3 queries."""
    from evaluation.models import Validation
    from reviews.models import Review

    validations = Validation.objects.select_related("validator", "result").order_by("validator__name")
    reviews = Review.objects.select_related("expert").order_by("created_at")
    return list(
        question.answers.select_related("model_entry", "assessment")
        .prefetch_related(Prefetch("validations", queryset=validations), Prefetch("reviews", queryset=reviews))
        .order_by("submitted_at", "id")
    )


def question_history(question: Question) -> list[QuestionTransition]:
    return list(question.transitions.select_related("actor"))


def question_comments(question: Question) -> list:
    return list(question.comments.select_related("author"))
