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
