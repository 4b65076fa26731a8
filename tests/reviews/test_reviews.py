import random
import threading

import pytest
from django.db import IntegrityError, connection, transaction

from catalog.models import QuestionState
from common.errors import DomainError
from evaluation.models import Validation, ValidationResult
from evaluation.services import validations_create, validator_config_save
from reviews import aggregation, services
from reviews.models import AuditEntry, ExpertDomain, ExpertRequest, Review, SiteReliability
from reviews.selectors import review_queue
from submissions.models import Answer
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def review(expert, answer, verdict="correct", confidence=5, rationale="Checked every step."):
    return services.review_submit(expert=expert, answer=answer, verdict=verdict, confidence=confidence,
                                  rationale=rationale)  # fmt: skip


def test_expert_status_is_requested_and_granted_per_site(math, curator):
    user = UserFactory(username="candidate")
    request = services.expert_request_create(user=user, site=math, motivation="PhD in number theory, 12 papers.")
    with pytest.raises(DomainError, match="already waiting"):
        services.expert_request_create(user=user, site=math, motivation="PhD in number theory, 12 papers.")
    services.expert_request_decide(request=request, curator=curator, grant=True)
    user.refresh_from_db()
    assert user.is_expert and ExpertDomain.objects.filter(user=user, site=math).exists()
    assert ExpertRequest.objects.get().status == "granted"
    services.expert_domain_revoke(user=user, site=math, curator=curator, reason="inactive")
    user.refresh_from_db()
    assert not user.is_expert
    assert list(AuditEntry.objects.values_list("action", flat=True)) == ["expert_revoked", "expert_granted"]


def test_queue_puts_validator_passed_and_uncertain_answers_first(make_expert, make_answer):
    expert = make_expert("erin")
    plain, passed_sure, passed_unsure = make_answer(), make_answer(), make_answer()
    validator = validator_config_save(name="v", config={"judges": {"default": {"kind": "scripted", "model": "s",
                                      "default": "[[Y]]"}}, "pipeline": "vanilla"}, actor=None, is_primary=True)  # fmt: skip
    for answer, score in ((passed_sure, 1.0), (passed_unsure, 0.6)):
        [pk] = validations_create(answers=Answer.objects.filter(pk=answer.pk), validator=validator)
        Validation.objects.filter(pk=pk).update(state="passed")
        ValidationResult.objects.create(validation_id=pk, answer=answer, config_hash=validator.config_hash,
                                        decision="accept", score=score, library_version="t", verdict={})  # fmt: skip
    assert list(review_queue(expert)) == [passed_unsure, passed_sure, plain]


def test_queue_hides_own_models_own_organisation_other_domains_and_reviewed(make_expert, make_answer, math):
    from tests.factories import SiteFactory

    expert = make_expert("erin", organisation="Erin Lab")
    mine = make_answer(owner=expert)
    colleagues = make_answer(organisation="Erin Lab")
    elsewhere = make_answer(site=SiteFactory(slug="history"))
    reviewed = make_answer()
    review(expert, reviewed)
    open_one = make_answer()
    assert list(review_queue(expert)) == [open_one]
    for answer in (mine, colleagues):
        with pytest.raises(DomainError, match="own models or organisation"):
            review(expert, answer)
    with pytest.raises(DomainError, match="not an expert for this"):
        review(expert, elsewhere)


def test_claims_hold_an_answer_for_one_expert(make_expert, make_answer, settings):
    settings.QUORUM_REVIEWS_WANTED = 1
    first, second = make_expert("a"), make_expert("b")
    answer = make_answer()
    assert services.review_claim_next(expert=first) == answer
    assert services.review_claim_next(expert=first) == answer  # resumes the held one
    assert services.review_claim_next(expert=second) is None  # nobody duplicates the work


def test_reviews_are_blind_revisable_and_keep_their_history(make_expert, make_answer):
    expert = make_expert("erin")
    answer = make_answer()
    review(expert, answer, "incorrect", 2, "Step 3 divides by zero.")
    review(expert, answer, "partially_correct", 4, "Step 3 is fine, step 5 is not.")
    saved = Review.objects.get()
    assert (saved.verdict, saved.confidence) == ("partially_correct", 4)
    assert list(saved.revisions.values_list("verdict", flat=True)) == ["incorrect", "partially_correct"]


def test_the_database_itself_refuses_self_review_and_double_reviews(make_expert, make_answer):
    expert = make_expert("erin")
    answer = make_answer(owner=expert)
    with pytest.raises(IntegrityError), transaction.atomic():
        Review.objects.create(answer=answer, expert=expert, answer_owner=expert, verdict="correct",
                              confidence=3, rationale="x")  # fmt: skip
    other = make_answer()
    Review.objects.create(answer=other, expert=expert, answer_owner=other.model_entry.owner, verdict="correct",
                          confidence=3, rationale="x")  # fmt: skip
    with pytest.raises(IntegrityError), transaction.atomic():
        Review.objects.create(answer=other, expert=expert, answer_owner=other.model_entry.owner,
                              verdict="incorrect", confidence=3, rationale="y")  # fmt: skip


@pytest.mark.parametrize(("bad", "message"), [
    ({"verdict": "maybe"}, "Choose a verdict"), ({"confidence": 7}, "1 to 5"), ({"rationale": " "}, "Explain"),
])  # fmt: skip
def test_bad_reviews_are_refused_clearly(make_expert, make_answer, bad, message):
    fields = {"verdict": "correct", "confidence": 3, "rationale": "ok", **bad}
    with pytest.raises(DomainError, match=message):
        services.review_submit(expert=make_expert("erin"), answer=make_answer(), **fields)


def test_two_confident_experts_verify_an_answer_and_solve_its_question(make_expert, make_answer):
    answer = make_answer()
    review(make_expert("a"), answer)
    answer.refresh_from_db()
    assert answer.review_state == "in_review"
    review(make_expert("b"), answer, confidence=4)
    answer.refresh_from_db()
    assert answer.review_state == "verified_correct"
    assert answer.assessment.p_correct >= 0.9 and answer.assessment.method == "confidence-vote"
    assert answer.question.state == QuestionState.SOLVED


def test_disagreement_is_a_dispute_a_curator_settles_with_a_recorded_reason(make_expert, make_answer, curator):
    answer = make_answer()
    review(make_expert("a"), answer, "correct", 5)
    review(make_expert("b"), answer, "incorrect", 5)
    answer.refresh_from_db()
    assert answer.review_state == "disputed" and answer.question.state == QuestionState.DISPUTED
    with pytest.raises(DomainError, match="reason"):
        services.answer_adjudicate(answer=answer, curator=curator, outcome="verified_correct", reason=" ")
    services.answer_adjudicate(answer=answer, curator=curator, outcome="verified_correct",
                               reason="The counterexample in review b is wrong.")  # fmt: skip
    answer.refresh_from_db()
    assert answer.review_state == "verified_correct" and answer.question.state == QuestionState.SOLVED
    entry = AuditEntry.objects.get(action="curator_decision")
    assert (entry.actor, entry.before, entry.after) == (curator, "disputed", "verified_correct")
    review(make_expert("c"), answer, "incorrect", 5)  # the curator's decision stands
    answer.refresh_from_db()
    assert answer.review_state == "verified_correct"


def test_dawid_skene_takes_over_when_there_are_enough_reviews():
    labels = [aggregation.Label(a, e, (a % 3 != 0) if e != 9 else (a % 3 == 0), 3)
              for a in range(12) for e in (1, 2, 9)]  # fmt: skip
    model = aggregation.fit(labels)
    result = aggregation.assess(1, labels, model)
    assert result.method == "dawid-skene" and result.p_correct > 0.9  # the contrarian is discounted
    assert aggregation.fit(labels[:6]) is None
    assert aggregation.assess(1, labels[:6]).method == "confidence-vote"


def test_one_answer_is_assessed_from_its_own_reviews_with_the_sites_fitted_model():
    """Bayes' rule with the fitted reliabilities: the E-step of Dawid–Skene for that answer alone,
    in agreement with crowd-kit's own site-wide estimate (one EM step apart at most)."""
    import pandas as pd
    from crowdkit.aggregation import DawidSkene

    rng = random.Random(7)
    skill = {e: rng.uniform(0.55, 0.95) for e in range(6)}
    truth = {a: rng.random() < 0.6 for a in range(80)}
    labels = [aggregation.Label(a, e, truth[a] if rng.random() < skill[e] else not truth[a], 3)
              for a in truth for e in rng.sample(range(6), 3)]  # fmt: skip
    model = aggregation.fit(labels)
    frame = pd.DataFrame([(lab.answer_id, lab.expert_id, "correct" if lab.correct else "not_correct") for lab in labels],
                         columns=["task", "worker", "label"])  # fmt: skip
    site_wide = DawidSkene(n_iter=100).fit(frame).probas_["correct"]
    agree = 0
    for answer_id in truth:
        own = [label for label in labels if label.answer_id == answer_id]
        if_correct, if_not = model.prior_correct, 1 - model.prior_correct
        for label in own:
            yes_if_correct, yes_if_not = model.experts[label.expert_id]
            if_correct *= yes_if_correct if label.correct else 1 - yes_if_correct
            if_not *= yes_if_not if label.correct else 1 - yes_if_not
        p = aggregation.posterior(model, own)
        assert p == pytest.approx(if_correct / (if_correct + if_not), abs=1e-9)
        assert p == pytest.approx(site_wide[answer_id], abs=0.1)
        agree += (p >= 0.5) == (site_wide[answer_id] >= 0.5)
    assert agree >= 0.95 * len(truth)


def test_an_expert_the_fit_has_not_seen_counts_by_stated_confidence():
    model = aggregation.ReliabilityModel(prior_correct=0.5, experts={1: (0.9, 0.1)})
    newcomer = [aggregation.Label(7, 42, True, 5)]
    assert aggregation.posterior(model, newcomer) == pytest.approx(aggregation.confidence_vote(newcomer))


def test_a_review_submission_takes_at_most_five_statements(make_expert, make_answer, monkeypatch):
    from django.test.utils import CaptureQueriesContext

    expert, answer = make_expert("erin"), make_answer()
    after_commit = []
    monkeypatch.setattr(transaction, "on_commit", lambda func, using=None, robust=False: after_commit.append(func))
    with CaptureQueriesContext(connection) as captured:
        review(expert, answer)
    assert len(after_commit) == 1  # the re-assessment, queued for after the commit
    control = ("SAVEPOINT", "RELEASE SAVEPOINT", "ROLLBACK TO SAVEPOINT")
    statements = [q["sql"] for q in captured.captured_queries if not q["sql"].startswith(control)]
    assert len(statements) == (1 if connection.vendor == "postgresql" else 5)
    assert Review.objects.get().revisions.count() == 1
    assert AuditEntry.objects.filter(action="review_saved", answer=answer, actor=expert).exists()


@pytest.mark.django_db(transaction=True)
def test_fifty_concurrent_submissions_of_the_same_review_make_one_row(make_expert, make_answer):
    expert = make_expert("erin")
    answer = make_answer()
    barrier = threading.Barrier(50)
    errors = []

    def submit():
        barrier.wait()
        try:
            review(expert, answer)
        except Exception as exc:  # noqa: BLE001 — collected and asserted below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=submit) for _ in range(50)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert Review.objects.count() == 1
    assert Review.objects.get().revisions.count() == 50


def test_krippendorff_alpha_per_site(make_expert, make_answer):
    from reviews.selectors import agreement_by_site

    a, b = make_expert("a"), make_expert("b")
    for verdicts in (("correct", "correct"), ("incorrect", "correct"), ("incorrect", "incorrect")):
        answer = make_answer()
        review(a, answer, verdicts[0])
        review(b, answer, verdicts[1])
    [(site, count, alpha)] = agreement_by_site()
    assert (site, count) == ("Mathematics", 6)
    assert alpha == pytest.approx(4 / 9)  # hand-computed: D_o = 2/6, D_e = 18/30


def test_submitting_a_review_takes_at_most_five_queries(make_expert, make_answer, monkeypatch):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    expert, answer = make_expert("quick"), make_answer()
    later = []
    monkeypatch.setattr(transaction, "on_commit", lambda func, using=None, robust=False: later.append(func))
    for verdict in ("correct", "incorrect"):  # a first review, then a revision
        with CaptureQueriesContext(connection) as queries:
            review(expert, answer, verdict)
        statements = [q["sql"] for q in queries.captured_queries if "SAVEPOINT" not in q["sql"]]
        assert len(statements) <= 5, statements
    assert len(later) == 2  # the re-assessment, queued after each commit


def test_a_review_saved_while_the_broker_is_down_is_assessed_by_the_sweeper(client, make_expert, make_answer,
                                                                          monkeypatch, caplog):
    from kombu.exceptions import OperationalError

    from workers.tasks.reviews import assess_answer, sweep_assessments

    def broker_down(*args, **kwargs):
        raise OperationalError("Error 111 connecting to redis:6379. Connection refused.")

    answer = make_answer()
    first, second = make_expert("first"), make_expert("second")
    monkeypatch.setattr(assess_answer, "apply_async", broker_down)
    for expert in (first, second):
        client.force_login(expert)
        response = client.post(f"/reviews/answers/{answer.pk}/", {"verdict": "correct", "confidence": "5",
                                                                  "rationale": "Checked every step."})  # fmt: skip
        assert response.status_code == 302  # the review stands; only the re-assessment waits
    answer.refresh_from_db()
    assert Review.objects.filter(answer=answer).count() == 2 and answer.review_state == "unreviewed"
    assert "the sweeper will" in caplog.text
    assert sweep_assessments.apply().get() == 1
    answer.refresh_from_db()
    assert answer.review_state == "verified_correct" and answer.question.state == QuestionState.SOLVED
    assert sweep_assessments.apply().get() == 0  # nothing stale any more


def reviewed_site(make_expert, make_answer, *, answers=12):
    """Three experts on a dozen answers; the third always disagrees with the other two."""
    experts = [make_expert(name) for name in ("ada", "bo", "cy")]
    made = [make_answer() for _ in range(answers)]
    for n, answer in enumerate(made):
        honest = "correct" if n % 3 else "incorrect"
        contrary = "incorrect" if n % 3 else "correct"
        for expert in experts:
            review(expert, answer, honest if expert is not experts[2] else contrary, confidence=3)
    return experts, made


def test_the_refit_stores_each_experts_reliability_and_reassesses_the_answers(make_expert, make_answer, math):
    (_, _, contrarian), made = reviewed_site(make_expert, make_answer)
    assert {a.assessment.method for a in Answer.objects.filter(pk__in=[m.pk for m in made])} == {"confidence-vote"}

    assert services.site_reliabilities_refit() == len(made)
    stored = SiteReliability.objects.get(site=math)
    assert stored.reviews == 3 * len(made) and stored.experts[str(contrarian.pk)][0] < 0.5  # says correct when not
    answer = Answer.objects.get(pk=made[1].pk)
    assert answer.assessment.method == "dawid-skene" and answer.assessment.p_correct > 0.9
    assert answer.review_state == "verified_correct"  # the contrarian no longer makes it disputed
    assert services.site_reliabilities_refit() == 0  # nothing changed since: the site is not refitted


def test_a_review_is_assessed_with_the_stored_fit_reading_only_its_answers_reviews(make_expert, make_answer, math):
    from django.test.utils import CaptureQueriesContext

    experts, _ = reviewed_site(make_expert, make_answer, answers=30)
    services.site_reliabilities_refit()
    fresh = make_answer()
    with CaptureQueriesContext(connection) as queries:
        review(experts[0], fresh)
    assert Answer.objects.get(pk=fresh.pk).assessment.method == "dawid-skene"
    review_reads = [q["sql"] for q in queries.captured_queries if 'FROM "reviews_review"' in q["sql"] and "SELECT" in q["sql"]]
    assert review_reads and all('"reviews_review"."answer_id" = ' in sql for sql in review_reads)
    services.site_reliabilities_refit()  # the new review made the site due again
    assert SiteReliability.objects.get(site=math).reviews == 3 * 30 + 1


def test_beat_refits_the_reliabilities_on_the_default_queue(make_expert, make_answer, math):
    import workers.tasks  # noqa: F401 - what the worker's autodiscovery imports
    from workers.celery_app import app
    from workers.queues import TASK_ROUTES
    from workers.schedule import beat_schedule

    assert beat_schedule(sweep_every_s=30, refit_every_s=120)["refit-reliabilities"] == {
        "task": "quorum.reviews.refit", "schedule": 120}  # fmt: skip
    assert TASK_ROUTES["quorum.reviews.refit"] == {"queue": "default"}
    reviewed_site(make_expert, make_answer)
    assert app.tasks["quorum.reviews.refit"].apply().get() == 12
    assert SiteReliability.objects.filter(site=math).exists()
