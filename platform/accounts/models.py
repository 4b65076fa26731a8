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
