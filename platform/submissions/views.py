from functools import wraps

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.cache import patch_vary_headers
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from common.errors import DomainError
from common.roles import builder_required
from submissions import selectors, services
from submissions.forms import GenerationJobForm


@builder_required
@require_GET
def dashboard(request):
    context = {
        "entries": selectors.model_entries_visible_to(request.user).filter(owner=request.user),
        "jobs": selectors.generation_jobs_visible_to(request.user)[:20],
    }
    return render(request, "submissions/dashboard.html", context)


@builder_required
@require_http_methods(["GET", "POST"])
def job_start(request, entry_pk: int):
    entry = get_object_or_404(selectors.model_entries_visible_to(request.user), pk=entry_pk)
    form = GenerationJobForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            job = services.generation_job_start(
                entry=entry, actor=request.user, selection=form.selection(),
                concurrency=form.cleaned_data["concurrency"], max_tokens=form.cleaned_data["max_tokens"],
            )  # fmt: skip
        except DomainError as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(request, f"Generation run #{job.pk} queued: {job.total} questions.")
            return redirect("submissions:job_detail", pk=job.pk)
    status = 400 if request.method == "POST" else 200
    return render(request, "submissions/job_start.html", {"entry": entry, "form": form}, status=status)


@login_required
@require_GET
def job_detail(request, pk: int):
    job = get_object_or_404(selectors.generation_jobs_visible_to(request.user), pk=pk)
    template = "submissions/job_detail.html"
    if request.htmx:
        template += "#progress"
    return render(request, template, {"job": job})


@login_required
@require_POST
def job_cancel(request, pk: int):
    job = get_object_or_404(selectors.generation_jobs_visible_to(request.user), pk=pk)
    try:
        job = services.generation_job_cancel(job=job, actor=request.user)
    except DomainError as exc:
        messages.error(request, str(exc))
    if request.htmx:
        return render(request, "submissions/job_detail.html#progress", {"job": job})
    return redirect("submissions:job_detail", pk=job.pk)





def builders_only(view):
    """Log in first; then a page that says why it is not there for you (403) without the role."""

    @login_required
    @wraps(view)
    def wrapper(request, *args, **kwargs):
        if not request.user.is_builder:
            return render(request, "submissions/not_a_builder.html", status=403)
        return view(request, *args, **kwargs)

    return wrapper


@builders_only
@require_GET
def answers(request):
    """Your answers: every answer of your own model entries, whatever other roles you have."""
    entries = selectors.own_entries(request.user)
    uploads = selectors.latest_upload(entries)
    query = request.GET.copy()
    query.pop("page", None)
    context = {"uploads": uploads, "judge_configured": selectors.primary_judges_new_answers(), "query_string": query.urlencode(),
               "waiting": sum(upload.waiting for upload in uploads)}  # fmt: skip
    response = _answers_response(request, entries, context)
    patch_vary_headers(response, ["HX-Request", "HX-Target"])
    return response


def _answers_response(request, entries, context):
    template = "submissions/answers.html"
    if request.htmx and request.htmx.target == "upload-progress":  # the polling progress card only
        return render(request, template + "#progress", context)
    filterset = selectors.own_answer_filter(request.user, request.GET, entries=entries)
    valid = filterset.is_valid()
    page = selectors.own_answer_page(filterset.qs if valid else filterset.queryset.none(),
                                     page=request.GET.get("page"), per_page=settings.QUORUM_PAGE_SIZE)  # fmt: skip
    context |= {"entries": entries, "filter": filterset, "page": page,
                "rows": selectors.own_answer_rows(list(page.object_list), request.user)}  # fmt: skip
    return render(request, template, context, status=200 if valid else 400)
