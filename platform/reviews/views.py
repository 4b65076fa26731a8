from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from catalog.models import Question
from common import ratelimit
from common.errors import DomainError
from common.rendering import render_user_content
from common.roles import curator_required, expert_required
from evaluation.selectors import answer_waiting_for
from reviews import selectors, services
from reviews.forms import AdjudicationForm, CommentForm, ExpertRequestForm, FlagForm, ReviewForm
from reviews.models import ExpertRequest, QuestionFlag
from submissions.models import Answer


@expert_required
@require_GET
def queue(request):
    context = {
        "waiting": selectors.review_queue(request.user).count(),
        "claims": selectors.my_claims(request.user),
    }
    return render(request, "reviews/queue.html", context)


@expert_required
@require_POST
def claim_next(request):
    answer = services.review_claim_next(expert=request.user)
    if answer is None:
        messages.info(request, "Nothing is waiting for you right now. Thank you!")
        return redirect("reviews:queue")
    return redirect("reviews:review", pk=answer.pk)


def _review_context(request, answer: Answer, form=None) -> dict:
    mine = next((r for r in answer.reviews.all() if r.expert_id == request.user.pk), None)
    site = answer.question.site
    visibility = selectors.blindness(site, reviewing=not mine)
    return {
        "answer": answer,
        "question": answer.question,
        "question_html": render_user_content(answer.question.body),
        "answer_html": render_user_content(answer.text),
        "mine": mine,
        "form": form or ReviewForm(initial=_initial(mine)),
        "others": [
            (r, render_user_content(r.rationale)) for r in answer.reviews.all() if r.expert_id != request.user.pk
        ] if mine else [],
        "comments": [(c, render_user_content(c.body)) for c in answer.comments.select_related("author")] if mine else [],
        "comment_form": CommentForm(),
        "waiting_for": answer_waiting_for(answer, show_validation=visibility["show_validation"]),
        **visibility,
    }  # fmt: skip


def _initial(review) -> dict:
    if review is None:
        return {}
    return {"verdict": review.verdict, "confidence": review.confidence, "rationale": review.rationale,
            "first_wrong_step": review.first_wrong_step}  # fmt: skip


@expert_required
@require_http_methods(["GET", "POST"])
def review(request, pk: int):
    form = ReviewForm(request.POST or None)
    saved = request.GET.get("saved") == "1"
    if request.method == "POST":
        saved = _submit(request, pk, form)
        if saved and not request.htmx:  # the flag, not a flash message: no cookie to sign
            return redirect(reverse("reviews:review", kwargs={"pk": pk}) + "?saved=1")
        form = None if not form.errors else form
    try:
        answer = selectors.review_page(pk)
    except Answer.DoesNotExist:
        raise Http404("No such answer.") from None
    # htmx swaps only 2xx responses: its errors come back in the panel with a 200.
    status = 400 if form is not None and form.errors and not request.htmx else 200
    partial = request.htmx and not (request.htmx.boosted or request.htmx.history_restore_request)
    template = "reviews/review.html" + ("#panel" if partial else "")
    context = {**_review_context(request, answer, form), "saved": saved}
    return render(request, template, context, status=status)


def _submit(request, pk: int, form: ReviewForm) -> bool:
    """The POST's work: few queries, the page is only loaded again to show the result."""
    if not ratelimit.allow(key=f"review:{request.user.pk}", per_minute=settings.QUORUM_REVIEWS_PER_MINUTE):
        form.add_error(None, "Too many reviews in a minute; take a breath and submit again.")
        return False
    if not form.is_valid():
        return False
    try:
        services.review_submit(expert=request.user, answer_id=pk, **form.cleaned_data)
    except Answer.DoesNotExist:
        raise Http404("No such answer.") from None
    except DomainError as exc:
        form.add_error(None, str(exc))
        return False
    return True


@login_required
@require_http_methods(["GET", "POST"])
def expertise(request):
    form = ExpertRequestForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.expert_request_create(user=request.user, **form.cleaned_data)
        except DomainError as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(request, "Request sent to the curators.")
            return redirect("reviews:expertise")
    context = {
        "form": form,
        "domains": request.user.expert_domains.select_related("site"),
        "requests": request.user.expert_requests.select_related("site"),
    }
    return render(request, "reviews/expertise.html", context, status=400 if form.errors else 200)


@curator_required
@require_http_methods(["GET", "POST"])
def curation(request):
    if request.method == "POST":
        return _curation_post(request)
    context = {
        "disputed": [(a, AdjudicationForm()) for a in selectors.disputed_answers()],
        "requests": selectors.pending_expert_requests(),
        "audit": selectors.audit_log(),
        "agreement": selectors.agreement_by_site(),
        "flags": QuestionFlag.objects.filter(status="open").select_related("question", "flagger"),
    }
    return render(request, "reviews/curation.html", context)


def _curation_post(request):
    try:
        if "flag" in request.POST:
            flag = get_object_or_404(QuestionFlag, pk=request.POST["flag"])
            services.question_flag_resolve(flag=flag, curator=request.user, accept=request.POST.get("decision") == "accept",
                                           note=request.POST.get("note", ""))  # fmt: skip
        elif "request" in request.POST:
            expert_request = get_object_or_404(ExpertRequest, pk=request.POST["request"])
            services.expert_request_decide(request=expert_request, curator=request.user,
                                           grant=request.POST.get("decision") == "grant")  # fmt: skip
        else:
            form = AdjudicationForm(request.POST)
            if not form.is_valid():
                raise DomainError("Choose an outcome and give the reason.")
            answer = get_object_or_404(Answer, pk=request.POST.get("answer"))
            services.answer_adjudicate(answer=answer, curator=request.user, **form.cleaned_data)
        messages.success(request, "Done; it is in the audit log.")
    except DomainError as exc:
        messages.error(request, str(exc))
    return redirect("reviews:curation")


def _rate_limited(request) -> bool:
    if ratelimit.allow(key=f"discussion:{request.user.pk}", per_minute=settings.QUORUM_REVIEWS_PER_MINUTE):
        return False
    messages.error(request, "Too many comments or flags in a minute; try again shortly.")
    return True


@login_required
@require_POST
def question_comment(request, pk: int):
    question = get_object_or_404(Question.objects.public(), pk=pk)
    form = CommentForm(request.POST)
    if not _rate_limited(request):
        try:
            services.comment_add(author=request.user, question=question, body=form.data.get("body", ""))
        except DomainError as exc:
            messages.error(request, str(exc))
    return redirect(f"/questions/{pk}/#comments")


@login_required
@require_POST
def answer_comment(request, pk: int):
    answer = get_object_or_404(Answer, pk=pk)
    if not (answer.reviews.filter(expert=request.user).exists() or request.user.is_curator):
        raise Http404("Comment on an answer after reviewing it.")
    if not _rate_limited(request):
        try:
            services.comment_add(author=request.user, answer=answer, body=request.POST.get("body", ""))
        except DomainError as exc:
            messages.error(request, str(exc))
    return redirect("reviews:review", pk=pk)


@login_required
@require_POST
def question_flag(request, pk: int):
    question = get_object_or_404(Question.objects.public(), pk=pk)
    form = FlagForm(request.POST)
    if not form.is_valid():
        messages.error(request, "; ".join(f"{k}: {' '.join(v)}" for k, v in form.errors.items()))
    elif not _rate_limited(request):
        try:
            services.question_flag(question=question, flagger=request.user, **form.cleaned_data)
            messages.success(request, "Thank you: a curator will look at the flag.")
        except DomainError as exc:
            messages.error(request, str(exc))
    return redirect(f"/questions/{pk}/#flag")
