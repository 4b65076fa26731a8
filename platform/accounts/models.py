from django.contrib.auth.models import AbstractUser
from django.db import models


class Role(models.TextChoices):
    EXPERT = "expert", "Expert"
    BUILDER = "builder", "Model builder"
    CURATOR = "curator", "Curator"


class User(AbstractUser):
    """A person on Quorum. Roles are independent: a builder may also be an expert."""

    display_name = models.CharField(max_length=150, blank=True)
    affiliation = models.CharField(max_length=200, blank=True)
    organisation = models.CharField(
        max_length=200, blank=True, help_text="Builders: the organisation whose models you submit."
    )
    expertise_tags = models.JSONField(
        default=list, blank=True, help_text="Topics you know well (tags), shown to curators and reviewers."
    )
    is_expert = models.BooleanField(default=False)
    is_builder = models.BooleanField(default=False)
    is_curator = models.BooleanField(default=False)

    @property
    def roles(self) -> list[str]:
        flags = {Role.EXPERT: self.is_expert, Role.BUILDER: self.is_builder}
        flags[Role.CURATOR] = self.is_curator
        return [role.value for role, has in flags.items() if has]

    @property
    def public_name(self) -> str:
        return self.display_name or self.username

    def __str__(self) -> str:
        return self.public_name


class TokenScope(models.TextChoices):
    READ = "read", "Read"
    SUBMIT = "submit", "Submit"


class ApiTokenQuerySet(models.QuerySet):
    def usable(self):
        from django.utils import timezone

        now = timezone.now()
        return self.filter(revoked_at=None).filter(
            models.Q(expires_at=None) | models.Q(expires_at__gt=now)
        )


class ApiToken(models.Model):
    """An API token: shown once, stored as a SHA-256 hash, found by its public prefix."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="api_tokens")
    name = models.CharField(max_length=100)
    lookup = models.CharField(max_length=16, unique=True)
    secret_hash = models.CharField(max_length=64)
    scopes = models.JSONField(default=list)
    created_at = models.DateTimeField(auto_now_add=True)
    last_used_at = models.DateTimeField(null=True, blank=True)
    expires_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    objects = ApiTokenQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.name} ({self.display_prefix})"

    @property
    def display_prefix(self) -> str:
        return f"qrm_{self.lookup}_…"

    @property
    def is_active(self) -> bool:
        from django.utils import timezone

        expired = self.expires_at is not None and self.expires_at <= timezone.now()
        return self.revoked_at is None and not expired


class Notification(models.Model):
    """A message in the site (also sent by email): a queue item is waiting, a review is disputed."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="notifications")
    kind = models.CharField(max_length=40)
    text = models.CharField(max_length=300)
    url = models.CharField(max_length=300, blank=True)
    read_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["user", "read_at"], name="notification_unread")]

    def __str__(self) -> str:
        return self.text
