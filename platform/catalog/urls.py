from django.urls import path

from catalog import views

app_name = "catalog"
urlpatterns = [
    path("", views.question_list, name="question_list"),
    path("questions/<int:pk>/", views.question_detail, name="question_detail"),
]
