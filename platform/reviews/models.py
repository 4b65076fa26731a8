from django.conf import settings
from django.db import models
from django.db.models import F, Q

from catalog.models import RetireReason, Site
from submissions.models import Answer


class ExpertDomain(models.Model):
    """Expert status, per site: granted (and revoked) by curators."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="expert_domains")
    site = models.ForeignKey(Site, on_delete=models.CASCADE, related_name="experts")
    granted_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    granted_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "site"], name="expert_domain_unique")]

    def __str__(self) -> str:
        return f"{self.user} on {self.site}"


class RequestStatus(models.TextChoices):
    PENDING = "pending", "Pending"
    GRANTED = "granted", "Granted"
    REFUSED = "refused", "Refused"


class ExpertRequest(models.Model):
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="expert_requests")
    site = models.ForeignKey(Site, on_delete=models.CASCADE)
    motivation = models.TextField(help_text="Your background in this domain (degrees, papers, posts).")
    status = models.CharField(max_length=10, choices=RequestStatus.choices, default=RequestStatus.PENDING)
    decided_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    decided_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(fields=["user", "site"], condition=Q(status="pending"),
                                    name="one_pending_expert_request_per_site")  # fmt: skip
        ]

    def __str__(self) -> str:
        return f"{self.user} asks for {self.site} ({self.status})"


class Verdict(models.TextChoices):
    CORRECT = "correct", "Correct"
    PARTIALLY_CORRECT = "partially_correct", "Partially correct"
    INCORRECT = "incorrect", "Incorrect"
    CANT_JUDGE = "cant_judge", "Can't judge"


class Review(models.Model):
    """One expert's verdict on one answer (revisable; the history is in ReviewRevision)."""

    answer = models.ForeignKey(Answer, on_delete=models.CASCADE, related_name="reviews")
    expert = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="reviews")
    # The answer's owner, copied so that the database itself refuses self-review.
    answer_owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    verdict = models.CharField(max_length=20, choices=Verdict.choices)
    confidence = models.PositiveSmallIntegerField()
    rationale = models.TextField(help_text="Markdown; what you checked and why.")
    first_wrong_step = models.TextField(blank=True, help_text="Optional: quote the first wrong step or claim.")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["answer", "expert"], name="one_review_per_expert_per_answer"),
            models.CheckConstraint(condition=~Q(expert=F("answer_owner")), name="no_self_review"),
            models.CheckConstraint(condition=Q(confidence__gte=1) & Q(confidence__lte=5), name="confidence_1_to_5"),
        ]

    def __str__(self) -> str:
        return f"{self.expert}: {self.verdict} on answer {self.answer_id}"


class ReviewRevision(models.Model):
    """Append-only: every submitted version of a review."""

    review = models.ForeignKey(Review, on_delete=models.CASCADE, related_name="revisions")
    verdict = models.CharField(max_length=20, choices=Verdict.choices)
    confidence = models.PositiveSmallIntegerField()
    rationale = models.TextField()
    first_wrong_step = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return f"revision of review {self.review_id}"


class ReviewClaim(models.Model):
    """An expert holds an answer for a limited time so others do not duplicate the work."""

    answer = models.ForeignKey(Answer, on_delete=models.CASCADE, related_name="claims")
    expert = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="claims")
    expires_at = models.DateTimeField(db_index=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["answer", "expert"], name="one_claim_per_expert_per_answer")]

    def __str__(self) -> str:
        return f"{self.expert} holds answer {self.answer_id} until {self.expires_at:%H:%M}"


class AnswerAssessment(models.Model):
    """The aggregated expert view of an answer: P(correct), method, and the rule's outcome."""

    answer = models.OneToOneField(Answer, on_delete=models.CASCADE, related_name="assessment")
    p_correct = models.FloatField()
    method = models.CharField(max_length=30)
    reviews = models.PositiveSmallIntegerField()
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"P(correct)={self.p_correct:.2f} from {self.reviews} reviews"


class SiteReliability(models.Model):
    """A site's Dawid–Skene fit (reviews.aggregation.ReliabilityModel), redone in the background
    by `quorum.reviews.refit`; answers are assessed from their own reviews with it."""

    site = models.OneToOneField(Site, on_delete=models.CASCADE, related_name="reliability")
    prior_correct = models.FloatField()
    # {"<expert id>": [P(says correct | correct), P(says correct | not correct)]}
    experts = models.JSONField(default=dict)
    reviews = models.PositiveIntegerField(help_text="Reviews the fit saw.")
    fitted_at = models.DateTimeField()

    def __str__(self) -> str:
        return f"{self.site}: fitted on {self.reviews} reviews"


class AuditEntry(models.Model):
    """Append-only log of review-state changes and curator decisions (who, when, what, why),
    on an answer or on a question (curation)."""

    actor = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL)
    action = models.CharField(max_length=60)
    answer = models.ForeignKey(Answer, null=True, blank=True, on_delete=models.SET_NULL, related_name="audit")
    question = models.ForeignKey(
        "catalog.Question", null=True, blank=True, on_delete=models.SET_NULL, related_name="audit"
    )
    before = models.CharField(max_length=40, blank=True)
    after = models.CharField(max_length=40, blank=True)
    reason = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name_plural = "audit entries"

    def __str__(self) -> str:
        return f"{self.action}: {self.before} → {self.after}"


class Comment(models.Model):
    """Discussion on a question or an answer (Markdown, sanitised when shown)."""

    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="comments")
    question = models.ForeignKey("catalog.Question", null=True, blank=True, on_delete=models.CASCADE, related_name="comments")
    answer = models.ForeignKey(Answer, null=True, blank=True, on_delete=models.CASCADE, related_name="comments")
    body = models.TextField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "id"]
        constraints = [
            models.CheckConstraint(
                condition=(Q(question__isnull=False) & Q(answer__isnull=True))
                | (Q(question__isnull=True) & Q(answer__isnull=False)),
                name="comment_on_one_thing",
            )
        ]

    def __str__(self) -> str:
        return f"comment by {self.author}"


class FlagStatus(models.TextChoices):
    OPEN = "open", "Open"
    ACCEPTED = "accepted", "Accepted (question retired)"
    DISMISSED = "dismissed", "Dismissed"


class QuestionFlag(models.Model):
    """An expert's report that a question is ill-posed, answered elsewhere, a duplicate or off-topic."""

    question = models.ForeignKey("catalog.Question", on_delete=models.CASCADE, related_name="flags")
    flagger = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="flags")
    reason = models.CharField(max_length=30, choices=RetireReason.choices)
    link = models.URLField(max_length=500, blank=True, help_text="Where it was answered, or the original.")
    note = models.TextField(blank=True)
    quality = models.PositiveSmallIntegerField(null=True, blank=True, help_text="The question's quality, 1 to 5.")
    status = models.CharField(max_length=10, choices=FlagStatus.choices, default=FlagStatus.OPEN)
    resolved_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(fields=["question", "flagger"], condition=Q(status="open"), name="one_open_flag_per_expert"),
            models.CheckConstraint(condition=Q(quality__isnull=True) | (Q(quality__gte=1) & Q(quality__lte=5)), name="flag_quality_1_to_5"),
        ]

    def __str__(self) -> str:
        return f"{self.get_reason_display()} on question {self.question_id}"
