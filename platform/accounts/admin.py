from django import forms
from django.contrib import admin, messages
from django.contrib.auth.admin import UserAdmin
from django.core.exceptions import ValidationError

from accounts.models import ApiToken, TokenScope, User
from accounts.services import ROLE_FIELDS, api_token_create, api_token_revoke, user_set_role
from common.errors import DomainError


@admin.register(User)
class QuorumUserAdmin(UserAdmin):
    list_display = ("username", "email", "display_name", "is_expert", "is_builder", "is_curator", "is_staff")
    list_filter = ("is_expert", "is_builder", "is_curator", "is_staff", "is_active")
    fieldsets = (
        *UserAdmin.fieldsets,
        ("Quorum", {"fields": ("display_name", "affiliation", "organisation", "is_expert", "is_builder", "is_curator")}),
    )

    def save_model(self, request, obj, form, change):
        """Role flags go through the service (after the groups are saved, see save_related)."""
        for field in ROLE_FIELDS.values():
            setattr(obj, field, form.initial.get(field, False) if change else False)
        super().save_model(request, obj, form, change)

    def save_related(self, request, form, formsets, change):
        super().save_related(request, form, formsets, change)
        user = form.instance
        for role, field in ROLE_FIELDS.items():
            granted = bool(form.cleaned_data.get(field))
            if field in form.cleaned_data and granted != getattr(user, field):
                user_set_role(user=user, role=role, granted=granted)

class ApiTokenAddForm(forms.ModelForm):
    scopes = forms.MultipleChoiceField(choices=TokenScope.choices, widget=forms.CheckboxSelectMultiple)

    class Meta:
        model = ApiToken
        fields = ("user", "name", "scopes", "expires_at")


@admin.register(ApiToken)
class ApiTokenAdmin(admin.ModelAdmin):
    list_display = ("name", "user", "display_prefix", "scopes", "created_at", "last_used_at", "expires_at", "revoked_at")
    list_filter = ("revoked_at",)
    search_fields = ("name", "user__username", "lookup")
    list_select_related = ("user",)
    readonly_fields = ("user", "name", "lookup", "scopes", "created_at", "last_used_at", "expires_at", "revoked_at")
    exclude = ("secret_hash",)
    actions = ["revoke"]

    def get_form(self, request, obj=None, **kwargs):
        if obj is None:
            kwargs["form"] = ApiTokenAddForm
        return super().get_form(request, obj, **kwargs)

    def get_readonly_fields(self, request, obj=None):
        return self.readonly_fields if obj else ()

    def get_fields(self, request, obj=None):
        return self.readonly_fields if obj else ApiTokenAddForm.Meta.fields

    def save_model(self, request, obj, form, change):
        if change:
            return
        try:
            issued = api_token_create(
                user=form.cleaned_data["user"], name=form.cleaned_data["name"],
                scopes=form.cleaned_data["scopes"], expires_at=form.cleaned_data["expires_at"],
            )  # fmt: skip
        except DomainError as exc:
            raise ValidationError(str(exc)) from exc
        obj.pk = issued.token.pk
        self.message_user(
            request, f"Token created. Copy it now, it will not be shown again: {issued.plaintext}",
            messages.WARNING,
        )  # fmt: skip

    @admin.action(description="Revoke the selected tokens")
    def revoke(self, request, queryset):
        for token in queryset:
            api_token_revoke(token=token, actor=request.user)
        self.message_user(request, f"{queryset.count()} token(s) revoked.", messages.SUCCESS)

    def has_change_permission(self, request, obj=None):
        return False
