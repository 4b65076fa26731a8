from django import forms
from django.contrib import admin

from curation import rules as rule_filters
from curation.models import Candidate, FilterPreset, FilterRun, HarvestJob, ScreenJob, SourceStatus


class FilterPresetForm(forms.ModelForm):
    rules = forms.JSONField(widget=forms.Textarea(attrs={"rows": 24, "cols": 100}),
                            help_text="Every key is one rule; null switches it off (docs/operations.md).")  # fmt: skip

    class Meta:
        model = FilterPreset
        fields = ("name", "description", "rules")

    def clean_rules(self):
        rules = self.cleaned_data["rules"]
        errors = rule_filters.schema_errors(rules)
        if errors:
            raise forms.ValidationError(errors)
        return rules


@admin.register(FilterPreset)
class FilterPresetAdmin(admin.ModelAdmin):
    form = FilterPresetForm
    list_display = ("name", "updated_at")
    search_fields = ("name",)

    def save_model(self, request, obj, form, change):
        obj.created_by = obj.created_by or request.user
        super().save_model(request, obj, form, change)


@admin.register(FilterRun)
class FilterRunAdmin(admin.ModelAdmin):
    list_display = ("preset_name", "site", "created_by", "created_at")
    readonly_fields = [f.name for f in FilterRun._meta.fields]

    def has_add_permission(self, request):
        return False


@admin.register(Candidate)
class CandidateAdmin(admin.ModelAdmin):
    list_display = ("question", "filter_passed", "screen_state", "decision", "decided_by", "decided_at")
    list_filter = ("decision", "filter_passed", "screen_state")
    raw_id_fields = ("question", "merged_into", "filter_run", "screen_job")
    readonly_fields = ("screen",)


@admin.register(HarvestJob)
class HarvestJobAdmin(admin.ModelAdmin):
    list_display = ("site", "method", "status", "next_page", "fetched", "created", "quota_remaining", "created_at")
    list_filter = ("status",)


@admin.register(ScreenJob)
class ScreenJobAdmin(admin.ModelAdmin):
    list_display = ("pk", "validator", "status", "total", "passed", "failed", "errors", "calls", "created_at")
    list_filter = ("status",)


@admin.register(SourceStatus)
class SourceStatusAdmin(admin.ModelAdmin):
    list_display = ("question", "is_answered", "accepted_answer_id", "missing", "flag", "checked_at")
    list_filter = ("flag", "is_answered", "missing")
    raw_id_fields = ("question",)
