from django.conf import settings


def site(request):
    user = getattr(request, "user", None)
    unread = (lambda: user.notifications.filter(read_at=None).count()) if user and user.is_authenticated else 0
    return {"QUORUM_DEBUG": settings.DEBUG, "unread_notifications": unread}
