from django import forms

from catalog.models import RetireReason, Site
from reviews.models import Verdict
from submissions.models import ReviewState


class ReviewForm(forms.Form):
    verdict = forms.ChoiceField(choices=Verdict.choices, widget=forms.RadioSelect)
    confidence = forms.TypedChoiceField(
        choices=[(n, str(n)) for n in range(1, 6)], coerce=int, widget=forms.RadioSelect,
        help_text="1: a guess · 5: certain, checked every step",
    )  # fmt: skip
    rationale = forms.CharField(widget=forms.Textarea(attrs={"rows": 8}), max_length=20_000,
                                help_text="Markdown and TeX. What did you check, and what did you find?")  # fmt: skip
    first_wrong_step = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}), required=False, max_length=20_000,
                                       label="First wrong step or claim (optional)")  # fmt: skip


class ExpertRequestForm(forms.Form):
    site = forms.ModelChoiceField(queryset=Site.objects.all(), to_field_name="slug")
    motivation = forms.CharField(widget=forms.Textarea(attrs={"rows": 4}), max_length=5000)


class AdjudicationForm(forms.Form):
    outcome = forms.ChoiceField(choices=[
        (ReviewState.VERIFIED_CORRECT, "Verified correct"),
        (ReviewState.VERIFIED_INCORRECT, "Verified incorrect"),
        (ReviewState.IN_REVIEW, "Reopen for more reviews"),
    ])  # fmt: skip
    reason = forms.CharField(widget=forms.Textarea(attrs={"rows": 2}), max_length=5000)


class CommentForm(forms.Form):
    body = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}), max_length=10_000, label="Comment")


class FlagForm(forms.Form):
    reason = forms.ChoiceField(choices=RetireReason.choices)
    link = forms.URLField(required=False, max_length=500, help_text="Where it is answered, or the original.")
    quality = forms.TypedChoiceField(choices=[("", "—")] + [(n, str(n)) for n in range(1, 6)], coerce=int,
                                     empty_value=None, required=False, label="Quality of the question (1–5)")  # fmt: skip
    note = forms.CharField(widget=forms.Textarea(attrs={"rows": 2}), required=False, max_length=5000)
