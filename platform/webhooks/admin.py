from django.contrib import admin, messages

from common.errors import DomainError
from webhooks import services
from webhooks.models import WebhookDelivery, WebhookEndpoint


@admin.register(WebhookEndpoint)
class WebhookEndpointAdmin(admin.ModelAdmin):
    """Secrets are never shown here: owners see theirs once, on their Webhooks page."""

    list_display = ("url", "owner", "event_types", "is_active", "created_at")
    list_filter = ("is_active",)
    search_fields = ("url", "owner__username", "description")
    list_select_related = ("owner",)
    fields = (
        "owner",
        "url",
        "description",
        "event_types",
        "is_active",
        "secret_hint",
        "created_at",
    )
    readonly_fields = ("owner", "url", "event_types", "secret_hint", "created_at")
    actions = ("disable",)

    def has_add_permission(self, request):
        return False

    def save_model(self, request, obj, form, change):
        services.endpoint_update(
            endpoint=obj,
            url=obj.url,
            event_types=obj.event_types,
            description=obj.description,
            is_active=obj.is_active,
        )

    def delete_model(self, request, obj):
        services.endpoint_delete(endpoint=obj)

    @admin.action(description="Disable the selected endpoints")
    def disable(self, request, queryset):
        for endpoint in queryset:
            services.endpoint_update(
                endpoint=endpoint,
                url=endpoint.url,
                event_types=endpoint.event_types,
                description=endpoint.description,
                is_active=False,
            )
        messages.success(request, f"{queryset.count()} endpoint(s) disabled.")


@admin.register(WebhookDelivery)
class WebhookDeliveryAdmin(admin.ModelAdmin):
    list_display = (
        "id",
        "endpoint",
        "event_type",
        "message_id",
        "status",
        "attempts",
        "response_status",
        "created_at",
    )
    list_filter = ("status", "event_type")
    search_fields = ("message_id", "endpoint__url", "endpoint__owner__username")
    list_select_related = ("endpoint",)
    readonly_fields = [field.name for field in WebhookDelivery._meta.fields]
    actions = ("redeliver",)

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    @admin.action(description="Redeliver the selected messages (same message id)")
    def redeliver(self, request, queryset):
        sent, refused = 0, []
        for delivery in queryset:
            try:
                services.delivery_redeliver(delivery=delivery, actor=request.user)
                sent += 1
            except DomainError as exc:
                refused.append(f"{delivery.message_id}: {exc}")
        messages.success(request, f"{sent} message(s) queued again.")
        if refused:
            messages.warning(request, " ".join(refused))
