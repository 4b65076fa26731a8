from django.conf import settings
from django.contrib.postgres.search import SearchVectorField
from django.db import connection, models
from django.db.models import Q

from common.models import TimeStampedModel

DEFAULT_LICENCE = "CC BY-SA 4.0"


class Site(models.Model):
    """Where questions come from (a Stack Exchange site, a curator's own collection…)."""

    slug = models.SlugField(max_length=100, unique=True)
    name = models.CharField(max_length=200)
    url = models.URLField(blank=True)
    licence = models.CharField(max_length=100, default=DEFAULT_LICENCE)
    attribution = models.CharField(
        max_length=300,
        blank=True,
        help_text="Shown beside every question of this site, e.g. 'Stack Exchange contributors'.",
    )
    blind_validator = models.BooleanField(
        default=True, help_text="Hide validator verdicts from experts until they submit a review."
    )
    blind_model = models.BooleanField(
        default=True, help_text="Hide which model wrote an answer from experts until they review it."
    )

    class Meta:
        ordering = ["slug"]

    def __str__(self) -> str:
        return self.name


class QuestionState(models.TextChoices):
    DRAFT = "draft", "Draft"
    OPEN = "open", "Open"
    CANDIDATE = "candidate", "Candidate answer"
    SOLVED = "solved", "Solved"
    DISPUTED = "disputed", "Disputed"
    RETIRED = "retired", "Retired"


class RetireReason(models.TextChoices):
    ILL_POSED = "ill_posed", "Ill-posed"
    ANSWERED_ELSEWHERE = "answered_elsewhere", "Answered elsewhere"
    DUPLICATE = "duplicate", "Duplicate"
    OFF_TOPIC = "off_topic", "Off-topic"


class QuestionQuerySet(models.QuerySet):
    def public(self):
        return self.exclude(state=QuestionState.DRAFT)

    def answerable(self):
        return self.exclude(state__in=[QuestionState.DRAFT, QuestionState.RETIRED])

    def with_tag(self, tag: str):
        if connection.vendor == "postgresql":
            return self.filter(tags__contains=[tag])
        # SQLite has no JSON containment: match the quoted element in the JSON text.
        return self.filter(tags__icontains=f'"{tag}"')


class Question(TimeStampedModel):
    """An open question, with everything the UQ record carries plus provenance and state."""

    source = models.SlugField(
        max_length=100, help_text="The collection it was imported from, e.g. 'uq'."
    )
    external_id = models.CharField(max_length=200, help_text="Its id in that collection.")
    site = models.ForeignKey(Site, on_delete=models.PROTECT, related_name="questions")
    title = models.CharField(max_length=500)
    body = models.TextField(help_text="HTML or Markdown with TeX, as on the source.")
    body_markdown = models.TextField(blank=True)
    category = models.CharField(max_length=100, blank=True, db_index=True)
    tags = models.JSONField(default=list, blank=True)
    link = models.URLField(max_length=500, blank=True, help_text="The original post.")
    licence = models.CharField(max_length=100, default=DEFAULT_LICENCE)
    attribution = models.CharField(max_length=300, blank=True)
    votes = models.IntegerField(default=0, db_index=True)
    views = models.PositiveIntegerField(null=True, blank=True)
    diamond = models.BooleanField(default=False, db_index=True)
    comment_count = models.PositiveIntegerField(default=0)
    source_created_at = models.DateTimeField(null=True, blank=True)
    extra = models.JSONField(default=dict, blank=True, help_text="Other fields of the source record.")
    content_hash = models.CharField(max_length=64, editable=False)

    state = models.CharField(
        max_length=20, choices=QuestionState.choices, default=QuestionState.OPEN, db_index=True
    )
    retire_reason = models.CharField(max_length=30, choices=RetireReason.choices, blank=True)
    last_activity_at = models.DateTimeField(db_index=True)

    # Maintained by a PostgreSQL trigger (see migration 0002); unused on SQLite.
    search_vector = SearchVectorField(null=True, editable=False)

    objects = QuestionQuerySet.as_manager()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["source", "external_id"], name="question_unique_source_id"),
            models.CheckConstraint(
                condition=(Q(state="retired") & ~Q(retire_reason=""))
                | (~Q(state="retired") & Q(retire_reason="")),
                name="question_retired_has_reason",
            ),
        ]
        indexes = [
            models.Index(fields=["site", "state", "-votes"], name="question_site_state_votes"),
            models.Index(fields=["state", "-votes"], name="question_state_votes"),
            models.Index(fields=["state", "-created_at"], name="question_state_created"),
            models.Index(fields=["state", "-last_activity_at"], name="question_state_activity"),
        ]

    def __str__(self) -> str:
        return self.title


class QuestionTransition(models.Model):
    """Append-only record of every state change: who, when, from what, to what, and why."""

    question = models.ForeignKey(Question, on_delete=models.CASCADE, related_name="transitions")
    from_state = models.CharField(max_length=20, choices=QuestionState.choices, blank=True)
    to_state = models.CharField(max_length=20, choices=QuestionState.choices)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL
    )
    reason = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return f"{self.from_state or '∅'} → {self.to_state}"
