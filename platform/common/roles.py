"""Page access by role: log in first, then the page is not there (404) without the role."""

from functools import wraps

from django.contrib.auth.decorators import login_required
from django.http import Http404


def role_required(*roles: str, superuser: bool = False, message: str = "This page is not for your role."):
    def decorator(view):
        @login_required
        @wraps(view)
        def wrapper(request, *args, **kwargs):
            user = request.user
            if not ((superuser and user.is_superuser) or set(roles) & set(user.roles)):
                raise Http404(message)
            return view(request, *args, **kwargs)

        return wrapper

    return decorator


curator_required = role_required("curator", superuser=True, message="Only curators have this page.")
builder_required = role_required("builder", "curator", message="Only model builders and curators have this page.")
expert_required = role_required(
    "expert", message="Only experts review answers; ask for expert status on your profile."
)
