from django import forms

from webhooks.models import SUBSCRIBABLE_EVENTS


class EndpointForm(forms.Form):
    url = forms.URLField(
        max_length=500,
        label="URL",
        help_text=(
            "Where Quorum POSTs the events: a public http(s) URL (https recommended), the final "
            "one — redirects are not followed."
        ),
        widget=forms.URLInput(attrs={"placeholder": "https://example.org/quorum-hook", "size": 50}),
    )
    description = forms.CharField(max_length=200, required=False)
    event_types = forms.MultipleChoiceField(
        label="Events",
        help_text=(
            "Validated: the primary validator's outcome (passed, failed, abstained or error). "
            "Verified: experts or a curator settled the answer correct or incorrect."
        ),
        choices=[(event.value, event.label) for event in SUBSCRIBABLE_EVENTS],
        widget=forms.CheckboxSelectMultiple,
        initial=[event.value for event in SUBSCRIBABLE_EVENTS],
    )
    is_active = forms.BooleanField(
        label="Active",
        required=False,
        initial=True,
        help_text="A disabled endpoint receives nothing; its queued deliveries fail.",
    )

    @classmethod
    def for_endpoint(cls, endpoint, data=None) -> "EndpointForm":
        initial = {
            "url": endpoint.url,
            "description": endpoint.description,
            "event_types": endpoint.event_types,
            "is_active": endpoint.is_active,
        }
        return cls(data, initial=initial)
