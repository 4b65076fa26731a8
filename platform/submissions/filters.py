import django_filters

from submissions.models import ReviewState, ValidationState


class OwnAnswerFilter(django_filters.FilterSet):
    """The filters of a builder's "Your answers" page, all plain GET parameters. The entry and
    site choices are lists the page already read (the builder's own entries, the sites), so an
    entry of anyone else is an invalid choice, not a filter."""

    entry = django_filters.ChoiceFilter(field_name="model_entry_id", label="Model entry", empty_label="All your entries")
    site = django_filters.ChoiceFilter(field_name="question__site__slug", label="Site", empty_label="All sites")
    validation = django_filters.ChoiceFilter(
        field_name="validation_state", choices=ValidationState.choices, label="Validation", empty_label="Any"
    )
    review = django_filters.ChoiceFilter(
        field_name="review_state", choices=ReviewState.choices, label="Expert review", empty_label="Any"
    )

    def __init__(self, data, *, queryset, entries, sites):
        super().__init__(data, queryset=queryset)
        self.filters["entry"].extra["choices"] = [(str(entry.pk), str(entry)) for entry in entries]
        self.filters["site"].extra["choices"] = [(site.slug, site.name) for site in sites]
