from django.contrib import admin, messages

from reviews import services
from reviews.models import AuditEntry, Comment, ExpertDomain, ExpertRequest, QuestionFlag, Review


@admin.register(ExpertDomain)
class ExpertDomainAdmin(admin.ModelAdmin):
    list_display = ("user", "site", "granted_by", "granted_at")
    list_filter = ("site",)
    search_fields = ("user__username", "user__display_name")
    list_select_related = ("user", "site", "granted_by")
    actions = ["revoke"]

    def get_readonly_fields(self, request, obj=None):
        return ("user", "site", "granted_by", "granted_at") if obj else ("granted_by", "granted_at")

    def save_model(self, request, obj, form, change):
        if not change:
            services.expert_domain_grant(user=obj.user, site=obj.site, curator=request.user)

    @admin.action(description="Revoke expert status for the selected domains")
    def revoke(self, request, queryset):
        for domain in queryset.select_related("user", "site"):
            services.expert_domain_revoke(user=domain.user, site=domain.site, curator=request.user,
                                          reason="revoked in the admin")  # fmt: skip
        self.message_user(request, "Revoked.", messages.SUCCESS)

    def has_delete_permission(self, request, obj=None):
        return False  # revoke instead: it also updates the user's role and the audit log


@admin.register(ExpertRequest)
class ExpertRequestAdmin(admin.ModelAdmin):
    list_display = ("user", "site", "status", "created_at", "decided_by")
    list_filter = ("status", "site")
    readonly_fields = ("user", "site", "motivation", "status", "decided_by", "decided_at", "created_at")
    actions = ["grant", "refuse"]

    @admin.action(description="Grant the selected requests")
    def grant(self, request, queryset):
        self._decide(request, queryset, grant=True)

    @admin.action(description="Refuse the selected requests")
    def refuse(self, request, queryset):
        self._decide(request, queryset, grant=False)

    def _decide(self, request, queryset, *, grant: bool):
        for expert_request in queryset.filter(status="pending"):
            services.expert_request_decide(request=expert_request, curator=request.user, grant=grant)
        self.message_user(request, "Done.", messages.SUCCESS)

    def has_add_permission(self, request):
        return False


@admin.register(Review)
class ReviewAdmin(admin.ModelAdmin):
    list_display = ("answer", "expert", "verdict", "confidence", "updated_at")
    list_filter = ("verdict",)
    readonly_fields = [f.name for f in Review._meta.fields]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(AuditEntry)
class AuditEntryAdmin(admin.ModelAdmin):
    list_display = ("created_at", "actor", "action", "answer", "before", "after", "reason")
    list_filter = ("action",)
    search_fields = ("reason",)

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


admin.site.register(Comment)
admin.site.register(QuestionFlag)
