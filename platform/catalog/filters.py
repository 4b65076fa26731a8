import django_filters
from django import forms
from django.contrib.postgres.search import SearchQuery, SearchRank
from django.db import connection
from django.db.models import F, Q, Subquery

from catalog.models import Question, QuestionState, Site

RANKED_CANDIDATES = 1000
SORTS = {
    "votes": ("-votes", "-id"),
    "newest": ("-created_at", "-id"),
    "activity": ("-last_activity_at", "-id"),
}
SORT_CHOICES = [("votes", "Most votes"), ("newest", "Newest"), ("activity", "Recent activity"), ("relevance", "Best match")]


class QuestionFilter(django_filters.FilterSet):
    """The question list's filters; every one is a plain GET parameter, so URLs are shareable."""

    q = django_filters.CharFilter(method="filter_search", label="Search", max_length=200)
    site = django_filters.ModelChoiceFilter(
        queryset=Site.objects.all(), to_field_name="slug", empty_label="All sites"
    )
    category = django_filters.CharFilter(max_length=100)
    tag = django_filters.CharFilter(method="filter_tag", max_length=100)
    state = django_filters.ChoiceFilter(
        choices=[c for c in QuestionState.choices if c[0] != QuestionState.DRAFT],
        empty_label="Any state",
    )
    diamond = django_filters.BooleanFilter(
        widget=forms.CheckboxInput, label="Diamond only", method="filter_diamond"
    )
    sort = django_filters.ChoiceFilter(
        choices=SORT_CHOICES, method="filter_noop", empty_label=None, label="Sort by"
    )

    class Meta:
        model = Question
        fields = ["q", "site", "category", "tag", "state", "diamond", "sort"]

    def filter_search(self, queryset, name, value):
        value = value.strip()
        if not value:
            return queryset
        if connection.vendor == "postgresql":
            self.search_query = SearchQuery(value, search_type="websearch", config="english")
            return queryset.filter(search_vector=self.search_query)
        condition = Q()
        for word in value.split()[:10]:
            condition &= Q(title__icontains=word) | Q(body__icontains=word) | Q(tags__icontains=word)
        return queryset.filter(condition)

    def filter_tag(self, queryset, name, value):
        return queryset.with_tag(value.strip().lower()) if value.strip() else queryset

    def filter_diamond(self, queryset, name, value):
        return queryset.filter(diamond=True) if value else queryset

    def filter_noop(self, queryset, name, value):
        return queryset

    def _best_matches(self, queryset):
        """Rank only the most-voted RANKED_CANDIDATES matches: ranking every match of a common
        word costs a scan of them all (see bench/README.md)."""
        candidates = queryset.order_by("-votes", "-id").values("pk")[:RANKED_CANDIDATES]
        return (
            queryset.filter(pk__in=Subquery(candidates))
            .annotate(rank=SearchRank(F("search_vector"), self.search_query))
            .order_by("-rank", "-votes", "-id")
        )

    @property
    def qs(self):
        queryset = super().qs
        sort = self.form.cleaned_data.get("sort") if self.form.is_valid() else ""
        searching = bool(self.form.is_valid() and self.form.cleaned_data.get("q", "").strip())
        if sort == "relevance" and searching and connection.vendor == "postgresql":
            return self._best_matches(queryset)
        return queryset.order_by(*SORTS.get(sort, SORTS["votes"]))
