from rest_framework import permissions

from accounts.models import ApiToken, TokenScope


def token_scopes(request) -> set[str] | None:
    """The scopes of the token used, or None for a browser session (all of the user's rights)."""
    if isinstance(request.auth, ApiToken):
        return set(request.auth.scopes)
    return None


class TokenScopePermission(permissions.BasePermission):
    """Safe methods need the `read` scope, others `submit`; anonymous users may only read."""

    message = "This token lacks the scope this request needs."

    def has_permission(self, request, view):
        if request.method in permissions.SAFE_METHODS:
            needed = TokenScope.READ
        else:
            if not (request.user and request.user.is_authenticated):
                return False
            needed = TokenScope.SUBMIT
        scopes = token_scopes(request)
        if scopes is not None and needed not in scopes:
            self.message = f"This token lacks the `{needed}` scope."
            return False
        return True


class IsBuilder(permissions.BasePermission):
    message = "Only model builders (and curators) can do this."

    def has_permission(self, request, view):
        user = request.user
        return bool(user and user.is_authenticated and (user.is_builder or user.is_curator))


class IsCurator(permissions.BasePermission):
    message = "Only curators can do this."

    def has_permission(self, request, view):
        user = request.user
        return bool(user and user.is_authenticated and (user.is_curator or user.is_superuser))
