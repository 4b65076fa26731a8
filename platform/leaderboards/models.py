from django.conf import settings
from django.db import models
from django.db.models import Q

from catalog.models import Site


class ExportTable(models.TextChoices):
    QUESTIONS = "questions", "Questions"
    ANSWERS = "answers", "Answers"
    VALIDATIONS = "validations", "Validation results"
    REVIEWS = "reviews", "Expert reviews"


class ExportFormat(models.TextChoices):
    JSONL = "jsonl", "JSON Lines"
    CSV = "csv", "CSV"
    PARQUET = "parquet", "Parquet"


class ExportScope(models.TextChoices):
    PUBLIC = "public", "Public data (what every visitor sees)"
    FULL = "full", "Everything (curators): drafts and reviews still in progress"


class ExportStatus(models.TextChoices):
    QUEUED = "queued", "Queued"
    RUNNING = "running", "Running"
    SUCCEEDED = "succeeded", "Ready"
    FAILED = "failed", "Failed"
    CANCELLED = "cancelled", "Cancelled"


ACTIVE_STATUSES = (ExportStatus.QUEUED, ExportStatus.RUNNING)


class Export(models.Model):
    """One asynchronous export: tables streamed to files, published as one zip with a dataset card."""

    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="exports")
    tables = models.JSONField(help_text="Which of questions, answers, validations, reviews.")
    format = models.CharField(max_length=10, choices=ExportFormat.choices)
    scope = models.CharField(max_length=10, choices=ExportScope.choices, default=ExportScope.PUBLIC)
    site = models.ForeignKey(Site, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    since = models.DateTimeField(null=True, blank=True, help_text="Only rows created (reviews: changed) since.")
    status = models.CharField(max_length=10, choices=ExportStatus.choices, default=ExportStatus.QUEUED)
    cancel_requested = models.BooleanField(default=False)
    rows_total = models.PositiveBigIntegerField(default=0)
    rows_done = models.PositiveBigIntegerField(default=0)
    row_counts = models.JSONField(default=dict, blank=True)
    file_name = models.CharField(max_length=200, blank=True, help_text="In QUORUM_EXPORT_DIR; empty once removed.")
    file_size = models.PositiveBigIntegerField(null=True, blank=True)
    sha256 = models.CharField(max_length=64, blank=True)
    error = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=~Q(status="succeeded") | ~Q(sha256="") | Q(file_name=""),
                name="export_published_file_has_checksum",
            ),
            models.UniqueConstraint(
                fields=["requested_by"], condition=Q(status__in=["queued", "running"]), name="one_active_export_per_user"
            ),
        ]

    def __str__(self) -> str:
        return f"Export #{self.pk} ({self.format}, {self.status})"

    @property
    def is_active(self) -> bool:
        return self.status in ACTIVE_STATUSES

    @property
    def is_downloadable(self) -> bool:
        return self.status == ExportStatus.SUCCEEDED and bool(self.file_name)

    @property
    def percent(self) -> int:
        if self.status == ExportStatus.SUCCEEDED:
            return 100
        return min(100, round(100 * self.rows_done / self.rows_total)) if self.rows_total else 0


class AnswerTally(models.Model):
    """Answers counted by model entry, question facets and states. The model leaderboard reads
    these few rows instead of every answer; `leaderboard_tallies_refresh` rebuilds them."""

    model_entry = models.ForeignKey("submissions.ModelEntry", on_delete=models.CASCADE, related_name="+")
    site = models.ForeignKey(Site, on_delete=models.CASCADE, related_name="+")
    category = models.CharField(max_length=100)
    diamond = models.BooleanField()
    validation_state = models.CharField(max_length=20)
    review_state = models.CharField(max_length=20)
    answers = models.PositiveIntegerField()

    def __str__(self) -> str:
        return f"{self.answers} answers of entry {self.model_entry_id}"


class VerdictTally(models.Model):
    """Validator verdicts counted by model entry, question facets, validator config, decision and
    the answer's review state, with the judge calls and tokens they cost."""

    model_entry = models.ForeignKey("submissions.ModelEntry", on_delete=models.CASCADE, related_name="+")
    site = models.ForeignKey(Site, on_delete=models.CASCADE, related_name="+")
    category = models.CharField(max_length=100)
    diamond = models.BooleanField()
    validator = models.ForeignKey("evaluation.ValidatorConfig", on_delete=models.CASCADE, related_name="+")
    config_hash = models.CharField(max_length=64)
    decision = models.CharField(max_length=10)
    review_state = models.CharField(max_length=20)
    results = models.PositiveIntegerField()
    calls = models.BigIntegerField()
    tokens = models.BigIntegerField()

    def __str__(self) -> str:
        return f"{self.results} × {self.decision} by {self.config_hash[:10]}"


class JudgementTally(models.Model):
    """Verdicts on the answers experts resolved, counted by score: what the validator
    leaderboard's calibration, AUROC and threshold chooser need, without reading every verdict."""

    validator = models.ForeignKey("evaluation.ValidatorConfig", on_delete=models.CASCADE, related_name="+")
    config_hash = models.CharField(max_length=64)
    site = models.ForeignKey(Site, on_delete=models.CASCADE, related_name="+")
    category = models.CharField(max_length=100)
    diamond = models.BooleanField()
    verified_correct = models.BooleanField()
    decision = models.CharField(max_length=10)
    score = models.FloatField()
    answers = models.PositiveIntegerField()

    def __str__(self) -> str:
        return f"{self.answers} × {self.decision} at {self.score:.3f} by {self.config_hash[:10]}"


class WeeklyVerdictTally(models.Model):
    """Verdicts by validator config, question facets and the week the answer was submitted."""

    validator = models.ForeignKey("evaluation.ValidatorConfig", on_delete=models.CASCADE, related_name="+")
    config_hash = models.CharField(max_length=64)
    site = models.ForeignKey(Site, on_delete=models.CASCADE, related_name="+")
    category = models.CharField(max_length=100)
    diamond = models.BooleanField()
    week = models.DateTimeField()
    results = models.PositiveIntegerField()
    accepted = models.PositiveIntegerField()

    def __str__(self) -> str:
        return f"{self.accepted}/{self.results} in the week of {self.week:%Y-%m-%d}"


class TallyRefresh(models.Model):
    """When the tallies were last rebuilt (one row per rebuild; the newest is shown)."""

    finished_at = models.DateTimeField(auto_now_add=True, db_index=True)
    seconds = models.FloatField()

    def __str__(self) -> str:
        return f"tallies of {self.finished_at:%Y-%m-%d %H:%M:%S}"
