from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth.decorators import login_required
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_http_methods, require_POST

from accounts.forms import ProfileForm, SignupForm, TokenForm
from accounts.models import ApiToken
from accounts.services import (
    api_token_create,
    api_token_revoke,
    notifications_mark_read,
    user_create,
    user_update_profile,
)
from common.errors import DomainError


def _tokens_context(request, form=None, issued=None):
    user = request.user
    initial = {"display_name": user.display_name, "affiliation": user.affiliation,
               "organisation": user.organisation, "expertise_tags": ", ".join(user.expertise_tags)}  # fmt: skip
    return {
        "profile_form": ProfileForm(initial=initial),
        "form": form or TokenForm(),
        "tokens": ApiToken.objects.filter(user=request.user),
        "issued": issued,
    }


def _render_tokens(request, context, status=200):
    template = "accounts/profile.html"
    if request.htmx and not request.htmx.history_restore_request:
        template += "#tokens"
        status = 200  # htmx swaps only 2xx responses: errors are shown in the partial
    return render(request, template, context, status=status)


@login_required
@require_http_methods(["GET", "POST"])
def profile(request):
    if request.method == "GET":
        return _render_tokens(request, _tokens_context(request))
    form = TokenForm(request.POST)
    if not form.is_valid():
        return _render_tokens(request, _tokens_context(request, form=form), status=400)
    try:
        issued = api_token_create(
            user=request.user, name=form.cleaned_data["name"], scopes=form.cleaned_data["scopes"],
            expires_at=form.cleaned_data["expires_at"],
        )  # fmt: skip
    except DomainError as exc:
        form.add_error(None, str(exc))
        return _render_tokens(request, _tokens_context(request, form=form), status=400)
    return _render_tokens(request, _tokens_context(request, issued=issued.plaintext), status=201)


@login_required
@require_POST
def token_revoke(request, pk: int):
    token = get_object_or_404(ApiToken, pk=pk, user=request.user)
    api_token_revoke(token=token, actor=request.user)
    if request.htmx:
        return _render_tokens(request, _tokens_context(request))
    messages.success(request, f"Token “{token.name}” revoked.")
    return redirect("accounts:profile")


@require_http_methods(["GET", "POST"])
def signup(request):
    form = SignupForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            user = user_create(**form.cleaned_data)
        except DomainError as exc:
            form.add_error("username", str(exc))
        else:
            login(request, user, backend="django.contrib.auth.backends.ModelBackend")
            messages.success(request, "Welcome to Quorum. Experts: ask for expert status below.")
            return redirect("reviews:expertise")
    return render(request, "registration/signup.html", {"form": form}, status=400 if form.errors else 200)


@login_required
@require_http_methods(["GET", "POST"])
def notifications(request):
    if request.method == "POST":
        notifications_mark_read(user=request.user)
        return redirect("accounts:notifications")
    items = list(request.user.notifications.all()[:100])
    return render(request, "accounts/notifications.html", {"items": items})


@login_required
@require_POST
def profile_update(request):
    form = ProfileForm(request.POST)
    if form.is_valid():
        try:
            user_update_profile(user=request.user, **form.cleaned_data)
            messages.success(request, "Profile saved.")
        except DomainError as exc:
            messages.error(request, str(exc))
    else:
        messages.error(request, "; ".join(f"{k}: {' '.join(v)}" for k, v in form.errors.items()))
    return redirect("accounts:profile")
