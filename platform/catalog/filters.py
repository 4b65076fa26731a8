import django_filters
from django import forms
from django.contrib.postgres.search import SearchQuery, SearchRank
from django.db import connection
from django.db.models import F, Subquery

from catalog import search_sqlite, websearch
from catalog.models import Question, QuestionState, Site

RANKED_CANDIDATES = 1000
SORTS = {
    "votes": ("-votes", "-id"),
    "newest": ("-created_at", "-id"),
    "activity": ("-last_activity_at", "-id"),
}
SORT_CHOICES = [("votes", "Most votes"), ("newest", "Newest"), ("activity", "Recent activity"), ("relevance", "Best match")]


NOTHING_TO_SEARCH = (
    "Nothing to search for: give at least one word that is not a common word "
    "such as “the” or “of” (punctuation and operators alone are not searched)."
)


class SearchField(forms.CharField):
    """The search box: websearch syntax (words, "a phrase", -exclude, or)."""

    def validate(self, value):
        super().validate(value)
        if value and not websearch.parse(value).searchable:
            raise forms.ValidationError(NOTHING_TO_SEARCH, code="nothing_to_search")


class SearchFilter(django_filters.CharFilter):
    """Questions matching the search box's syntax, with the same meaning on both databases:
    PostgreSQL's websearch_to_tsquery over the search vector, or SQLite's FTS5 index."""

    field_class = SearchField

    def filter(self, queryset, value):
        value = (value or "").strip()
        if not value:
            return queryset
        if connection.vendor == "postgresql":
            return queryset.filter(search_vector=postgres_query(value))
        return queryset.filter(search_sqlite.matching(websearch.parse(value)))


def postgres_query(value: str) -> SearchQuery:
    return SearchQuery(value, search_type="websearch", config="english")


class QuestionFilter(django_filters.FilterSet):
    """The question list's filters; every one is a plain GET parameter, so URLs are shareable."""

    q = SearchFilter(label="Search", max_length=200)
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

    def filter_tag(self, queryset, name, value):
        return queryset.with_tag(value.strip().lower()) if value.strip() else queryset

    def filter_diamond(self, queryset, name, value):
        return queryset.filter(diamond=True) if value else queryset

    def filter_noop(self, queryset, name, value):
        return queryset

    def _best_matches(self, queryset, value: str):
        """Rank only the most-voted RANKED_CANDIDATES matches: ranking every match of a common
        word costs a scan of them all (see bench/README.md)."""
        candidates = queryset.order_by("-votes", "-id").values("pk")[:RANKED_CANDIDATES]
        queryset = queryset.filter(pk__in=Subquery(candidates))
        if connection.vendor != "postgresql":
            return search_sqlite.best_first(queryset, websearch.parse(value))
        return queryset.annotate(
            rank=SearchRank(F("search_vector"), postgres_query(value))
        ).order_by("-rank", "-votes", "-id")

    @property
    def qs(self):
        queryset = super().qs
        sort = self.form.cleaned_data.get("sort") if self.form.is_valid() else ""
        value = self.form.cleaned_data.get("q", "").strip() if self.form.is_valid() else ""
        if sort == "relevance" and value:
            return self._best_matches(queryset, value)
        return queryset.order_by(*SORTS.get(sort, SORTS["votes"]))
