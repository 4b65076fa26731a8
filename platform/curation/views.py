from django.contrib import messages
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_http_methods, require_POST

from catalog.models import Question
from common.errors import DomainError
from common.roles import curator_required
from curation import selectors, services
from curation.forms import (
    NO_JUDGE,
    ApplyPresetForm,
    BulkForm,
    CandidateForm,
    EditForm,
    HarvestForm,
    MergeForm,
    PresetForm,
    RejectForm,
    ScreenForm,
)
from curation.models import FilterPreset, HarvestJob, ScreenJob, SourceStatus


@curator_required
@require_http_methods(["GET", "POST"])
def queue(request):
    view = request.GET.get("view", "ready")
    if view not in selectors.QUEUE_VIEWS:
        view = "ready"
    site = request.GET.get("site", "")
    bulk = BulkForm(request.POST or None)
    if request.method == "POST":
        if bulk.is_valid():
            _bulk(request, bulk.cleaned_data)
            return redirect(f"{reverse('curation:queue')}?view={view}")
        messages.error(request, "Choose an action and at least one candidate.")
    context = {
        "view": view, "views": selectors.QUEUE_VIEWS, "view_label": selectors.QUEUE_VIEWS[view], "site": site,
        "page": selectors.queue_page(selectors.candidate_queue(view, site=site), request.GET.get("page")),
        "counts": selectors.queue_counts(), "flags": selectors.source_flags(),
        "reject_form": RejectForm(), "validators": selectors.screen_judges(),
    }  # fmt: skip
    template = "curation/queue.html#candidates" if request.htmx and request.method == "GET" else "curation/queue.html"
    return render(request, template, context)


def _bulk(request, data) -> None:
    questions = list(data["selected"])
    if data["action"] == "screen":
        if data["validator"] is None:
            judges = selectors.screen_judges_exist()
            messages.error(request, "Choose the validator whose judge pre-screens." if judges else NO_JUDGE)
            return
        try:
            job = services.screen_job_start(validator=data["validator"], actor=request.user,
                                            question_ids=[q.pk for q in questions])  # fmt: skip
        except DomainError as exc:
            messages.error(request, str(exc))
        else:
            messages.success(request, f"Pre-screen #{job.pk} started over {job.total} candidates.")
        return
    done, problems = services.candidates_bulk(action=data["action"], questions=questions, actor=request.user,
                                              reason=data["reason"], note=data["note"])  # fmt: skip
    verb = "approved" if data["action"] == "approve" else "rejected"
    messages.success(request, f"{done} candidate(s) {verb}.")
    for problem in problems:
        messages.error(request, problem)


@curator_required
@require_http_methods(["GET", "POST"])
def candidate(request, pk: int):
    try:
        question, evidence = selectors.candidate_detail(pk)
    except Question.DoesNotExist:
        raise Http404("No such candidate.") from None
    action = request.POST.get("action", "")
    forms = {
        "edit": EditForm(request.POST if action == "edit" else None, initial={
            "title": question.title, "body": question.body, "tags": question.tags, "category": question.category}),
        "reject": RejectForm(request.POST if action == "reject" else None),
        "merge": MergeForm(request.POST if action == "merge" else None),
    }  # fmt: skip
    if request.method == "POST":
        done = _candidate_action(request, question, action, forms)
        if done:
            return redirect(done)
    context = {"question": question, "evidence": evidence, "forms": forms,
               "audit": selectors.candidate_audit(question)}  # fmt: skip
    return render(request, "curation/candidate.html", context, status=400 if request.method == "POST" else 200)


def _candidate_action(request, question, action: str, forms) -> str | None:
    """Run the chosen action; where to go next, or None to show the page with errors."""
    user = request.user
    form = forms.get(action)
    if form is not None and not form.is_valid():
        return None
    try:
        if action == "approve":
            services.candidate_approve(question=question, actor=user, note=request.POST.get("note", ""))
            messages.success(request, f"“{question.title[:80]}” is open.")
            return reverse("curation:queue")
        if action == "reject":
            services.candidate_reject(question=question, actor=user, **form.cleaned_data)
            messages.success(request, f"“{question.title[:80]}” was rejected.")
            return reverse("curation:queue")
        if action == "merge":
            services.candidate_merge(question=question, actor=user, **form.cleaned_data)
            messages.success(request, f"Merged into #{form.cleaned_data['into'].pk}.")
            return reverse("curation:queue")
        if action == "edit":
            services.candidate_edit(question=question, actor=user, **form.cleaned_data)
            messages.success(request, "Saved.")
            return reverse("curation:candidate", args=[question.pk])
    except DomainError as exc:
        messages.error(request, str(exc))
        return reverse("curation:candidate", args=[question.pk])
    messages.error(request, "Unknown action.")
    return reverse("curation:candidate", args=[question.pk])


@curator_required
@require_http_methods(["GET", "POST"])
def candidate_new(request):
    form = CandidateForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = {**form.cleaned_data, "site": form.cleaned_data["site"].slug}
        try:
            question = services.candidate_create(actor=request.user, **data)
        except DomainError as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(request, "Candidate added as a draft.")
            return redirect("curation:candidate", pk=question.pk)
    return render(request, "curation/candidate_new.html", {"form": form}, status=400 if form.errors else 200)


@curator_required
@require_http_methods(["GET", "POST"])
def pipeline(request):
    which = request.POST.get("form", "")
    forms = {
        "apply": ApplyPresetForm(request.POST if which == "apply" else None),
        "harvest": HarvestForm(request.POST if which == "harvest" else None),
        "screen": ScreenForm(request.POST if which == "screen" else None),
    }
    if request.method == "POST" and which in forms and forms[which].is_valid():
        try:
            messages.success(request, _start(request, which, forms[which]))
        except DomainError as exc:
            forms[which].add_error(None, str(exc))
        else:
            return redirect("curation:pipeline")
    services.preset_uq_default()
    has_judge = selectors.screen_judges_exist()
    if not has_judge:  # the form shows, switched off, beside the notice that says why
        for field in forms["screen"].fields.values():
            field.disabled = True
    context = {"forms": forms, "presets": selectors.presets(), "runs": selectors.filter_runs(),
               "harvests": selectors.harvest_jobs(), "screens": selectors.screen_jobs(),
               "has_judge": has_judge}  # fmt: skip
    template = "curation/pipeline.html#jobs" if request.htmx and request.method == "GET" else "curation/pipeline.html"
    status = 400 if request.method == "POST" else 200
    return render(request, template, context, status=status)


def _start(request, which: str, form) -> str:
    data = form.cleaned_data
    if which == "apply":
        run = services.filters_apply(preset=data["preset"], actor=request.user,
                                     site=data["site"].slug if data["site"] else "")  # fmt: skip
        return f"{run.preset_name}: {run.report['kept']} of {run.report['total']} candidates kept."
    if which == "harvest":
        job = services.harvest_job_start(actor=request.user, **data)
        return f"Harvest #{job.pk} of {job.site} queued."
    ids = services.screen_candidates(site=data["site"].slug if data["site"] else "",
                                     rescreen=data["rescreen"], limit=data["limit"])  # fmt: skip
    job = services.screen_job_start(validator=data["validator"], actor=request.user, question_ids=ids,
                                    settings_=form.screen_settings())  # fmt: skip
    return f"Pre-screen #{job.pk} queued over {job.total} candidates."


@curator_required
@require_POST
def harvest_cancel(request, pk: int):
    services.harvest_job_cancel(job=get_object_or_404(HarvestJob, pk=pk))
    messages.success(request, f"Harvest #{pk} cancelled.")
    return redirect("curation:pipeline")


@curator_required
@require_POST
def harvest_resume(request, pk: int):
    try:
        services.harvest_job_resume(job=get_object_or_404(HarvestJob, pk=pk))
    except DomainError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, f"Harvest #{pk} resumes.")
    return redirect("curation:pipeline")


@curator_required
@require_POST
def screen_cancel(request, pk: int):
    services.screen_job_cancel(job=get_object_or_404(ScreenJob, pk=pk))
    messages.success(request, f"Pre-screen #{pk} cancelled.")
    return redirect("curation:pipeline")


@curator_required
@require_http_methods(["GET", "POST"])
def preset_edit(request, pk: int | None = None):
    preset = get_object_or_404(FilterPreset, pk=pk) if pk else None
    if preset is None and request.method == "GET":
        initial = {"rules": services.preset_uq_default().rules}
    else:
        initial = None
    form = PresetForm(request.POST or None, instance=preset, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            services.preset_save(instance=preset, actor=request.user, **form.cleaned_data)
        except DomainError as exc:
            form.add_error("rules" if "preset is not valid" in str(exc) else None, str(exc))
        else:
            messages.success(request, "Preset saved.")
            return redirect("curation:pipeline")
    return render(request, "curation/preset.html", {"form": form, "preset": preset},
                  status=400 if form.errors else 200)  # fmt: skip


@curator_required
@require_POST
def source_flag(request, pk: int):
    status = get_object_or_404(SourceStatus, pk=pk)
    try:
        services.source_flag_resolve(status=status, actor=request.user, retire=request.POST.get("decision") == "retire",
                                     note=request.POST.get("note", ""))  # fmt: skip
    except DomainError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, "Flag resolved.")
    return redirect(reverse("curation:queue") + "#source-flags")
