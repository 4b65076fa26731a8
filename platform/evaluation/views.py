from django.contrib import messages
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_http_methods, require_POST

from common.errors import DomainError
from common.roles import curator_required
from evaluation import selectors, services
from evaluation.forms import ReplayForm
from evaluation.models import Replay, Validation, ValidatorConfig


@curator_required
@require_http_methods(["GET", "POST"])
def validation_dashboard(request):
    form = ReplayForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            replay = services.replay_start(
                validator=form.cleaned_data["validator"], actor=request.user, filters=form.filters()
            )
        except DomainError as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(request, f"Replay #{replay.pk} started over {replay.total} answers.")
            return redirect("evaluation:dashboard")
    context = {
        "offers": selectors.replay_offers(),
        "health": selectors.queue_health(),
        "validators": selectors.validators_with_counts(),
        "replays": selectors.replays_with_progress(),
        "form": form,
    }
    template = "evaluation/dashboard.html"
    if request.htmx and request.method == "GET":
        template += "#live"
    return render(request, template, context, status=400 if form.errors else 200)


@curator_required
@require_POST
def validation_rerun(request, pk: int):
    rerun = services.validation_rerun(validations=Validation.objects.filter(pk=pk))
    messages.success(request, "Queued again." if rerun else "Nothing to re-run.")
    return _back(request)


@curator_required
@require_POST
def replay_cancel(request, pk: int):
    services.replay_cancel(replay=get_object_or_404(Replay, pk=pk))
    messages.success(request, f"Replay #{pk} cancelled.")
    return redirect("evaluation:dashboard")




@curator_required
@require_POST
def replay_unjudged(request, pk: int):
    """The replay offer: judge what this config has not judged yet."""
    validator = get_object_or_404(ValidatorConfig, pk=pk)
    try:
        replay, created = services.replay_unjudged_start(validator=validator, actor=request.user)
    except DomainError as exc:
        messages.error(request, str(exc))
    else:
        if created:
            messages.success(request, f"Replay #{replay.pk} of {validator.name} started over {replay.total} answers.")
        else:
            messages.info(request, f"Replay #{replay.pk} of {validator.name} is already running over them.")
    return _back(request)


def _back(request):
    """To the page the curator came from (a local `next`), else the dashboard."""
    url = request.POST.get("next", "")
    local = url.startswith("/") and url_has_allowed_host_and_scheme(url, allowed_hosts={request.get_host()})
    return redirect(url if local else "evaluation:dashboard")
