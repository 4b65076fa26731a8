from django.urls import path

from leaderboards import views

app_name = "leaderboards"
urlpatterns = [
    path("models/", views.models, name="models"),
    path("validators/", views.validators, name="validators"),
    path("validators/<int:pk>/<str:config_hash>/", views.validator, name="validator"),
]
