from django import forms
from django.shortcuts import render
from django.views.decorators.http import require_GET

from catalog.models import Site
from leaderboards.selectors import model_leaderboard


class LeaderboardFilter(forms.Form):
    site = forms.ModelChoiceField(queryset=Site.objects.all(), to_field_name="slug", required=False,
                                  empty_label="All sites")  # fmt: skip
    category = forms.CharField(max_length=100, required=False)
    diamond = forms.BooleanField(required=False, label="Diamond questions only")

    def filters(self) -> dict:
        data = self.cleaned_data
        return {"site": data["site"].slug if data["site"] else "", "category": data["category"].strip(),
                "diamond": data["diamond"]}  # fmt: skip


@require_GET
def models(request):
    form = LeaderboardFilter(request.GET or None)
    rows = model_leaderboard(form.filters() if form.is_valid() else {})
    validators = sorted({name for row in rows for name in row.pass_rates})
    for row in rows:
        row.rate_cells = [row.pass_rates.get(name) for name in validators]
    return render(request, "leaderboards/models.html", {"form": form, "rows": rows, "validators": validators})
