import pytest

from reviews.models import Review
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def test_expert_takes_the_next_item_reviews_blind_then_sees_the_others(client, make_expert, make_answer):
    answer = make_answer(text="The sum is $\\pi^2/6$.")
    first = make_expert("first")
    Review.objects.create(answer=answer, expert=first, answer_owner=answer.model_entry.owner,
                          verdict="incorrect", confidence=4, rationale="Wrong constant.")  # fmt: skip
    expert = make_expert("second")
    client.force_login(expert)
    assert "1 answer waiting" in client.get("/reviews/").content.decode()
    taken = client.post("/reviews/next/")
    assert taken.status_code == 302 and taken.url == f"/reviews/answers/{answer.pk}/"
    before = client.get(taken.url).content.decode()
    assert "Wrong constant." not in before and "model hidden until you review" in before
    assert str(answer.model_entry) not in before
    after = client.post(taken.url, {"verdict": "correct", "confidence": "5",
                                    "rationale": "Checked every step."}, headers={"HX-Request": "true"})  # fmt: skip
    html = after.content.decode()
    assert after.status_code == 200 and html.lstrip().startswith('<section id="panel"')
    assert "Wrong constant." in html and "P(correct)" in html
    assert str(answer.model_entry) in client.get(taken.url).content.decode()


def test_without_javascript_the_saved_review_redirects_with_a_notice(client, make_expert, make_answer):
    answer = make_answer()
    client.force_login(make_expert("plain"))
    response = client.post(f"/reviews/answers/{answer.pk}/", {"verdict": "correct", "confidence": "4",
                                                              "rationale": "Fine."})  # fmt: skip
    assert response.status_code == 302 and response.url == f"/reviews/answers/{answer.pk}/?saved=1"
    assert "Review saved. The other reviews are now visible." in client.get(response.url).content.decode()
    assert "Review saved" not in client.get(f"/reviews/answers/{answer.pk}/").content.decode()


def test_the_question_page_stays_blind_for_experts_who_may_still_review(client, make_expert, make_answer, math):
    from evaluation.models import Validation, ValidationResult
    from evaluation.services import validator_config_save

    answer = make_answer()
    config = {"judges": {"default": {"kind": "scripted", "model": "s", "default": "[[Y]]"}}, "pipeline": "vanilla"}
    judge = validator_config_save(name="house-judge", config=config, actor=None)
    validation = Validation.objects.create(answer=answer, validator=judge, config_hash=judge.config_hash, state="passed")
    ValidationResult.objects.create(validation=validation, answer=answer, config_hash=judge.config_hash,
                                    decision="accept", score=0.9, library_version="t", verdict={})  # fmt: skip
    url = f"/questions/{answer.question.pk}/"
    model, verdicts = str(answer.model_entry), "house-judge"
    visitor_page = client.get(url).content.decode()
    assert model in visitor_page and verdicts in visitor_page  # visitors see everything
    expert = make_expert("blind")
    client.force_login(expert)
    blind_page = client.get(url).content.decode()
    assert model not in blind_page and verdicts not in blind_page and "model hidden until you review" in blind_page
    math.blind_model = False
    math.save(update_fields=["blind_model"])
    partly = client.get(url).content.decode()
    assert model in partly and verdicts not in partly
    client.post(f"/reviews/answers/{answer.pk}/", {"verdict": "correct", "confidence": "4", "rationale": "Ok."})
    after = client.get(url).content.decode()
    assert model in after and verdicts in after


def test_review_form_errors_keep_the_input(client, make_expert, make_answer):
    answer = make_answer()
    client.force_login(make_expert("erin"))
    response = client.post(f"/reviews/answers/{answer.pk}/", {"verdict": "correct", "rationale": "kept text"})
    assert response.status_code == 400 and "kept text" in response.content.decode()
    assert not Review.objects.exists()


def test_builders_cannot_review_their_own_answer_even_as_experts(client, make_expert, make_answer):
    expert = make_expert("dual")
    answer = make_answer(owner=expert)
    client.force_login(expert)
    response = client.post(f"/reviews/answers/{answer.pk}/", {"verdict": "correct", "confidence": "5",
                                                               "rationale": "mine is great"})  # fmt: skip
    assert "own models or organisation" in response.content.decode()
    assert not Review.objects.exists()


def test_non_experts_have_no_review_pages(client, make_answer):
    answer = make_answer()
    client.force_login(UserFactory(username="visitor"))
    assert client.get("/reviews/").status_code == 404
    assert client.get(f"/reviews/answers/{answer.pk}/").status_code == 404


def test_disputes_reach_the_curator_page_and_are_settled_there(client, make_expert, make_answer, curator):
    from reviews.services import review_submit

    answer = make_answer()
    review_submit(expert=make_expert("a"), answer=answer, verdict="correct", confidence=5, rationale="ok")
    review_submit(expert=make_expert("b"), answer=answer, verdict="incorrect", confidence=5, rationale="no")
    client.force_login(curator)
    page = client.get("/reviews/curation/").content.decode()
    assert f'id="disputed-{answer.pk}"' in page
    client.post("/reviews/curation/", {"answer": answer.pk, "outcome": "verified_incorrect", "reason": "b is right"})
    answer.refresh_from_db()
    assert answer.review_state == "verified_incorrect"
    assert "b is right" in client.get("/reviews/curation/").content.decode()  # in the audit log


def test_expertise_requests_from_the_profile_reach_curators(client, math, curator):
    user = UserFactory(username="hopeful")
    client.force_login(user)
    response = client.post("/reviews/expertise/", {"site": "math", "motivation": "Taught analysis for 10 years."})
    assert response.status_code == 302
    client.force_login(curator)
    assert "Taught analysis" in client.get("/reviews/curation/").content.decode()
    from reviews.models import ExpertRequest

    client.post("/reviews/curation/", {"request": ExpertRequest.objects.get().pk, "decision": "grant"})
    user.refresh_from_db()
    assert user.is_expert


def test_resolved_answers_show_their_reviews_on_the_public_question_page(client, make_expert, make_answer):
    from reviews.services import review_submit

    answer = make_answer()
    review_submit(expert=make_expert("a"), answer=answer, verdict="correct", confidence=5, rationale="Sound proof.")
    html = client.get(f"/questions/{answer.question_id}/").content.decode()
    assert "Sound proof." not in html  # still in review: blind
    review_submit(expert=make_expert("b"), answer=answer, verdict="correct", confidence=4, rationale="Agreed.")
    html = client.get(f"/questions/{answer.question_id}/").content.decode()
    assert "Experts: verified correct" in html and "Sound proof." in html and "Agreed." in html


def test_the_queue_page_has_a_constant_query_count(client, make_expert, make_answer, django_assert_num_queries):
    expert = make_expert("erin")
    make_answer()
    client.force_login(expert)
    client.get("/reviews/")
    with django_assert_num_queries(6):  # session, user, expert domains, queue count, claims, unread
        client.get("/reviews/")
    for _ in range(10):
        make_answer()
    with django_assert_num_queries(6):
        client.get("/reviews/")


def test_review_submissions_are_rate_limited(client, make_expert, make_answer, settings):
    from django.core.cache import cache

    cache.clear()
    settings.QUORUM_REVIEWS_PER_MINUTE = 2
    answer = make_answer()
    client.force_login(make_expert("quick"))
    data = {"verdict": "correct", "confidence": "3", "rationale": "ok"}
    codes = [client.post(f"/reviews/answers/{answer.pk}/", data).status_code for _ in range(3)]
    assert codes == [302, 302, 400]
    assert Review.objects.get().revisions.count() == 2
    cache.clear()


def test_comments_on_questions_and_after_review_on_answers(client, make_expert, make_answer):
    answer = make_answer()
    expert = make_expert("talker")
    client.force_login(expert)
    client.post(f"/reviews/questions/{answer.question_id}/comment/", {"body": "Is $n$ meant to be prime? <script>x</script>"})
    page = client.get(f"/questions/{answer.question_id}/").content.decode()
    assert "meant to be prime?" in page and "<script>x" not in page
    assert client.post(f"/reviews/answers/{answer.pk}/comment/", {"body": "early"}).status_code == 404  # review first
    client.post(f"/reviews/answers/{answer.pk}/", {"verdict": "correct", "confidence": "3", "rationale": "ok"})
    client.post(f"/reviews/answers/{answer.pk}/comment/", {"body": "Step 2 needs a lemma."})
    assert "Step 2 needs a lemma." in client.get(f"/reviews/answers/{answer.pk}/").content.decode()


def test_experts_flag_questions_and_curators_retire_them(client, make_expert, make_answer, curator):
    from reviews.models import QuestionFlag

    question = make_answer().question
    client.force_login(make_expert("flagger"))
    response = client.post(f"/reviews/questions/{question.pk}/flag/", {"reason": "duplicate"}, follow=True)
    assert "Give the link" in response.content.decode()
    client.post(f"/reviews/questions/{question.pk}/flag/",
                {"reason": "duplicate", "link": "https://math.stackexchange.com/q/1", "quality": "2"})  # fmt: skip
    flag = QuestionFlag.objects.get()
    assert (flag.quality, flag.status) == (2, "open")
    client.force_login(curator)
    assert "https://math.stackexchange.com/q/1" in client.get("/reviews/curation/").content.decode()
    client.post("/reviews/curation/", {"flag": flag.pk, "decision": "accept"})
    question.refresh_from_db()
    assert (question.state, question.retire_reason) == ("retired", "duplicate")
    assert question.transitions.last().actor == curator


def test_disputes_and_waiting_answers_notify_in_the_site_and_by_email(client, make_expert, make_answer, curator,
                                                                    mailoutbox, django_capture_on_commit_callbacks):  # fmt: skip
    from accounts.models import Notification
    from reviews.services import review_submit

    a, b = make_expert("a"), make_expert("b")
    a.email = "a@example.org"
    a.save(update_fields=["email"])
    answer = make_answer()
    with django_capture_on_commit_callbacks(execute=True):
        review_submit(expert=a, answer=answer, verdict="correct", confidence=5, rationale="ok")
        review_submit(expert=b, answer=answer, verdict="incorrect", confidence=5, rationale="no")
    assert set(Notification.objects.filter(kind="disputed").values_list("user__username", flat=True)) == {"a", "b", "cura"}
    assert any("Experts disagree" in mail.subject for mail in mailoutbox)
    client.force_login(a)
    assert 'aria-label="1 unread"' in client.get("/").content.decode()
    client.post("/accounts/notifications/")
    assert "unread" not in client.get("/").content.decode()


def test_a_validator_pass_tells_the_sites_experts_once(eager, make_expert, make_answer, django_capture_on_commit_callbacks):
    from accounts.models import Notification
    from evaluation.services import validations_create, validations_dispatch, validator_config_save
    from submissions.models import Answer

    expert = make_expert("waiting")
    validator = validator_config_save(name="v", config={"judges": {"default": {"kind": "scripted", "model": "s",
                                      "default": "[[Y]]"}}, "pipeline": "vanilla"}, actor=None, is_primary=True)  # fmt: skip
    first, second = make_answer(), make_answer()
    with django_capture_on_commit_callbacks(execute=True):
        validations_dispatch(validations_create(answers=Answer.objects.filter(pk__in=[first.pk, second.pk]),
                                                validator=validator))  # fmt: skip
    assert list(Notification.objects.values_list("user", "kind")) == [(expert.pk, "queue")]


def test_curators_grant_and_revoke_expert_domains_in_the_admin(client, math, curator):
    from reviews.models import AuditEntry, ExpertDomain

    user = UserFactory(username="scholar")
    client.force_login(curator)
    response = client.post("/admin/reviews/expertdomain/add/", {"user": user.pk, "site": math.pk})
    assert response.status_code == 302
    user.refresh_from_db()
    assert user.is_expert
    domain = ExpertDomain.objects.get(user=user)
    client.post("/admin/reviews/expertdomain/", {"action": "revoke", "_selected_action": [domain.pk]})
    user.refresh_from_db()
    assert not user.is_expert and not ExpertDomain.objects.exists()
    assert set(AuditEntry.objects.values_list("action", flat=True)) == {"expert_granted", "expert_revoked"}
