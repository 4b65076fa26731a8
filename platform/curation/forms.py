import json

from django import forms

from catalog.models import Question, RetireReason, Site
from curation.models import FilterPreset, HarvestJob
from evaluation.models import ValidatorConfig
from validators.screening import ScreenSettings


class TagsField(forms.CharField):
    def to_python(self, value):
        return [t for t in (value or "").replace(",", " ").split() if t]

    def prepare_value(self, value):
        return " ".join(value) if isinstance(value, list) else value


class CandidateForm(forms.Form):
    site = forms.ModelChoiceField(queryset=Site.objects.all(), to_field_name="slug")
    title = forms.CharField(max_length=500)
    body = forms.CharField(widget=forms.Textarea(attrs={"rows": 10}), help_text="Markdown with TeX.")
    tags = TagsField(required=False, help_text="Separated by spaces or commas.")
    category = forms.CharField(max_length=100, required=False)
    link = forms.URLField(required=False, max_length=500, help_text="The original post, if any.")


class EditForm(forms.Form):
    title = forms.CharField(max_length=500)
    body = forms.CharField(widget=forms.Textarea(attrs={"rows": 10}))
    tags = TagsField(required=False, help_text="Separated by spaces or commas.")
    category = forms.CharField(max_length=100, required=False)


class RejectForm(forms.Form):
    reason = forms.ChoiceField(choices=RetireReason.choices)
    note = forms.CharField(required=False, max_length=2000, label="Note (recorded)")


class MergeForm(forms.Form):
    into = forms.ModelChoiceField(queryset=Question.objects.exclude(state="retired"),
                                  widget=forms.NumberInput, label="Keep question #",
                                  help_text="The id of the question this one duplicates.")  # fmt: skip
    note = forms.CharField(required=False, max_length=2000, label="Note (recorded)")


class BulkForm(forms.Form):
    action = forms.ChoiceField(choices=[("approve", "Approve"), ("reject", "Reject"), ("screen", "Pre-screen")])
    selected = forms.ModelMultipleChoiceField(queryset=Question.objects.filter(state="draft"))
    reason = forms.ChoiceField(choices=RetireReason.choices, required=False)
    note = forms.CharField(required=False, max_length=2000)
    validator = forms.ModelChoiceField(queryset=ValidatorConfig.objects.all(), required=False)


class PresetForm(forms.ModelForm):
    rules = forms.JSONField(widget=forms.Textarea(attrs={"rows": 24, "class": "mono"}),
                            help_text="Every key is one rule; null switches it off. See the docs.")  # fmt: skip

    class Meta:
        model = FilterPreset
        fields = ["name", "description", "rules"]
        widgets = {"description": forms.Textarea(attrs={"rows": 2})}

    def rules_json(self) -> str:
        return json.dumps(self.initial.get("rules", {}), indent=2)


class ApplyPresetForm(forms.Form):
    preset = forms.ModelChoiceField(queryset=FilterPreset.objects.all())
    site = forms.ModelChoiceField(queryset=Site.objects.all(), required=False, to_field_name="slug",
                                  empty_label="All sites")  # fmt: skip


class HarvestForm(forms.ModelForm):
    class Meta:
        model = HarvestJob
        fields = ["site", "method", "sort", "tagged", "min_votes", "fromdate", "todate", "limit"]
        widgets = {"fromdate": forms.DateInput(attrs={"type": "date"}),
                   "todate": forms.DateInput(attrs={"type": "date"})}  # fmt: skip


NO_JUDGE = ("No judge is configured, so nothing can pre-screen: add a validator config in the admin "
            "(Validator configs, from a preset, pointing at any OpenAI-compatible endpoint); its judge "
            "does the screening.")  # fmt: skip


class ScreenForm(forms.Form):
    validator = forms.ModelChoiceField(queryset=ValidatorConfig.objects.all(),
                                       error_messages={"required": "Choose the validator whose judge pre-screens."},
                                       help_text="Its judge (backend and model) does the screening.")  # fmt: skip
    site = forms.ModelChoiceField(queryset=Site.objects.all(), required=False, to_field_name="slug",
                                  empty_label="All sites")  # fmt: skip
    limit = forms.IntegerField(min_value=1, required=False, help_text="Empty: every candidate waiting.")
    rescreen = forms.BooleanField(required=False, label="Screen again those already screened")
    samples = forms.IntegerField(min_value=1, max_value=10, initial=ScreenSettings.samples)
    max_model_correct = forms.FloatField(min_value=0, max_value=100, initial=ScreenSettings.max_model_correct,
                                         label="Model-correctness ceiling (mean, 0-100)")  # fmt: skip
    max_expert_solvable = forms.FloatField(min_value=0, max_value=100,
                                           initial=ScreenSettings.max_expert_solvable,
                                           label="Expert-solvability ceiling (mean, 0-100)")  # fmt: skip

    def clean(self):
        if not ValidatorConfig.objects.exists():
            raise forms.ValidationError(NO_JUDGE)
        return super().clean()

    def screen_settings(self) -> ScreenSettings:
        data = self.cleaned_data
        return ScreenSettings(samples=data["samples"], max_model_correct=data["max_model_correct"],
                              max_expert_solvable=data["max_expert_solvable"])  # fmt: skip
