import json

from django import forms
from django.contrib import admin, messages
from django.template.defaultfilters import pluralize
from django.urls import reverse
from django.utils.html import format_html

import validators
from common.errors import DomainError
from evaluation import selectors, services
from evaluation.models import Replay, Validation, ValidationResult, ValidatorConfig

PRESET_CHOICES = [("", "— custom JSON below —")] + [(name, name) for name in sorted(validators.PRESETS)]


class ValidatorConfigForm(forms.ModelForm):
    preset = forms.ChoiceField(choices=PRESET_CHOICES, required=False,
                               help_text="Start from a preset (its JSON replaces the config below).")  # fmt: skip
    config = forms.JSONField(required=False, widget=forms.Textarea(attrs={"rows": 18, "cols": 100}),
                             help_text="A validators config: see validators/README.md.")  # fmt: skip

    class Meta:
        model = ValidatorConfig
        fields = ("name", "description", "preset", "config", "queue", "runs_on_new_answers",
                  "is_primary", "sites", "max_attempts", "demo_judge")  # fmt: skip

    def clean(self):
        data = super().clean()
        source = data.get("preset") or data.get("config")
        if not source:
            raise forms.ValidationError("Choose a preset or give a config.")
        try:
            data["config"], _ = services.validator_config_normalise(source)
        except DomainError as exc:
            raise forms.ValidationError(str(exc)) from exc
        return data


@admin.register(ValidatorConfig)
class ValidatorConfigAdmin(admin.ModelAdmin):
    form = ValidatorConfigForm
    list_display = ("name", "short_hash", "queue", "runs_on_new_answers", "is_primary", "demo_judge", "updated_at")
    list_filter = ("queue", "runs_on_new_answers", "is_primary")
    search_fields = ("name", "config_hash")
    readonly_fields = ("config_hash", "explanation", "unjudged")

    @admin.display(description="hash")
    def short_hash(self, obj):
        return obj.config_hash[:12]

    @admin.display(description="Steps and worst-case calls")
    def explanation(self, obj):
        return validators.explain(obj.config) if obj and obj.config else "—"

    @admin.display(description="Answers without a verdict from it")
    def unjudged(self, obj):
        if not (obj and obj.pk):
            return "— (counted once it is saved)"
        count = selectors.unjudged_count(obj)
        if not count:
            return "None: every answer of its sites has a verdict from this config or is queued for one."
        return format_html(
            '{} answer{} {} no verdict from this config and nothing queued for one. '
            '<button type="submit" name="_replay_unjudged" value="1" class="button">Save and replay them</button>',
            count, pluralize(count), pluralize(count, "has,have"),
        )  # fmt: skip

    def save_model(self, request, obj, form, change):
        data = form.cleaned_data
        saved = services.validator_config_save(
            name=data["name"], config=data["config"], actor=request.user, queue=data["queue"],
            description=data["description"], runs_on_new_answers=data["runs_on_new_answers"],
            is_primary=data["is_primary"], sites=data["sites"], max_attempts=data["max_attempts"],
            demo_judge=data["demo_judge"], instance=obj if change else None,
        )  # fmt: skip
        obj.pk = saved.pk  # the service saved its own instance: the admin's responses need the id
        obj.refresh_from_db()

    def response_add(self, request, obj, post_url_continue=None):
        response = super().response_add(request, obj, post_url_continue)
        self._offer_replay(request, obj)
        return response

    def response_change(self, request, obj):
        response = super().response_change(request, obj)
        self._offer_replay(request, obj)
        return response

    def _offer_replay(self, request, obj) -> None:
        """After a save: start the replay asked for, or say how many answers are waiting for one."""
        if "_replay_unjudged" in request.POST:
            try:
                replay, created = services.replay_unjudged_start(validator=obj, actor=request.user)
            except DomainError as exc:
                self.message_user(request, str(exc), messages.WARNING)
            else:
                verb = "started" if created else "is already running"
                self.message_user(request, f"Replay #{replay.pk} {verb} over {replay.total} answers.", messages.SUCCESS)
            return
        count = selectors.unjudged_count(obj)
        if count:
            link = reverse("evaluation:dashboard") + "#replay-offers"
            self.message_user(request, format_html(
                '{} answer{} no verdict from {}: <a href="{}">Replay them</a>.',
                count, pluralize(count, " has,s have"), obj.name, link,
            ), messages.WARNING)  # fmt: skip

    def save_related(self, request, form, formsets, change):
        pass  # sites are saved by the service

    def get_changeform_initial_data(self, request):
        return {"config": json.dumps(validators.load("uq-default"), indent=2)}


@admin.register(Validation)
class ValidationAdmin(admin.ModelAdmin):
    list_display = ("id", "answer", "validator", "state", "attempts", "next_attempt_at", "updated_at")
    list_filter = ("state", "validator")
    list_select_related = ("answer__model_entry", "validator")
    readonly_fields = [f.name for f in Validation._meta.fields]
    actions = ["rerun"]

    @admin.action(description="Re-run the selected validations (errors and cancelled ones)")
    def rerun(self, request, queryset):
        count = services.validation_rerun(validations=queryset)
        self.message_user(request, f"{count} validation(s) queued again.", messages.SUCCESS)

    def has_add_permission(self, request):
        return False


@admin.register(ValidationResult)
class ValidationResultAdmin(admin.ModelAdmin):
    list_display = ("id", "answer", "decision", "score", "calls", "prompt_tokens", "completion_tokens", "created_at")
    list_filter = ("decision",)
    readonly_fields = [f.name for f in ValidationResult._meta.fields]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(Replay)
class ReplayAdmin(admin.ModelAdmin):
    list_display = ("id", "validator", "status", "total", "created_at", "finished_at")
    readonly_fields = [f.name for f in Replay._meta.fields]
