from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import get_object_or_404, redirect, render
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



