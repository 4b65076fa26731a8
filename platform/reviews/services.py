"""Every write of the review flow: expert status, claims, reviews, aggregation, adjudication."""

import logging
from datetime import timedelta

from django.conf import settings
from django.db import IntegrityError, connection, transaction
from django.db.models import Exists, F, Max, OuterRef, Q, Subquery
from django.utils import timezone

from accounts.models import Role, User
from accounts.services import notify, user_set_role
from catalog.models import Question, QuestionState, RetireReason, Site
from catalog.services import ALLOWED_TRANSITIONS, question_retire, question_transition
from common.errors import DomainError
from reviews import aggregation, selectors
from reviews.models import (
    AnswerAssessment,
    AuditEntry,
    Comment,
    ExpertDomain,
    ExpertRequest,
    FlagStatus,
    QuestionFlag,
    RequestStatus,
    Review,
    ReviewClaim,
    ReviewRevision,
    SiteReliability,
    Verdict,
)
from submissions.models import Answer, ReviewState
from webhooks.services import webhook_answer_reviewed

logger = logging.getLogger(__name__)

MAX_RATIONALE = 20_000


# --- expert status ------------------------------------------------------------------------


def expert_request_create(*, user: User, site: Site, motivation: str) -> ExpertRequest:
    motivation = motivation.strip()
    if len(motivation) < 20:
        raise DomainError("Tell the curators about your background in a few sentences (20+ characters).")
    if ExpertDomain.objects.filter(user=user, site=site).exists():
        raise DomainError(f"You are already an expert for {site.name}.")
    try:
        with transaction.atomic():
            return ExpertRequest.objects.create(user=user, site=site, motivation=motivation[:5000])
    except IntegrityError:
        raise DomainError(f"Your request for {site.name} is already waiting for a curator.") from None


@transaction.atomic
def expert_request_decide(*, request: ExpertRequest, curator: User, grant: bool, reason: str = "") -> ExpertRequest:
    request = ExpertRequest.objects.select_for_update().get(pk=request.pk)
    if request.status != RequestStatus.PENDING:
        raise DomainError("This request was already decided.")
    request.status = RequestStatus.GRANTED if grant else RequestStatus.REFUSED
    request.decided_by, request.decided_at = curator, timezone.now()
    request.save(update_fields=["status", "decided_by", "decided_at"])
    if grant:
        expert_domain_grant(user=request.user, site=request.site, curator=curator)
    else:
        audit_record(actor=curator, action="expert_refused", reason=f"{request.user} for {request.site}: {reason}".strip(": "))
    return request


@transaction.atomic
def expert_domain_grant(*, user: User, site: Site, curator: User | None) -> ExpertDomain:
    domain, _ = ExpertDomain.objects.get_or_create(user=user, site=site, defaults={"granted_by": curator})
    if not user.is_expert:
        user_set_role(user=user, role=Role.EXPERT, granted=True)
    audit_record(actor=curator, action="expert_granted", reason=f"{user} for {site}")
    return domain


@transaction.atomic
def expert_domain_revoke(*, user: User, site: Site, curator: User, reason: str = "") -> None:
    ExpertDomain.objects.filter(user=user, site=site).delete()
    if not ExpertDomain.objects.filter(user=user).exists():
        user_set_role(user=user, role=Role.EXPERT, granted=False)
    audit_record(actor=curator, action="expert_revoked", reason=f"{user} for {site}: {reason}".strip(": "))


# --- claiming ------------------------------------------------------------------------------


def _check_may_review(expert: User, answer: Answer, *, in_domain: bool | None = None) -> None:
    if in_domain is None:
        in_domain = ExpertDomain.objects.filter(user=expert, site_id=answer.question.site_id).exists()
    if not in_domain:
        raise DomainError("You are not an expert for this question's site.")
    entry = answer.model_entry
    if entry.owner_id == expert.pk or (expert.organisation and entry.organisation == expert.organisation):
        raise DomainError("You cannot review answers of your own models or organisation.")


@transaction.atomic
def review_claim_next(*, expert: User) -> Answer | None:
    """Hold the best next answer for this expert (their unexpired claim first), or None."""
    now = timezone.now()
    held = ReviewClaim.objects.filter(expert=expert, expires_at__gt=now).exclude(answer__reviews__expert=expert)
    claim = held.select_related("answer").order_by("expires_at").first()
    if claim:
        return claim.answer
    candidates = selectors.review_queue(expert).values_list("pk", flat=True)[:20]
    locked = Answer.objects.select_for_update(skip_locked=True).filter(pk__in=list(candidates))
    ids = set(locked.values_list("pk", flat=True))
    for pk in candidates:  # keep the queue's order among those not locked by someone else
        if pk in ids:
            expires = now + timedelta(minutes=settings.QUORUM_CLAIM_MINUTES)
            ReviewClaim.objects.update_or_create(answer_id=pk, expert=expert, defaults={"expires_at": expires})
            return Answer.objects.get(pk=pk)
    return None


def review_claim_release(*, expert: User, answer: Answer) -> None:
    ReviewClaim.objects.filter(expert=expert, answer=answer).delete()


# --- reviewing -----------------------------------------------------------------------------


def _clean_review(verdict: str, confidence: int, rationale: str, first_wrong_step: str) -> tuple:
    if verdict not in Verdict.values:
        raise DomainError(f"Choose a verdict: {', '.join(Verdict.labels)}.")
    if not isinstance(confidence, int) or not 1 <= confidence <= 5:
        raise DomainError("Confidence is a whole number from 1 to 5.")
    rationale = (rationale or "").strip()
    if not rationale:
        raise DomainError("Explain your verdict: what did you check?")
    if len(rationale) > MAX_RATIONALE or len(first_wrong_step or "") > MAX_RATIONALE:
        raise DomainError(f"Keep the rationale under {MAX_RATIONALE:,} characters.")
    return verdict, confidence, rationale, (first_wrong_step or "").strip()


def review_submit(
    *, expert: User, verdict: str, confidence: int, rationale: str, first_wrong_step: str = "",
    answer: Answer | None = None, answer_id: int | None = None,
) -> int:  # fmt: skip
    """Create or revise this expert's review, keep its history, and return the review's id. The
    answer is re-assessed after commit, on a `default` worker (`quorum.reviews.assess`).

    On PostgreSQL one statement locks the answer, checks the reviewer and writes the review, its
    revision, the claim release and the audit entry. When it writes nothing (a check failed, or
    the answer is gone), or on other databases, the ORM path does the same in five queries and
    names the reason."""
    fields = dict(zip(REVIEW_FIELDS, _clean_review(verdict, confidence, rationale, first_wrong_step), strict=True))
    answer_id = answer.pk if answer is not None else answer_id
    review_id = _review_upsert_one_statement(expert, answer_id, fields) if connection.vendor == "postgresql" else None
    if review_id is None:
        review_id = _review_upsert_checked(expert, answer_id, fields)
    transaction.on_commit(lambda: _assess_later(answer_id))
    return review_id


def _assess_later(answer_id: int) -> None:
    """Queue the re-assessment; with the broker down the review still stands and the sweeper
    (`answers_assess_sweep`) assesses the answer once it can."""
    from workers.tasks.reviews import assess_answer

    try:
        assess_answer.apply_async((answer_id,), retry=False)
    except Exception:  # noqa: BLE001 - any broker failure: the sweeper catches up
        logger.warning("could not queue the re-assessment of answer %s; the sweeper will", answer_id, exc_info=True)


SWEEP_WINDOW = timedelta(days=7)
SWEEP_BATCH = 500


def answers_assess_sweep() -> int:
    """Assess answers whose newest review is newer than their assessment (a re-assessment lost
    with the broker, or a worker that died): reviews of the last week, at most 500 a run."""
    recent = Answer.objects.filter(reviews__updated_at__gte=timezone.now() - SWEEP_WINDOW).annotate(
        newest=Max("reviews__updated_at")
    ).filter(Q(assessment__isnull=True) | Q(assessment__updated_at__lt=F("newest")))  # fmt: skip
    stale = list(recent.values_list("pk", flat=True)[:SWEEP_BATCH])
    for answer in Answer.objects.filter(pk__in=stale):
        answer_assess(answer=answer)
    return len(stale)


REVIEW_FIELDS = ("verdict", "confidence", "rationale", "first_wrong_step")

# The same checks as _check_may_review, in SQL; no row back means one of them failed.
REVIEW_UPSERT_SQL = """
WITH target AS (
    SELECT a.id AS answer_id, e.owner_id
    FROM submissions_answer a
    JOIN submissions_modelentry e ON e.id = a.model_entry_id
    JOIN catalog_question q ON q.id = a.question_id
    WHERE a.id = %(answer)s AND e.owner_id <> %(expert)s
      AND NOT (%(organisation)s <> '' AND e.organisation = %(organisation)s)
      AND EXISTS (SELECT 1 FROM reviews_expertdomain d WHERE d.user_id = %(expert)s AND d.site_id = q.site_id)
    FOR UPDATE OF a
), review AS (
    INSERT INTO reviews_review (answer_id, expert_id, answer_owner_id, verdict, confidence, rationale,
                                first_wrong_step, created_at, updated_at)
    SELECT answer_id, %(expert)s, owner_id, %(verdict)s, %(confidence)s, %(rationale)s, %(first_wrong_step)s,
           %(now)s, %(now)s
    FROM target
    ON CONFLICT (answer_id, expert_id) DO UPDATE SET verdict = EXCLUDED.verdict,
        confidence = EXCLUDED.confidence, rationale = EXCLUDED.rationale,
        first_wrong_step = EXCLUDED.first_wrong_step, updated_at = EXCLUDED.updated_at
    RETURNING id, answer_id
), revision AS (
    INSERT INTO reviews_reviewrevision (review_id, verdict, confidence, rationale, first_wrong_step, created_at)
    SELECT id, %(verdict)s, %(confidence)s, %(rationale)s, %(first_wrong_step)s, %(now)s FROM review
), released AS (
    DELETE FROM reviews_reviewclaim c USING review r WHERE c.answer_id = r.answer_id AND c.expert_id = %(expert)s
), audit AS (
    INSERT INTO reviews_auditentry (actor_id, action, answer_id, before, after, reason, created_at)
    SELECT %(expert)s, 'review_saved', answer_id, '', %(verdict)s, '', %(now)s FROM review
)
SELECT id FROM review
"""


def _review_upsert_one_statement(expert: User, answer_id: int, fields: dict) -> int | None:
    params = {**fields, "answer": answer_id, "expert": expert.pk, "organisation": expert.organisation,
              "now": timezone.now()}  # fmt: skip
    with connection.cursor() as cursor:
        cursor.execute(REVIEW_UPSERT_SQL, params)
        row = cursor.fetchone()
    return row[0] if row else None


@transaction.atomic
def _review_upsert_checked(expert: User, answer_id: int, fields: dict) -> int:
    in_domain = ExpertDomain.objects.filter(user=expert, site_id=OuterRef("question__site_id"))
    answer = (
        Answer.objects.select_for_update(of=("self",)).select_related("question", "model_entry")
        .annotate(in_domain=Exists(in_domain)).get(pk=answer_id)
    )
    _check_may_review(expert, answer, in_domain=answer.in_domain)
    [review] = Review.objects.bulk_create(
        [Review(answer=answer, expert=expert, answer_owner_id=answer.model_entry.owner_id, **fields)],
        update_conflicts=True, unique_fields=["answer", "expert"], update_fields=[*fields, "updated_at"],
    )  # one INSERT … ON CONFLICT DO UPDATE: fifty identical submissions still make one row
    ReviewRevision.objects.create(review_id=review.pk, **fields)
    ReviewClaim.objects.filter(answer=answer, expert=expert).delete()
    audit_record(actor=expert, action="review_saved", answer=answer, after=fields["verdict"])
    return review.pk


@transaction.atomic
def answer_assess(*, answer: Answer) -> AnswerAssessment:
    """Aggregate the answer's reviews with its site's fitted reliabilities and apply the
    resolution rule (curator decisions stand). Reads the answer's reviews only."""
    answer = Answer.objects.select_for_update(of=("self",)).select_related("question").get(pk=answer.pk)
    return _assess_locked(answer, _stored_model(answer.question.site_id))


def _assess_locked(answer: Answer, model: aggregation.ReliabilityModel | None) -> AnswerAssessment:
    """The answer's reviews are read under its lock: a review saved meanwhile is not missed."""
    result = aggregation.assess(answer.pk, _labels(Review.objects.filter(answer=answer)), model)
    return _assessment_save(answer, result)


def _labels(reviews) -> list[aggregation.Label]:
    rows = reviews.exclude(verdict=Verdict.CANT_JUDGE).values_list("answer_id", "expert_id", "verdict", "confidence")
    return [aggregation.Label(answer_id, expert_id, verdict == Verdict.CORRECT, confidence)
            for answer_id, expert_id, verdict, confidence in rows]  # fmt: skip


def _stored_model(site_id: int) -> aggregation.ReliabilityModel | None:
    stored = SiteReliability.objects.filter(site_id=site_id).first()
    if stored is None:
        return None
    experts = {int(expert): (yes_if_correct, yes_if_not) for expert, (yes_if_correct, yes_if_not) in stored.experts.items()}
    return aggregation.ReliabilityModel(prior_correct=stored.prior_correct, experts=experts)


def _assessment_save(answer: Answer, result: aggregation.Assessment) -> AnswerAssessment:
    assessment, _ = AnswerAssessment.objects.update_or_create(
        answer=answer, defaults={"p_correct": result.p_correct, "method": result.method, "reviews": result.reviews}
    )
    decision = AuditEntry.objects.filter(answer=answer, action="curator_decision").order_by("-id").first()
    if decision is None or decision.after == ReviewState.IN_REVIEW:  # curators' verdicts stand
        _answer_set_review_state(answer, _resolution(result), actor=None, reason=f"{result.method}, p={result.p_correct:.2f}")
    return assessment


def site_reliability_refit(*, site: Site) -> int:
    """Fit Dawid–Skene over the site's reviews, store it, and re-assess the answers whose
    assessment it changes; returns how many it re-assessed."""
    started = timezone.now()  # a review saved while fitting makes the site due again
    labels = _labels(Review.objects.filter(answer__question__site=site))
    model = aggregation.fit(labels)
    if model is None:
        SiteReliability.objects.filter(site=site).delete()
    else:
        SiteReliability.objects.update_or_create(site=site, defaults={
            "prior_correct": model.prior_correct, "reviews": len(labels), "fitted_at": started,
            "experts": {str(expert): list(pair) for expert, pair in model.experts.items()},
        })  # fmt: skip
    by_answer: dict[int, list[aggregation.Label]] = {}
    for label in labels:
        by_answer.setdefault(label.answer_id, []).append(label)
    current = dict(AnswerAssessment.objects.filter(answer_id__in=by_answer).values_list("answer_id", "p_correct"))
    changed = [answer_id for answer_id, own in by_answer.items()
               if answer_id not in current or abs(aggregation.assess(answer_id, own, model).p_correct - current[answer_id]) > 1e-9]  # fmt: skip
    for answer_id in changed:
        with transaction.atomic():
            answer = Answer.objects.select_for_update(of=("self",)).select_related("question").get(pk=answer_id)
            _assess_locked(answer, model)
    return len(changed)


def site_reliabilities_refit() -> int:
    """Refit every site whose reviews changed since its last fit (beat, `quorum.reviews.refit`)."""
    newest = Review.objects.filter(answer__question__site=OuterRef("pk")).order_by("-updated_at").values("updated_at")[:1]
    stale = Site.objects.annotate(newest=Subquery(newest)).filter(newest__isnull=False).filter(
        Q(reliability__isnull=True) | Q(reliability__fitted_at__lt=F("newest"))
    )
    return sum(site_reliability_refit(site=site) for site in stale)


def _resolution(result: aggregation.Assessment) -> str:
    if result.reviews < settings.QUORUM_REVIEW_MIN_REVIEWS:
        return ReviewState.IN_REVIEW
    if result.p_correct >= settings.QUORUM_REVIEW_ACCEPT_P:
        return ReviewState.VERIFIED_CORRECT
    if result.p_correct <= settings.QUORUM_REVIEW_REJECT_P:
        return ReviewState.VERIFIED_INCORRECT
    return ReviewState.DISPUTED


@transaction.atomic
def answer_adjudicate(*, answer: Answer, curator: User, outcome: str, reason: str) -> Answer:
    """A curator settles a dispute (or reopens a decision); recorded with the reason."""
    allowed = (ReviewState.VERIFIED_CORRECT, ReviewState.VERIFIED_INCORRECT, ReviewState.IN_REVIEW)
    if outcome not in allowed:
        raise DomainError("Settle as verified correct, verified incorrect, or reopen for review.")
    if not reason.strip():
        raise DomainError("Give the reason for the decision; it is recorded.")
    answer = Answer.objects.select_for_update().select_related("question").get(pk=answer.pk)
    before = answer.review_state
    _answer_set_review_state(answer, outcome, actor=curator, reason=reason.strip(), override=True)
    audit_record(actor=curator, action="curator_decision", answer=answer, before=before, after=outcome, reason=reason.strip())
    return answer


def _answer_set_review_state(answer: Answer, state: str, *, actor, reason: str, override: bool = False) -> None:
    if answer.review_state == state:
        return
    before = answer.review_state
    Answer.objects.filter(pk=answer.pk).update(review_state=state)
    answer.review_state = state
    webhook_answer_reviewed(answer=answer)
    if not override:
        audit_record(actor=actor, action="review_state", answer=answer, before=before, after=state, reason=reason)
    if state == ReviewState.DISPUTED:
        _notify_dispute(answer)
    _question_follow(answer.question, actor=actor)


def _notify_dispute(answer: Answer) -> None:
    reviewers = User.objects.filter(reviews__answer=answer)
    curators = User.objects.filter(is_curator=True)
    text = f"Experts disagree on an answer to “{answer.question.title[:120]}”"
    notify(users=reviewers, kind="disputed", text=text, url=f"/reviews/answers/{answer.pk}/")
    notify(users=curators, kind="disputed", text=text, url="/reviews/curation/")


def _question_follow(question: Question, *, actor) -> None:
    """solved while one answer is verified correct; disputed while one is disputed."""
    question = Question.objects.get(pk=question.pk)
    states = set(question.answers.values_list("review_state", flat=True))
    if ReviewState.VERIFIED_CORRECT in states:
        target = QuestionState.SOLVED
    elif ReviewState.DISPUTED in states:
        target = QuestionState.DISPUTED
    elif question.state in (QuestionState.SOLVED, QuestionState.DISPUTED):
        target = QuestionState.OPEN
    else:
        return
    if target != question.state and target in ALLOWED_TRANSITIONS.get(question.state, set()):
        question_transition(question=question, to_state=target, actor=actor, reason="expert reviews")


def audit_record(
    *, actor, action: str, question: Question | None = None, answer: Answer | None = None,
    before: str = "", after: str = "", reason: str = "",
) -> AuditEntry:
    """One line in the curators' audit log (for other apps' decisions, e.g. curation)."""
    return AuditEntry.objects.create(
        actor=actor, action=action, question=question, answer=answer,
        before=before[:40], after=after[:40], reason=reason,
    )


# --- discussion and question flags --------------------------------------------------------


def comment_add(*, author: User, body: str, question: Question | None = None, answer: Answer | None = None) -> Comment:
    body = (body or "").strip()
    if not body or len(body) > 10_000:
        raise DomainError("A comment has 1 to 10,000 characters.")
    if (question is None) == (answer is None):
        raise DomainError("Comment on a question or on an answer.")
    return Comment.objects.create(author=author, body=body, question=question, answer=answer)


def question_flag(*, question: Question, flagger: User, reason: str, link: str = "", note: str = "",
                  quality: int | None = None) -> QuestionFlag:  # fmt: skip
    if not flagger.is_expert and not flagger.is_curator:
        raise DomainError("Only experts and curators flag questions.")
    if reason not in RetireReason.values:
        raise DomainError("Choose why: ill-posed, answered elsewhere, duplicate or off-topic.")
    if reason in (RetireReason.ANSWERED_ELSEWHERE, RetireReason.DUPLICATE) and not link:
        raise DomainError("Give the link to where it is answered, or to the original question.")
    try:
        with transaction.atomic():
            return QuestionFlag.objects.create(question=question, flagger=flagger, reason=reason, link=link,
                                               note=note.strip()[:5000], quality=quality)  # fmt: skip
    except IntegrityError:
        raise DomainError("You already flagged this question; a curator will look at it.") from None


@transaction.atomic
def question_flag_resolve(*, flag: QuestionFlag, curator: User, accept: bool, note: str = "") -> QuestionFlag:
    flag = QuestionFlag.objects.select_for_update().select_related("question").get(pk=flag.pk)
    if flag.status != FlagStatus.OPEN:
        raise DomainError("This flag was already handled.")
    if accept:
        question_retire(question=flag.question, actor=curator, retire_reason=flag.reason,
                        note=" ".join(filter(None, [flag.link, note])))  # fmt: skip
    flag.status = FlagStatus.ACCEPTED if accept else FlagStatus.DISMISSED
    flag.resolved_by = curator
    flag.save(update_fields=["status", "resolved_by"])
    audit_record(actor=curator, action="flag_accepted" if accept else "flag_dismissed", reason=f"question {flag.question_id}: {note}".strip(": "))
    return flag
