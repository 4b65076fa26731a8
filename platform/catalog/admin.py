from django import forms
from django.contrib import admin, messages
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.shortcuts import render

from catalog import services
from catalog.models import Question, QuestionTransition, RetireReason, Site
from common.errors import DomainError


@admin.register(Site)
class SiteAdmin(admin.ModelAdmin):
    list_display = ("slug", "name", "licence", "url")
    search_fields = ("slug", "name")


class TransitionInline(admin.TabularInline):
    model = QuestionTransition
    extra = 0
    can_delete = False
    fields = ("created_at", "from_state", "to_state", "actor", "reason")
    readonly_fields = fields

    def has_add_permission(self, request, obj=None):
        return False


class RetireForm(forms.Form):
    retire_reason = forms.ChoiceField(choices=RetireReason.choices, label="Reason")
    note = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 3}))


@admin.register(Question)
class QuestionAdmin(admin.ModelAdmin):
    list_display = ("title", "site", "state", "votes", "diamond", "category", "created_at")
    list_filter = ("state", "diamond", "site", "retire_reason", "category")
    search_fields = ("title", "external_id", "body")
    list_select_related = ("site",)
    readonly_fields = ("state", "retire_reason", "source", "external_id", "content_hash", "created_at", "updated_at", "last_activity_at")
    inlines = [TransitionInline]
    actions = ["open_questions", "retire_questions"]
    list_per_page = 50

    @admin.action(description="Open the selected questions", permissions=["change"])
    def open_questions(self, request, queryset):
        self._apply(request, queryset, lambda q: services.question_open(question=q, actor=request.user, reason="opened by a curator in the admin"))

    @admin.action(description="Retire the selected questions (with a reason)…", permissions=["change"])
    def retire_questions(self, request, queryset):
        if "apply" in request.POST:
            form = RetireForm(request.POST)
            if form.is_valid():
                reason, note = form.cleaned_data["retire_reason"], form.cleaned_data["note"]
                self._apply(request, queryset, lambda q: services.question_retire(question=q, actor=request.user, retire_reason=reason, note=note))
                return None
        else:
            form = RetireForm()
        context = {
            **self.admin_site.each_context(request),
            "title": "Retire questions",
            "form": form,
            "questions": queryset,
            "action_checkbox_name": ACTION_CHECKBOX_NAME,
            "opts": self.model._meta,
        }
        return render(request, "admin/catalog/retire_questions.html", context)

    def _apply(self, request, queryset, change) -> None:
        done, refused = 0, []
        for question in queryset:
            try:
                change(question)
                done += 1
            except DomainError as exc:
                refused.append(f"“{question.title[:60]}”: {exc}")
        if done:
            self.message_user(request, f"{done} question(s) changed.", messages.SUCCESS)
        for reason in refused:
            self.message_user(request, reason, messages.WARNING)


@admin.register(QuestionTransition)
class QuestionTransitionAdmin(admin.ModelAdmin):
    list_display = ("question", "from_state", "to_state", "actor", "created_at")
    list_filter = ("to_state",)
    list_select_related = ("question", "actor")
    search_fields = ("question__title", "reason")

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
