from django.contrib import admin, messages

from leaderboards import services
from leaderboards.models import Export


@admin.register(Export)
class ExportAdmin(admin.ModelAdmin):
    list_display = ("id", "requested_by", "format", "scope", "status", "rows_done", "rows_total", "file_size", "created_at")
    list_filter = ("status", "format", "scope")
    list_select_related = ("requested_by",)
    readonly_fields = [f.name for f in Export._meta.fields]
    actions = ["cancel"]

    @admin.action(description="Cancel the selected exports")
    def cancel(self, request, queryset):
        for export in queryset:
            services.export_cancel(export=export, actor=request.user)
        self.message_user(request, f"{queryset.count()} export(s) cancelled or stopping.", messages.SUCCESS)

    def has_add_permission(self, request):
        return False

    def delete_model(self, request, obj):
        services.export_delete(export=obj)

    def delete_queryset(self, request, queryset):
        for export in queryset:
            services.export_delete(export=export)
