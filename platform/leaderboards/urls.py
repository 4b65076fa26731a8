from django.urls import path

from leaderboards import views

app_name = "leaderboards"
urlpatterns = [path("models/", views.models, name="models")]
