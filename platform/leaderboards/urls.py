from django.urls import path

from leaderboards import views

app_name = "leaderboards"
urlpatterns = [path("models/", views.models, name="models")]

from leaderboards import export_views  # noqa: E402 — kept apart from the leaderboards' own routes

urlpatterns += [
    path("exports/", export_views.exports, name="exports"),
    path("exports/<int:pk>/", export_views.export_detail, name="export_detail"),
    path("exports/<int:pk>/cancel/", export_views.export_cancel, name="export_cancel"),
    path("exports/<int:pk>/download/", export_views.export_download, name="export_download"),
]
