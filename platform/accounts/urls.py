from django.urls import path

from accounts import views

app_name = "accounts"
urlpatterns = [
    path("signup/", views.signup, name="signup"),
    path("profile/", views.profile, name="profile"),
    path("profile/edit/", views.profile_update, name="profile_update"),
    path("notifications/", views.notifications, name="notifications"),
    path("tokens/<int:pk>/revoke/", views.token_revoke, name="token_revoke"),
]
