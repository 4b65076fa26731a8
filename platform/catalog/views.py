from django.conf import settings
from django.http import Http404
from django.shortcuts import render
from django.utils.cache import patch_vary_headers
from django.views.decorators.http import require_GET

from catalog import selectors
from catalog.models import Question
from common.rendering import render_user_content
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
    context = {
        "question": question,
        "body_html": render_user_content(question.body),
        "answers": [(answer, render_user_content(answer.text), blind[answer.pk]) for answer in answers],
        "judge_configured": selectors.judge_configured(),
        "history": selectors.question_history(question),
        "comments": [(c, render_user_content(c.body)) for c in selectors.question_comments(question)],
    }
    return render(request, "catalog/question_detail.html", context)
