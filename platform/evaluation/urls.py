from django.urls import path

from evaluation import views

app_name = "evaluation"
urlpatterns = [
    path("", views.validation_dashboard, name="dashboard"),
    path("validations/<int:pk>/rerun/", views.validation_rerun, name="rerun"),
    path("validators/<int:pk>/replay-unjudged/", views.replay_unjudged, name="replay_unjudged"),
    path("replays/<int:pk>/cancel/", views.replay_cancel, name="replay_cancel"),
]
