from django import forms
from django.http import Http404
from django.shortcuts import get_object_or_404, render
from django.views.decorators.http import require_GET

from catalog.models import Site
from evaluation.models import ValidatorConfig
from leaderboards import charts
from leaderboards.selectors import (
    RankStatus,
    model_entry_detail,
    model_entry_for_page,
    model_leaderboard,
    tallies_as_of,
    validator_detail,
    validator_leaderboard,
)


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
    context = {"form": form, "rows": rows, "validators": validators, "as_of": tallies_as_of(),
               "tied": [row for row in rows if row.status == RankStatus.TIED]}  # fmt: skip
    return render(request, "leaderboards/models.html", context)


@require_GET
def model_entry(request, pk: int):
    entry = model_entry_for_page(pk, request.user)
    if entry is None:
        raise Http404("No such model entry, or it has no answers yet.")
    context = {"detail": model_entry_detail(entry), "as_of": tallies_as_of()}
    return render(request, "leaderboards/model_entry.html", context)


class ThresholdForm(forms.Form):
    threshold = forms.FloatField(min_value=0.0, max_value=1.0, required=False, label="Accept at score ≥",
                                 widget=forms.NumberInput(attrs={"step": "0.01"}))  # fmt: skip


def _filters(form: LeaderboardFilter) -> dict:
    return form.filters() if form.is_valid() else {}


@require_GET
def validators(request):
    form = LeaderboardFilter(request.GET or None)
    rows = validator_leaderboard(_filters(form))
    return render(request, "leaderboards/validators.html", {"form": form, "rows": rows, "as_of": tallies_as_of()})


@require_GET
def validator(request, pk: int, config_hash: str):
    config = get_object_or_404(ValidatorConfig, pk=pk)
    form = LeaderboardFilter(request.GET or None)
    chooser = ThresholdForm(request.GET or None)
    threshold = chooser.cleaned_data["threshold"] if chooser.is_valid() else None
    detail = validator_detail(config, config_hash, _filters(form), threshold)
    if detail is None:
        raise Http404("This validator has no verdicts at that config hash for these filters.")
    context = {"form": form, "chooser": chooser, "detail": detail, "row": detail.row, "as_of": tallies_as_of(),
               "pr_chart": charts.precision_recall_chart(detail.curve, detail.chosen) if detail.curve else None}  # fmt: skip
    if request.htmx and request.htmx.target == "threshold-chooser":  # the chooser's card only
        return render(request, "leaderboards/validator.html#threshold", context)
    context |= {"reliability_chart": charts.reliability_chart(detail.bins),
                "weekly_chart": charts.weekly_pass_rate_chart(detail.weekly) if detail.weekly else None}  # fmt: skip
    return render(request, "leaderboards/validator.html", context)
