from django.conf import settings


def site(request):
    return {"QUORUM_DEBUG": settings.DEBUG}
