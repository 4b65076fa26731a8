from django import forms

from catalog.models import Site
from evaluation.models import ValidatorConfig
from submissions.models import ModelEntry


class ReplayForm(forms.Form):
    validator = forms.ModelChoiceField(queryset=ValidatorConfig.objects.all())
    site = forms.ModelChoiceField(queryset=Site.objects.all(), required=False, to_field_name="slug",
                                  empty_label="All sites")  # fmt: skip
    model_entry = forms.ModelChoiceField(queryset=ModelEntry.objects.all(), required=False,
                                         empty_label="All model entries")  # fmt: skip

    def filters(self) -> dict:
        data = self.cleaned_data
        filters = {"site": data["site"].slug if data["site"] else "",
                   "model_entry": data["model_entry"].pk if data["model_entry"] else None}  # fmt: skip
        return {k: v for k, v in filters.items() if v}
