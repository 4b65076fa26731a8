import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import datetime

from django.conf import settings
from django.contrib.auth.models import Group, Permission
from django.core.mail import send_mass_mail
from django.db import transaction
from django.utils import timezone

from accounts.models import ApiToken, Notification, Role, TokenScope, User
from common.errors import DomainError

CURATOR_GROUP = "curators"
CURATED_APPS = ("catalog", "submissions", "evaluation", "reviews", "webhooks", "curation")

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


@transaction.atomic
def user_update_profile(
    *, user: User, display_name: str, affiliation: str, organisation: str, expertise_tags: list[str]
) -> User:
    tags = list(dict.fromkeys(t.strip().lower() for t in expertise_tags if t.strip()))
    if len(tags) > 30 or any(len(t) > 60 for t in tags):
        raise DomainError("At most 30 expertise tags of at most 60 characters.")
    user.display_name, user.affiliation = display_name.strip(), affiliation.strip()
    user.organisation, user.expertise_tags = organisation.strip(), tags
    user.save(update_fields=["display_name", "affiliation", "organisation", "expertise_tags"])
    return user


# --- API tokens ---------------------------------------------------------------------------

TOKEN_PREFIX = "qrm"  # noqa: S105 — a public marker, not a secret
LAST_USED_RESOLUTION_S = 60


def _hash_secret(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


@dataclass(frozen=True)
class IssuedToken:
    token: ApiToken
    plaintext: str  # shown once, never stored


@transaction.atomic
def api_token_create(
    *, user: User, name: str, scopes: list[str], expires_at: datetime | None = None
) -> IssuedToken:
    name = name.strip()
    if not name or len(name) > 100:
        raise DomainError("Give the token a name of 1 to 100 characters.")
    unknown = set(scopes) - set(TokenScope.values)
    if unknown or not scopes:
        raise DomainError(f"Scopes must be among {', '.join(TokenScope.values)}; got {sorted(scopes)}.")
    if expires_at is not None and expires_at <= timezone.now():
        raise DomainError("The expiry must be in the future.")
    lookup = secrets.token_hex(6)
    secret = secrets.token_urlsafe(32)
    token = ApiToken.objects.create(
        user=user, name=name, lookup=lookup, secret_hash=_hash_secret(secret),
        scopes=sorted(set(scopes)), expires_at=expires_at,
    )  # fmt: skip
    return IssuedToken(token=token, plaintext=f"{TOKEN_PREFIX}_{lookup}_{secret}")


def api_token_revoke(*, token: ApiToken, actor: User) -> ApiToken:
    if token.user_id != actor.pk and not actor.is_superuser:
        raise DomainError("You can only revoke your own tokens.")
    if token.revoked_at is None:
        token.revoked_at = timezone.now()
        token.save(update_fields=["revoked_at"])
    return token


def api_token_authenticate(plaintext: str) -> ApiToken | None:
    """The usable token this plaintext proves, or None. Records the last use (coarsely)."""
    parts = plaintext.split("_", 2)
    if len(parts) != 3 or parts[0] != TOKEN_PREFIX:
        return None
    token = ApiToken.objects.usable().select_related("user").filter(lookup=parts[1]).first()
    if token is None or not hmac.compare_digest(token.secret_hash, _hash_secret(parts[2])):
        return None
    if not token.user.is_active:
        return None
    now = timezone.now()
    if token.last_used_at is None or (now - token.last_used_at).total_seconds() > LAST_USED_RESOLUTION_S:
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
        token.last_used_at = now
    return token


# --- notifications --------------------------------------------------------------------------


def notify(*, users, kind: str, text: str, url: str = "", once_while_unread: bool = False) -> int:
    """Notify in the site and by email (after commit). With `once_while_unread`, a user who
    still has an unread notification of this kind is not notified again."""
    recipients = [user for user in users if user.is_active]
    if once_while_unread:
        waiting = set(
            Notification.objects.filter(user__in=recipients, kind=kind, read_at=None).values_list("user_id", flat=True)
        )
        recipients = [user for user in recipients if user.pk not in waiting]
    Notification.objects.bulk_create(Notification(user=user, kind=kind, text=text, url=url) for user in recipients)
    emails = [user.email for user in recipients if user.email]
    if emails:
        body = f"{text}\n\n{settings.QUORUM_SITE_URL.rstrip('/')}{url}\n"
        transaction.on_commit(lambda: send_mass_mail(
            [(f"[Quorum] {text}", body, None, [email]) for email in emails], fail_silently=True
        ))  # fmt: skip
    return len(recipients)


def notifications_mark_read(*, user: User) -> int:
    return Notification.objects.filter(user=user, read_at=None).update(read_at=timezone.now())
