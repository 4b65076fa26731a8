from django.conf import settings
from django.db import models
from django.db.models import Q

from catalog.models import Question
from common.models import TimeStampedModel
from curation.rules import UQ_DEFAULTS


def uq_default_rules() -> dict:
    return dict(UQ_DEFAULTS)


class FilterPreset(TimeStampedModel):
    """Rule filters as editable data (see curation/rules.py for every key)."""

    name = models.CharField(max_length=100, unique=True)
    description = models.TextField(blank=True)
    rules = models.JSONField(default=uq_default_rules)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class FilterRun(models.Model):
    """One application of a preset to the draft candidates, with its report."""

    preset = models.ForeignKey(FilterPreset, null=True, on_delete=models.SET_NULL, related_name="runs")
    preset_name = models.CharField(max_length=100)
    rules = models.JSONField(help_text="The rules as applied.")
    site = models.CharField(max_length=100, blank=True, help_text="Empty: every site.")
    report = models.JSONField(default=dict)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.preset_name} on {self.report.get('total', 0)} candidates"


class ScreenState(models.TextChoices):
    NONE = "", "Not screened"
    PASSED = "pass", "Passed"
    FAILED = "fail", "Failed"
    ERROR = "error", "Error"


class Decision(models.TextChoices):
    PENDING = "pending", "Pending"
    APPROVED = "approved", "Approved"
    REJECTED = "rejected", "Rejected"
    MERGED = "merged", "Merged into another question"


class Candidate(models.Model):
    """The curation evidence of one draft question: rule filters, pre-screen, decision."""

    question = models.OneToOneField(Question, on_delete=models.CASCADE, related_name="candidate")
    filter_run = models.ForeignKey(FilterRun, null=True, blank=True, on_delete=models.SET_NULL)
    filter_passed = models.BooleanField(null=True)
    filter_failures = models.JSONField(default=list, blank=True)
    diamond_eligible = models.BooleanField(default=False)
    screen_job = models.ForeignKey("ScreenJob", null=True, blank=True, on_delete=models.SET_NULL)
    screen_state = models.CharField(max_length=10, choices=ScreenState.choices, blank=True, default="")
    screen = models.JSONField(default=dict, blank=True, help_text="Votes, means, transcripts, cost.")
    decision = models.CharField(max_length=10, choices=Decision.choices, default=Decision.PENDING)
    decision_note = models.TextField(blank=True)
    decided_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="+")  # fmt: skip
    decided_at = models.DateTimeField(null=True, blank=True)
    merged_into = models.ForeignKey(Question, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        indexes = [models.Index(fields=["decision", "filter_passed", "screen_state"], name="candidate_queue")]
        constraints = [
            models.CheckConstraint(
                condition=Q(decision="merged", merged_into__isnull=False) | ~Q(decision="merged"),
                name="candidate_merged_has_target",
            )
        ]

    def __str__(self) -> str:
        return f"candidate {self.question_id}: {self.decision}"


class JobStatus(models.TextChoices):
    QUEUED = "queued", "Queued"
    RUNNING = "running", "Running"
    PAUSED = "paused", "Paused (resumable)"
    COMPLETED = "completed", "Completed"
    CANCELLED = "cancelled", "Cancelled"
    FAILED = "failed", "Failed"


ACTIVE = (JobStatus.QUEUED, JobStatus.RUNNING)


class HarvestMethod(models.TextChoices):
    UNANSWERED = "unanswered", "Unanswered (no upvoted answer)"
    NO_ANSWERS = "no-answers", "No answers at all"


class HarvestSort(models.TextChoices):
    VOTES = "votes", "Votes"
    CREATION = "creation", "Creation date"
    ACTIVITY = "activity", "Activity"


class CurationJob(models.Model):
    """What every curation job has: its status, who asked, when it ran, how it ended."""

    status = models.CharField(max_length=20, choices=JobStatus.choices, default=JobStatus.QUEUED)
    cancel_requested = models.BooleanField(default=False)
    last_error = models.TextField(blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL)
    created_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        abstract = True
        ordering = ["-created_at", "-id"]

    @property
    def is_active(self) -> bool:
        return self.status in ACTIVE


class HarvestJob(CurationJob):
    """Fetch unanswered questions of one site as draft candidates; resumable page by page."""

    site = models.CharField(max_length=100, help_text="API site parameter, e.g. math or mathoverflow.net.")
    method = models.CharField(max_length=20, choices=HarvestMethod.choices, default=HarvestMethod.UNANSWERED)
    sort = models.CharField(max_length=20, choices=HarvestSort.choices, default=HarvestSort.VOTES)
    tagged = models.CharField(max_length=200, blank=True, help_text="Semicolon-separated tags (all must match).")
    min_votes = models.IntegerField(null=True, blank=True, help_text="With sort by votes: lowest score.")
    fromdate = models.DateTimeField(null=True, blank=True)
    todate = models.DateTimeField(null=True, blank=True)
    limit = models.PositiveIntegerField(default=1000, help_text="Stop after this many questions.")
    next_page = models.PositiveIntegerField(default=1)
    pages = models.PositiveIntegerField(default=0)
    fetched = models.PositiveIntegerField(default=0)
    created = models.PositiveIntegerField(default=0)
    updated = models.PositiveIntegerField(default=0)
    quota_max = models.PositiveIntegerField(null=True, blank=True)
    quota_remaining = models.IntegerField(null=True, blank=True)

    def __str__(self) -> str:
        return f"Harvest #{self.pk} of {self.site}"


class ScreenJob(CurationJob):
    """LLM pre-screening of candidates with a validator config's judge (UQ's pre-filter)."""

    validator = models.ForeignKey("evaluation.ValidatorConfig", null=True, on_delete=models.SET_NULL)
    judge = models.JSONField(help_text="The judge backend spec used.")
    options = models.JSONField(help_text="Samples, thresholds, parameters.")
    question_ids = models.JSONField(default=list)
    total = models.PositiveIntegerField(default=0)
    passed = models.PositiveIntegerField(default=0)
    failed = models.PositiveIntegerField(default=0)
    errors = models.PositiveIntegerField(default=0)
    calls = models.PositiveIntegerField(default=0)
    prompt_tokens = models.PositiveBigIntegerField(default=0)
    completion_tokens = models.PositiveBigIntegerField(default=0)

    def __str__(self) -> str:
        return f"Pre-screen #{self.pk}"

    @property
    def done(self) -> int:
        return self.passed + self.failed + self.errors


class SourceFlag(models.TextChoices):
    NONE = "", "Nothing to do"
    FLAGGED = "flagged", "Flagged for curators"
    DISMISSED = "dismissed", "Dismissed"
    RETIRED = "retired", "Question retired"


class SourceStatus(models.Model):
    """What the source said when last asked: is the question answered there now?"""

    question = models.OneToOneField(Question, on_delete=models.CASCADE, related_name="source_status")
    checked_at = models.DateTimeField()
    is_answered = models.BooleanField(default=False)
    accepted_answer_id = models.BigIntegerField(null=True, blank=True)
    answer_count = models.PositiveIntegerField(default=0)
    missing = models.BooleanField(default=False, help_text="The source no longer returns it (deleted?).")
    flag = models.CharField(max_length=10, choices=SourceFlag.choices, blank=True, default="")
    resolved_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL)
    resolved_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name_plural = "source statuses"
        indexes = [models.Index(fields=["flag", "-checked_at"], name="source_status_flag")]

    def __str__(self) -> str:
        return f"question {self.question_id}: {'answered' if self.is_answered else 'unanswered'}"
