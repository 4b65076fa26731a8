import pytest

from catalog.models import QuestionState, QuestionTransition
from catalog.services import question_open, question_retire, question_transition
from common.errors import DomainError, InvalidTransition


@pytest.mark.django_db
def test_retiring_records_who_when_and_why(question, curator):
    question_retire(question=question, actor=curator, retire_reason="ill_posed", note="no unique reading")
    question.refresh_from_db()
    assert question.state == QuestionState.RETIRED
    assert question.retire_reason == "ill_posed"
    entry = QuestionTransition.objects.get(question=question)
    assert (entry.from_state, entry.to_state, entry.actor) == ("open", "retired", curator)
    assert entry.reason == "Ill-posed: no unique reading"
    assert entry.created_at is not None


@pytest.mark.django_db
def test_retiring_needs_a_known_reason(question, curator):
    with pytest.raises(DomainError, match="needs a reason"):
        question_transition(question=question, to_state="retired", actor=curator)
    with pytest.raises(DomainError, match="needs a reason"):
        question_retire(question=question, actor=curator, retire_reason="boring")
    question.refresh_from_db()
    assert question.state == QuestionState.OPEN
    assert not QuestionTransition.objects.exists()


@pytest.mark.django_db
def test_reopening_clears_the_retire_reason(question, curator):
    question_retire(question=question, actor=curator, retire_reason="duplicate")
    question_open(question=question, actor=curator, reason="not a duplicate after all")
    question.refresh_from_db()
    assert (question.state, question.retire_reason) == (QuestionState.OPEN, "")
    assert list(question.transitions.values_list("to_state", flat=True)) == ["retired", "open"]


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("start", "target"),
    [("draft", "solved"), ("draft", "candidate"), ("retired", "solved"), ("open", "open")],
)
def test_impossible_transitions_are_refused(question, curator, start, target):
    type(question).objects.filter(pk=question.pk).update(
        state=start, retire_reason="duplicate" if start == "retired" else ""
    )
    with pytest.raises(InvalidTransition):
        question_transition(question=question, to_state=target, actor=curator)


@pytest.mark.django_db
def test_full_happy_path_to_solved(question):
    for state in ("candidate", "solved", "disputed", "solved"):
        question_transition(question=question, to_state=state, actor=None, reason="test")
    question.refresh_from_db()
    assert question.state == "solved"
    assert question.transitions.count() == 4
