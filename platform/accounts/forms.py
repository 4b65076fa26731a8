from datetime import UTC, datetime, time

from django import forms
from django.utils import timezone

from accounts.models import TokenScope


class TokenForm(forms.Form):
    name = forms.CharField(max_length=100, help_text="What uses it, e.g. 'eval cluster'.")
    scopes = forms.MultipleChoiceField(
        choices=TokenScope.choices, widget=forms.CheckboxSelectMultiple, initial=[TokenScope.READ]
    )
    expires_at = forms.DateField(
        required=False, label="Expires on", widget=forms.DateInput(attrs={"type": "date"}),
        help_text="Optional. The token stops working at the start of this day (UTC).",
    )  # fmt: skip

    def clean_expires_at(self):
        day = self.cleaned_data["expires_at"]
        if day is None:
            return None
        moment = datetime.combine(day, time.min, tzinfo=UTC)
        if moment <= timezone.now():
            raise forms.ValidationError("Choose a day in the future.")
        return moment


class SignupForm(forms.Form):
    username = forms.RegexField(regex=r"^[\w.@+-]{3,150}$", max_length=150,
                                help_text="3–150 letters, digits and @ . + - _")  # fmt: skip
    email = forms.EmailField(help_text="For password resets and review notifications.")
    display_name = forms.CharField(max_length=150, required=False)
    affiliation = forms.CharField(max_length=200, required=False)
    password = forms.CharField(widget=forms.PasswordInput, min_length=8)

    def clean_password(self):
        from django.contrib.auth.password_validation import validate_password

        password = self.cleaned_data["password"]
        validate_password(password)
        return password


class ProfileForm(forms.Form):
    display_name = forms.CharField(max_length=150, required=False)
    affiliation = forms.CharField(max_length=200, required=False)
    organisation = forms.CharField(max_length=200, required=False,
                                   help_text="Builders: you never review answers of your organisation's models.")  # fmt: skip
    expertise_tags = forms.CharField(max_length=2000, required=False, label="Expertise (tags, comma-separated)")

    def clean_expertise_tags(self):
        return [tag for tag in self.cleaned_data["expertise_tags"].split(",") if tag.strip()]
