from django.urls import path

from curation import views

app_name = "curation"
urlpatterns = [
    path("", views.queue, name="queue"),
    path("candidates/new/", views.candidate_new, name="candidate_new"),
    path("candidates/<int:pk>/", views.candidate, name="candidate"),
    path("pipeline/", views.pipeline, name="pipeline"),
    path("harvests/<int:pk>/cancel/", views.harvest_cancel, name="harvest_cancel"),
    path("harvests/<int:pk>/resume/", views.harvest_resume, name="harvest_resume"),
    path("screens/<int:pk>/cancel/", views.screen_cancel, name="screen_cancel"),
    path("presets/new/", views.preset_edit, name="preset_new"),
    path("presets/<int:pk>/", views.preset_edit, name="preset_edit"),
    path("source-flags/<int:pk>/", views.source_flag, name="source_flag"),
]
