from django.urls import path

from reviews import views

app_name = "reviews"
urlpatterns = [
    path("", views.queue, name="queue"),
    path("next/", views.claim_next, name="claim_next"),
    path("answers/<int:pk>/", views.review, name="review"),
    path("expertise/", views.expertise, name="expertise"),
    path("curation/", views.curation, name="curation"),
    path("questions/<int:pk>/comment/", views.question_comment, name="question_comment"),
    path("questions/<int:pk>/flag/", views.question_flag, name="question_flag"),
    path("answers/<int:pk>/comment/", views.answer_comment, name="answer_comment"),
]
