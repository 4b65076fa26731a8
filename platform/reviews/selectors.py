"""Reads for reviewing: the queue (in priority order), the review page, the curator pages."""

from django.conf import settings
from django.db.models import Count, Exists, F, FloatField, OuterRef, Prefetch, Q, QuerySet, Value
from django.db.models.functions import Abs, Coalesce
from django.utils import timezone

from accounts.models import User
from evaluation.models import Validation, ValidationResult
from reviews.models import AuditEntry, ExpertDomain, ExpertRequest, Review, ReviewClaim
from submissions.models import Answer, ReviewState

OPEN_REVIEW_STATES = (ReviewState.UNREVIEWED, ReviewState.IN_REVIEW)


def expert_site_ids(user: User) -> list[int]:
    return list(ExpertDomain.objects.filter(user=user).values_list("site_id", flat=True))


def blindness(site, *, reviewing: bool) -> dict[str, bool]:
    """What an expert who may still review an answer must not see yet (per the site's settings);
    everyone else sees everything."""
    return {"show_model": not (reviewing and site.blind_model),
            "show_validation": not (reviewing and site.blind_validator)}  # fmt: skip


def question_blindness(answers, viewer: User) -> dict[int, dict[str, bool]]:
    """Per answer on a question page: blind for an expert of its site who has not reviewed it
    while it is still open for review."""
    sites = set(expert_site_ids(viewer)) if viewer.is_authenticated and viewer.is_expert else set()
    return {
        answer.pk: blindness(answer.question.site, reviewing=(
            answer.question.site_id in sites and answer.review_state in OPEN_REVIEW_STATES
            and answer.model_entry.owner_id != viewer.pk
            and not any(r.expert_id == viewer.pk for r in answer.reviews.all())
        ))
        for answer in answers
    }  # fmt: skip


def review_queue(user: User) -> QuerySet[Answer]:
    """Answers this expert may review now, best first: validator-passed, then the most uncertain
    validator score, then the fewest reviews."""
    now = timezone.now()
    wanted = settings.QUORUM_REVIEWS_WANTED
    primary_score = ValidationResult.objects.filter(
        answer=OuterRef("pk"), validation__validator__is_primary=True
    ).values("score")[:1]
    others_claims = ReviewClaim.objects.filter(answer=OuterRef("pk"), expires_at__gt=now).exclude(expert=user)
    return (
        Answer.objects.filter(question__site_id__in=expert_site_ids(user), review_state__in=OPEN_REVIEW_STATES)
        .exclude(model_entry__owner=user)
        .exclude(**({"model_entry__organisation": user.organisation} if user.organisation else {}))
        .exclude(reviews__expert=user)
        .annotate(
            n_reviews=Count("reviews", distinct=True),
            n_claims=Count("claims", filter=Q(claims__expires_at__gt=now) & ~Q(claims__expert=user), distinct=True),
            passed=Exists(Validation.objects.filter(answer=OuterRef("pk"), validator__is_primary=True, state="passed")),
            uncertainty=Abs(Coalesce(primary_score, Value(0.5), output_field=FloatField()) - Value(0.5)),
            claimed_by_others=Exists(others_claims),
        )
        .filter(n_reviews__lt=wanted)
        .filter(Q(n_claims=0) | Q(n_reviews__lt=wanted - F("n_claims")))
        .order_by("-passed", "uncertainty", "n_reviews", "pk")
    )


def review_page(answer_id: int) -> Answer:
    validations = Validation.objects.select_related("validator", "result").order_by("validator__name")
    reviews = Review.objects.select_related("expert").order_by("created_at")
    return (
        Answer.objects.select_related("question__site", "model_entry", "assessment")
        .prefetch_related(Prefetch("validations", queryset=validations), Prefetch("reviews", queryset=reviews))
        .get(pk=answer_id)
    )


def my_claims(user: User) -> list[ReviewClaim]:
    return list(
        ReviewClaim.objects.filter(expert=user, expires_at__gt=timezone.now())
        .select_related("answer__question").order_by("expires_at")
    )


def disputed_answers() -> list[Answer]:
    reviews = Review.objects.select_related("expert").order_by("created_at")
    return list(
        Answer.objects.filter(review_state=ReviewState.DISPUTED)
        .select_related("question__site", "model_entry", "assessment")
        .prefetch_related(Prefetch("reviews", queryset=reviews))
        .order_by("pk")
    )


def pending_expert_requests() -> list[ExpertRequest]:
    return list(ExpertRequest.objects.filter(status="pending").select_related("user", "site"))


def audit_log(limit: int = 200) -> list[AuditEntry]:
    return list(AuditEntry.objects.select_related("actor", "answer__question", "question")[:limit])


def agreement_by_site() -> list[tuple[str, int, float | None]]:
    """(site name, reviews, Krippendorff's alpha) for every site with reviews."""
    from reviews.aggregation import krippendorff_alpha

    rows = Review.objects.exclude(verdict="cant_judge").values_list(
        "answer__question__site__name", "answer_id", "expert_id", "verdict"
    )
    by_site: dict[str, list] = {}
    for site, answer_id, expert_id, verdict in rows:
        by_site.setdefault(site, []).append((answer_id, expert_id, verdict))
    return [(site, len(labels), krippendorff_alpha(labels)) for site, labels in sorted(by_site.items())]
