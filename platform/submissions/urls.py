from django.urls import path

from submissions import views

app_name = "submissions"
urlpatterns = [
    path("", views.dashboard, name="dashboard"),
    path("answers/", views.answers, name="answers"),
    path("entries/<int:entry_pk>/generate/", views.job_start, name="job_start"),
    path("jobs/<int:pk>/", views.job_detail, name="job_detail"),
    path("jobs/<int:pk>/cancel/", views.job_cancel, name="job_cancel"),
]
