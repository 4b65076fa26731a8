import json

from django.contrib import messages
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django_htmx.http import HttpResponseClientRedirect

from common.errors import DomainError
from common.roles import builder_required
from webhooks import selectors, services
from webhooks.forms import EndpointForm

DETAIL = "webhooks/endpoint_detail.html"


def _own_endpoint(request, pk: int):
    return get_object_or_404(selectors.endpoints_of(request.user), pk=pk)


@builder_required
@require_http_methods(["GET", "POST"])
def endpoint_list(request):
    form = EndpointForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            endpoint = services.endpoint_create(owner=request.user, **_fields(form))
        except DomainError as exc:
            form.add_error("url" if isinstance(exc, services.WebhookURLRefused) else None, str(exc))
        else:
            return _render_detail(request, endpoint, issued_secret=endpoint.secret, status=201)
    context = {"endpoints": selectors.endpoints_of(request.user), "form": form}
    return render(
        request, "webhooks/endpoint_list.html", context, status=400 if form.errors else 200
    )


@builder_required
@require_http_methods(["GET", "POST"])
def endpoint_detail(request, pk: int):
    endpoint = _own_endpoint(request, pk)
    if request.method == "GET":
        if request.htmx and not request.htmx.history_restore_request:
            return render(request, DETAIL + "#deliveries", _deliveries_context(endpoint))
        return _render_detail(request, endpoint)
    form = EndpointForm.for_endpoint(endpoint, request.POST)
    if form.is_valid():
        try:
            services.endpoint_update(endpoint=endpoint, **_fields(form, with_active=True))
        except DomainError as exc:
            form.add_error("url" if isinstance(exc, services.WebhookURLRefused) else None, str(exc))
        else:
            messages.success(request, "Endpoint saved.")
            return redirect("webhooks:endpoint_detail", pk=endpoint.pk)
    endpoint.refresh_from_db()
    return _render_detail(request, endpoint, form=form, status=400)


@builder_required
@require_POST
def endpoint_rotate(request, pk: int):
    endpoint = services.endpoint_rotate_secret(endpoint=_own_endpoint(request, pk))
    return _render_detail(request, endpoint, issued_secret=endpoint.secret)


@builder_required
@require_POST
def endpoint_delete(request, pk: int):
    endpoint = _own_endpoint(request, pk)
    services.endpoint_delete(endpoint=endpoint)
    messages.success(request, f"Endpoint {endpoint.url} deleted.")
    if request.htmx:
        return HttpResponseClientRedirect(reverse("webhooks:endpoint_list"))
    return redirect("webhooks:endpoint_list")


@builder_required
@require_POST
def endpoint_test(request, pk: int):
    endpoint = _own_endpoint(request, pk)
    try:
        services.endpoint_send_test(endpoint=endpoint, actor=request.user)
    except DomainError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, "Test event queued.")
    return _after_delivery_action(request, endpoint)


@builder_required
@require_POST
def delivery_redeliver(request, pk: int):
    delivery = get_object_or_404(selectors.deliveries_owned_by(request.user), pk=pk)
    try:
        services.delivery_redeliver(delivery=delivery, actor=request.user)
    except DomainError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, f"Message {delivery.message_id} queued again.")
    return _after_delivery_action(request, delivery.endpoint)


@builder_required
@require_GET
def delivery_payload(request, pk: int):
    delivery = get_object_or_404(selectors.deliveries_owned_by(request.user), pk=pk)
    payload_json = json.dumps(delivery.payload, indent=2, ensure_ascii=False)
    return render(
        request,
        "webhooks/delivery_payload.html",
        {"delivery": delivery, "payload_json": payload_json},
    )


def _fields(form: EndpointForm, *, with_active: bool = False) -> dict:
    fields = {name: form.cleaned_data[name] for name in ("url", "event_types", "description")}
    if with_active:
        fields["is_active"] = form.cleaned_data["is_active"]
    return fields


def _deliveries_context(endpoint) -> dict:
    deliveries = selectors.deliveries_of(endpoint)
    return {
        "endpoint": endpoint,
        "deliveries": deliveries,
        "any_open": any(d.is_open for d in deliveries),
    }


def _render_detail(request, endpoint, *, form=None, issued_secret: str = "", status: int = 200):
    context = {
        **_deliveries_context(endpoint),
        "form": form or EndpointForm.for_endpoint(endpoint),
        "issued_secret": issued_secret,
    }
    return render(request, DETAIL, context, status=status)


def _after_delivery_action(request, endpoint):
    """htmx: the refreshed delivery log (with the message); otherwise back to the page."""
    if request.htmx:
        return render(request, DETAIL + "#deliveries", _deliveries_context(endpoint))
    return redirect("webhooks:endpoint_detail", pk=endpoint.pk)
