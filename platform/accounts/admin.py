from django.contrib import admin
from django.contrib.auth.admin import UserAdmin

from accounts.models import User


@admin.register(User)
class QuorumUserAdmin(UserAdmin):
    list_display = ("username", "email", "display_name", "is_expert", "is_builder", "is_curator", "is_staff")
    list_filter = ("is_expert", "is_builder", "is_curator", "is_staff", "is_active")
    fieldsets = (
        *UserAdmin.fieldsets,
        ("Quorum", {"fields": ("display_name", "affiliation", "organisation", "is_expert", "is_builder", "is_curator")}),
    )
