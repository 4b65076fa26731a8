from django.contrib import admin
from django.urls import include, path

admin.site.site_header = "Quorum administration"
admin.site.site_title = "Quorum admin"

urlpatterns = [
    path("admin/", admin.site.urls),
    path("accounts/", include("django.contrib.auth.urls")),  # login, logout, password reset
    path("api/v1/", include("api.urls")),
    path("accounts/", include("accounts.urls")),
    path("builders/", include("submissions.urls")),
    path("curation/validation/", include("evaluation.urls")),
    path("curation/", include("curation.urls")),
    path("reviews/", include("reviews.urls")),
    path("leaderboards/", include("leaderboards.urls")),
    path("webhooks/", include("webhooks.urls")),
    path("", include("catalog.urls")),
]

handler404 = "api.errors.page_not_found"
handler500 = "api.errors.server_error"
