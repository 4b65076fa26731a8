from django.conf import settings
from django.db import models

from catalog.models import Question
from common.models import TimeStampedModel


class ModelEntry(TimeStampedModel):
    """One model under test, with its provenance. A new model version is a new entry."""

    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="model_entries"
    )
    organisation = models.CharField(max_length=200, blank=True)
    name = models.CharField(
        max_length=200, help_text="The model name used in answer files (UQ's model_name)."
    )
    version = models.CharField(max_length=100, default="1")
    display_name = models.CharField(max_length=200, blank=True)
    base_model = models.CharField(max_length=200, blank=True)
    provider = models.CharField(max_length=200, blank=True)
    generation_params = models.JSONField(default=dict, blank=True)
    system_prompt = models.TextField(blank=True)
    notes = models.TextField(blank=True)
    # For generation jobs: an OpenAI-compatible endpoint. The key is never stored: only the
    # name of the environment variable that holds it on the workers.
    endpoint_base_url = models.URLField(max_length=500, blank=True)
    endpoint_model = models.CharField(max_length=200, blank=True)
    endpoint_key_env = models.CharField(max_length=100, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["owner", "name", "version"], name="model_entry_unique_owner_name_version"
            )
        ]
        ordering = ["name", "version"]
        verbose_name_plural = "model entries"

    def __str__(self) -> str:
        return f"{self.display_name or self.name} {self.version}"


class ValidationState(models.TextChoices):
    """Of one validation (evaluation.Validation), and of an answer for its primary validator."""

    PENDING = "pending", "Pending"
    RUNNING = "running", "Running"
    PASSED = "passed", "Passed"
    FAILED = "failed", "Failed"
    ABSTAINED = "abstained", "Abstained"
    ERROR = "error", "Error"
    CANCELLED = "cancelled", "Cancelled"


class ReviewState(models.TextChoices):
    UNREVIEWED = "unreviewed", "Not reviewed"
    IN_REVIEW = "in_review", "In review"
    VERIFIED_CORRECT = "verified_correct", "Verified correct"
    VERIFIED_INCORRECT = "verified_incorrect", "Verified incorrect"
    DISPUTED = "disputed", "Disputed"


class Answer(models.Model):
    """A model's answer to a question. `validation_state` mirrors the primary validator's
    Validation row (evaluation app), which is the outbox of the validation pipeline."""

    question = models.ForeignKey(Question, on_delete=models.CASCADE, related_name="answers")
    model_entry = models.ForeignKey(ModelEntry, on_delete=models.CASCADE, related_name="answers")
    text = models.TextField(help_text="The judged answer (without the reasoning trace).")
    reasoning = models.TextField(blank=True, help_text="Text before the closing </think>.")
    content_hash = models.CharField(max_length=64)
    metadata = models.JSONField(default=dict, blank=True)
    submitted_at = models.DateTimeField(auto_now_add=True, db_index=True)
    validation_state = models.CharField(
        max_length=20, choices=ValidationState.choices, default=ValidationState.PENDING
    )
    review_state = models.CharField(
        max_length=20, choices=ReviewState.choices, default=ReviewState.UNREVIEWED
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["model_entry", "question"], name="answer_unique_entry_question"
            )
        ]
        indexes = [
            models.Index(fields=["validation_state"], name="answer_validation_state"),
            models.Index(fields=["review_state"], name="answer_review_state"),
            models.Index(fields=["model_entry", "-submitted_at"], name="answer_entry_recent"),
        ]
        ordering = ["-submitted_at", "-id"]

    def __str__(self) -> str:
        return f"{self.model_entry} → {self.question_id}"


class IdempotencyRecord(models.Model):
    """The stored response of a POST made with an Idempotency-Key, replayed on a retry."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE)
    key = models.CharField(max_length=200)
    fingerprint = models.CharField(max_length=64)
    status_code = models.PositiveSmallIntegerField()
    body = models.JSONField()
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "key"], name="idempotency_unique_user_key")
        ]

    def __str__(self) -> str:
        return f"{self.key} → {self.status_code}"


class JobStatus(models.TextChoices):
    QUEUED = "queued", "Queued"
    RUNNING = "running", "Running"
    COMPLETED = "completed", "Completed"
    CANCELLED = "cancelled", "Cancelled"
    FAILED = "failed", "Failed"


class GenerationJob(models.Model):
    """Answer a selection of questions with a model entry's OpenAI-compatible endpoint."""

    model_entry = models.ForeignKey(ModelEntry, on_delete=models.CASCADE, related_name="generation_jobs")
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT)
    selection = models.JSONField(default=dict, help_text="The filters that chose the questions.")
    question_ids = models.JSONField(default=list)
    concurrency = models.PositiveSmallIntegerField(default=4)
    max_tokens = models.PositiveIntegerField(default=4096)
    status = models.CharField(max_length=20, choices=JobStatus.choices, default=JobStatus.QUEUED)
    cancel_requested = models.BooleanField(default=False)
    total = models.PositiveIntegerField(default=0)
    done = models.PositiveIntegerField(default=0)
    failed = models.PositiveIntegerField(default=0)
    prompt_tokens = models.PositiveBigIntegerField(default=0)
    completion_tokens = models.PositiveBigIntegerField(default=0)
    last_error = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"Generation #{self.pk} for {self.model_entry}"

    @property
    def is_active(self) -> bool:
        return self.status in (JobStatus.QUEUED, JobStatus.RUNNING)

    @property
    def percent(self) -> int:
        return round(100 * (self.done + self.failed) / self.total) if self.total else 0
