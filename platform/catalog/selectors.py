"""Reads that feed the catalogue's pages: each a fixed number of queries."""

from django.core.paginator import Page, Paginator
from django.db.models import QuerySet

from catalog.filters import QuestionFilter
from catalog.models import Question, QuestionTransition, Site

LIST_FIELDS = (
    "id", "title", "category", "tags", "votes", "diamond", "state", "created_at",
    "last_activity_at", "comment_count", "site__slug", "site__name",
)  # fmt: skip


def question_filter(params) -> QuestionFilter:
    base = Question.objects.public().select_related("site").only(*LIST_FIELDS)
    return QuestionFilter(params, queryset=base)


def question_page(questions: QuerySet, *, page: str | int | None, per_page: int) -> Page:
    return Paginator(questions, per_page).get_page(page)


def site_list() -> list[Site]:
    return list(Site.objects.only("slug", "name"))


def question_detail(pk: int) -> Question:
    return Question.objects.public().select_related("site").get(pk=pk)


def question_answers(question: Question) -> list:
    return list(
        question.answers.select_related("model_entry").order_by("submitted_at", "id")
    )


def question_history(question: Question) -> list[QuestionTransition]:
    return list(question.transitions.select_related("actor"))
