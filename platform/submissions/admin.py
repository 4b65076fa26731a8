from django.contrib import admin

from submissions.models import Answer, ModelEntry


@admin.register(ModelEntry)
class ModelEntryAdmin(admin.ModelAdmin):
    list_display = ("name", "version", "display_name", "owner", "organisation", "provider", "created_at")
    list_filter = ("provider", "organisation")
    search_fields = ("name", "display_name", "owner__username", "organisation")
    list_select_related = ("owner",)
    readonly_fields = ("created_at", "updated_at")

    def get_readonly_fields(self, request, obj=None):
        # Provenance is fixed once the entry exists: owner always, name and version too.
        return (*self.readonly_fields, "owner", "name", "version") if obj else self.readonly_fields


@admin.register(Answer)
class AnswerAdmin(admin.ModelAdmin):
    list_display = ("id", "question", "model_entry", "validation_state", "review_state", "submitted_at")
    list_filter = ("validation_state", "review_state")
    search_fields = ("question__title", "question__external_id", "model_entry__name")
    list_select_related = ("question", "model_entry")
    readonly_fields = ("question", "model_entry", "text", "reasoning", "content_hash", "metadata", "submitted_at", "validation_state", "review_state")

    def has_add_permission(self, request):
        return False
