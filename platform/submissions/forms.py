from django import forms

from catalog.models import Site


class GenerationJobForm(forms.Form):
    site = forms.ModelChoiceField(
        queryset=Site.objects.all(), to_field_name="slug", required=False, empty_label="All sites"
    )
    tag = forms.CharField(max_length=100, required=False)
    diamond = forms.BooleanField(required=False, label="Diamond questions only")
    limit = forms.IntegerField(min_value=1, max_value=100_000, required=False,
                               help_text="At most this many questions (most voted first).")  # fmt: skip
    concurrency = forms.IntegerField(min_value=1, max_value=64, initial=4)
    max_tokens = forms.IntegerField(min_value=16, max_value=200_000, initial=4096)

    def selection(self) -> dict:
        data = self.cleaned_data
        selection = {"site": data["site"].slug if data["site"] else "", "tag": data["tag"].strip().lower(),
                     "diamond": data["diamond"], "limit": data["limit"]}  # fmt: skip
        return {k: v for k, v in selection.items() if v}
