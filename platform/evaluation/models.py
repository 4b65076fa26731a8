from django.conf import settings
from django.db import models
from django.db.models import Q

from catalog.models import Site
from common.models import TimeStampedModel
from submissions.models import Answer, ValidationState


class JudgeQueue(models.TextChoices):
    LLM_IO = "llm_io", "API judges (llm_io)"
    GPU = "gpu", "GPU judges (gpu)"


class ValidatorConfig(TimeStampedModel):
    """A validator, as data: the validators library's JSON config, identified by its hash."""

    name = models.CharField(max_length=100, unique=True)
    description = models.TextField(blank=True)
    config = models.JSONField(help_text="A validators config (see validators/README.md).")
    config_hash = models.CharField(max_length=64, editable=False, db_index=True)
    queue = models.CharField(max_length=20, choices=JudgeQueue.choices, default=JudgeQueue.LLM_IO)
    runs_on_new_answers = models.BooleanField(default=False)
    is_primary = models.BooleanField(
        default=False,
        help_text="Its verdict is the answer's validation state and can make a question a candidate.",
    )
    sites = models.ManyToManyField(Site, blank=True, help_text="Empty: every site.")
    max_attempts = models.PositiveSmallIntegerField(default=5)
    demo_judge = models.BooleanField(
        default=False, help_text="A tiny demo model: its verdicts test plumbing, not answers."
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL
    )

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(
                fields=["is_primary"], condition=Q(is_primary=True), name="one_primary_validator"
            )
        ]

    def __str__(self) -> str:
        return self.name


OPEN_STATES = (ValidationState.PENDING, ValidationState.RUNNING)


class Validation(models.Model):
    """One answer × one validator config: the outbox row the dispatcher and sweeper work from."""

    answer = models.ForeignKey(Answer, on_delete=models.CASCADE, related_name="validations")
    validator = models.ForeignKey(ValidatorConfig, on_delete=models.CASCADE, related_name="validations")
    config_hash = models.CharField(max_length=64)
    state = models.CharField(max_length=20, choices=ValidationState.choices, default=ValidationState.PENDING)
    attempts = models.PositiveSmallIntegerField(default=0)
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    last_error = models.TextField(blank=True)
    replay = models.ForeignKey("Replay", null=True, blank=True, on_delete=models.SET_NULL, related_name="validations")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["answer", "config_hash"], name="validation_unique_answer_config")
        ]
        indexes = [models.Index(fields=["state", "next_attempt_at"], name="validation_due")]

    def __str__(self) -> str:
        return f"{self.validator} on answer {self.answer_id}: {self.state}"


class ValidationResult(models.Model):
    """A verdict, recorded once per answer × config hash (duplicate deliveries change nothing)."""

    validation = models.OneToOneField(Validation, on_delete=models.CASCADE, related_name="result")
    answer = models.ForeignKey(Answer, on_delete=models.CASCADE, related_name="validation_results")
    config_hash = models.CharField(max_length=64)
    decision = models.CharField(max_length=10)
    score = models.FloatField()
    calls = models.PositiveIntegerField(default=0)
    prompt_tokens = models.PositiveIntegerField(default=0)
    completion_tokens = models.PositiveIntegerField(default=0)
    latency_s = models.FloatField(default=0)
    library_version = models.CharField(max_length=30)
    verdict = models.JSONField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["answer", "config_hash"], name="result_unique_answer_config"),
            models.CheckConstraint(condition=Q(score__gte=0) & Q(score__lte=1), name="result_score_in_unit_interval"),
        ]

    def __str__(self) -> str:
        return f"{self.decision} ({self.score:.2f})"


class ReplayStatus(models.TextChoices):
    RUNNING = "running", "Running"
    COMPLETED = "completed", "Completed"
    CANCELLED = "cancelled", "Cancelled"


class Replay(models.Model):
    """Run a validator over existing answers; progress is counted from its Validation rows."""

    validator = models.ForeignKey(ValidatorConfig, on_delete=models.CASCADE, related_name="replays")
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL)
    filters = models.JSONField(default=dict)
    total = models.PositiveIntegerField(default=0)
    status = models.CharField(max_length=20, choices=ReplayStatus.choices, default=ReplayStatus.RUNNING)
    created_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"Replay #{self.pk} of {self.validator}"
