from django.contrib.auth.models import Group, Permission
from django.db import transaction

from accounts.models import Role, User
from common.errors import DomainError

CURATOR_GROUP = "curators"
CURATED_APPS = ("catalog",)

ROLE_FIELDS = {Role.EXPERT: "is_expert", Role.BUILDER: "is_builder", Role.CURATOR: "is_curator"}


def curator_group() -> Group:
    group, _ = Group.objects.get_or_create(name=CURATOR_GROUP)
    wanted = Permission.objects.filter(content_type__app_label__in=CURATED_APPS)
    group.permissions.add(*wanted)
    return group


@transaction.atomic
def user_set_role(*, user: User, role: str, granted: bool) -> User:
    """Grant or revoke a role. Curators get the admin (staff) and the curators group."""
    try:
        field = ROLE_FIELDS[Role(role)]
    except ValueError:
        raise DomainError(f"Unknown role {role!r}; choose one of {', '.join(Role.values)}.") from None
    setattr(user, field, granted)
    fields = [field]
    if role == Role.CURATOR:
        if granted:
            user.groups.add(curator_group())
        else:
            user.groups.remove(curator_group())
        if not user.is_superuser:
            user.is_staff = granted
            fields.append("is_staff")
    user.save(update_fields=fields)
    return user


@transaction.atomic
def user_create(
    *, username: str, password: str, email: str = "", roles: tuple[str, ...] = (), **profile
) -> User:
    if User.objects.filter(username__iexact=username).exists():
        raise DomainError(f"The username {username!r} is taken.")
    user = User.objects.create_user(username=username, email=email, password=password, **profile)
    for role in roles:
        user_set_role(user=user, role=role, granted=True)
    return user
