import pytest
from django.urls import reverse

from catalog.models import QuestionState, QuestionTransition
from tests.factories import QuestionFactory


@pytest.fixture
def curator_client(client, curator):
    client.force_login(curator)
    return client


@pytest.mark.django_db
def test_curator_retires_questions_with_a_reason_from_the_admin(curator_client, curator, site):
    questions = QuestionFactory.create_batch(2, site=site)
    url = reverse("admin:catalog_question_changelist")
    ids = [str(q.pk) for q in questions]
    form = curator_client.post(url, {"action": "retire_questions", "_selected_action": ids})
    assert form.status_code == 200 and b"Reason" in form.content
    done = curator_client.post(url, {
        "action": "retire_questions", "_selected_action": ids, "apply": "1",
        "retire_reason": "answered_elsewhere", "note": "see the 2021 paper",
    }, follow=True)  # fmt: skip
    assert b"2 question(s) changed" in done.content
    for question in questions:
        question.refresh_from_db()
        assert (question.state, question.retire_reason) == (QuestionState.RETIRED, "answered_elsewhere")
    entry = QuestionTransition.objects.filter(question=questions[0]).get()
    assert entry.actor == curator and "see the 2021 paper" in entry.reason


@pytest.mark.django_db
def test_refused_transitions_are_reported_not_hidden(curator_client, site):
    question = QuestionFactory(site=site)  # already open
    response = curator_client.post(
        reverse("admin:catalog_question_changelist"),
        {"action": "open_questions", "_selected_action": [question.pk]},
        follow=True,
    )
    assert "cannot become open" in response.content.decode()
    assert not QuestionTransition.objects.exists()


@pytest.mark.django_db
def test_admin_search_and_filters_work(curator_client, site):
    QuestionFactory(site=site, title="Collatz stopping times")
    response = curator_client.get(
        reverse("admin:catalog_question_changelist"), {"q": "Collatz", "state__exact": "open"}
    )
    assert response.status_code == 200
    assert b"Collatz stopping times" in response.content


@pytest.mark.django_db
def test_state_is_read_only_in_the_change_form(curator_client, question):
    response = curator_client.get(reverse("admin:catalog_question_change", args=[question.pk]))
    assert response.status_code == 200
    assert b'name="state"' not in response.content


@pytest.mark.django_db
def test_experts_and_builders_have_no_admin(client, expert):
    client.force_login(expert)
    response = client.get(reverse("admin:catalog_question_changelist"))
    assert response.status_code == 302 and "/admin/login/" in response.url
