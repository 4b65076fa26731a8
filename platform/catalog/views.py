from django.conf import settings
from django.http import Http404
from django.shortcuts import render
from django.utils.cache import patch_vary_headers
from django.views.decorators.http import require_GET

from catalog import selectors
from catalog.models import Question
from common.rendering import render_user_content
from evaluation.selectors import Waiting, answer_waiting_for, primary_validator, unjudged_count
from reviews.selectors import question_blindness


@require_GET
def question_list(request):
    filterset = selectors.question_filter(request.GET)
    questions = filterset.qs if filterset.is_valid() else filterset.queryset.none()
    searching = bool(filterset.is_valid() and filterset.form.cleaned_data.get("q", "").strip())
    page = selectors.question_page(
        questions, page=request.GET.get("page"), per_page=settings.QUORUM_PAGE_SIZE,
        searching=searching,
    )
    query = request.GET.copy()
    query.pop("page", None)
    context = {
        "filter": filterset,
        "page": page,
        "query_string": query.urlencode(),
        "sites": selectors.site_list(),
    }
    template = "catalog/question_list.html"
    if request.htmx and not (request.htmx.boosted or request.htmx.history_restore_request):
        template += "#results"
    response = render(request, template, context)
    patch_vary_headers(response, ["HX-Request"])
    return response


@require_GET
def question_detail(request, pk: int):
    try:
        question = selectors.question_detail(pk)
    except Question.DoesNotExist:
        raise Http404("No such question.") from None
    answers = selectors.question_answers(question)
    blind = question_blindness(answers, request.user)
    primary = primary_validator()
    waiting = {a.pk: answer_waiting_for(a, show_validation=blind[a.pk]["show_validation"], primary=primary)
               for a in answers}  # fmt: skip
    context = {
        "question": question,
        "body_html": render_user_content(question.body),
        "answers": [(a, render_user_content(a.text), blind[a.pk], waiting[a.pk]) for a in answers],
        "waiting": _waiting_summary(waiting.values(), request.user, primary),
        "history": selectors.question_history(question),
        "comments": [(c, render_user_content(c.body)) for c in selectors.question_comments(question)],
    }
    return render(request, "catalog/question_detail.html", context)


def _waiting_summary(waiting, user, primary) -> dict:
    """For the banner over the answers: does any wait for a judge, or for a replay (and, for a
    curator, how many answers site-wide the primary config has not judged)?"""
    kinds = {w.kind for w in waiting}
    replay = Waiting.NOT_QUEUED in kinds
    curator = user.is_authenticated and (user.is_curator or user.is_superuser)
    return {
        "no_judge": Waiting.NO_JUDGE in kinds,
        "replay": replay,
        "here": sum(w.kind == Waiting.NOT_QUEUED for w in waiting),
        "primary": primary,
        "unjudged": unjudged_count(primary) if replay and curator else 0,
    }
