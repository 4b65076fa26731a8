from django.urls import path

from leaderboards import export_views, views

app_name = "leaderboards"
urlpatterns = [
    path("models/", views.models, name="models"),
    path("models/<int:pk>/", views.model_entry, name="model_entry"),
    path("validators/", views.validators, name="validators"),
    path("validators/<int:pk>/<str:config_hash>/", views.validator, name="validator"),
    path("exports/", export_views.exports, name="exports"),
    path("exports/<int:pk>/", export_views.export_detail, name="export_detail"),
    path("exports/<int:pk>/cancel/", export_views.export_cancel, name="export_cancel"),
    path("exports/<int:pk>/download/", export_views.export_download, name="export_download"),
]
