"""Curator decisions on candidates (approve, reject, edit, merge, bulk), all in the audit log;
the filter run with its report; the importer's draft mode; and the pages without JavaScript."""

from io import StringIO

import pytest
from django.core.management import call_command

from catalog.models import Question, QuestionState
from curation import services
from curation.models import Candidate, Decision, FilterRun
from reviews.models import AuditEntry
from tests.factories import QuestionFactory


@pytest.fixture
def draft(site):
    return QuestionFactory(site=site, state=QuestionState.DRAFT, votes=60, views=20_000, tags=["algebra"],
                           source_created_at="2015-01-01T00:00:00Z")  # fmt: skip


def actions(question) -> list[str]:
    return list(AuditEntry.objects.filter(question=question).order_by("id").values_list("action", flat=True))


def test_filters_apply_stores_a_report_and_each_candidates_failures(draft, site, curator):
    QuestionFactory(site=site, state=QuestionState.DRAFT, votes=1, views=10)
    QuestionFactory(site=site, state=QuestionState.OPEN, votes=1)  # not a candidate
    run = services.filters_apply(preset=services.preset_uq_default(), actor=curator)
    assert run.report == {"total": 2, "kept": 1, "removed": 1, "diamond": 1,
                          "removed_by": {"min_score": 1},
                          "failed": {"min_score": 1, "min_age_days": 1, "min_views": 1}}  # fmt: skip
    assert Candidate.objects.get(question=draft).diamond_eligible
    assert FilterRun.objects.count() == 1


def test_approve_opens_marks_diamond_and_is_audited(draft, curator):
    services.filters_apply(preset=services.preset_uq_default(), actor=curator)
    services.candidate_approve(question=draft, actor=curator, note="good one")
    draft.refresh_from_db()
    assert draft.state == QuestionState.OPEN and draft.diamond
    assert draft.transitions.last().actor == curator
    assert actions(draft) == ["curation_approve"]
    with pytest.raises(Exception, match="no longer a draft"):
        services.candidate_approve(question=draft, actor=curator)


def test_reject_needs_a_reason_and_retires(draft, curator):
    with pytest.raises(Exception, match="reason"):
        services.candidate_reject(question=draft, actor=curator, reason="meh")
    services.candidate_reject(question=draft, actor=curator, reason="off_topic", note="not maths")
    draft.refresh_from_db()
    assert (draft.state, draft.retire_reason) == (QuestionState.RETIRED, "off_topic")
    assert draft.candidate.decision == Decision.REJECTED
    assert AuditEntry.objects.get(question=draft).reason == "Off-topic: not maths"


def test_edit_validates_and_records_what_changed(draft, curator):
    services.candidate_edit(question=draft, actor=curator, title="A clearer title for it", tags=["Algebra", "rings"])
    draft.refresh_from_db()
    assert draft.title == "A clearer title for it" and draft.tags == ["algebra", "rings"]
    assert AuditEntry.objects.get(question=draft).reason == "changed title, tags"
    with pytest.raises(Exception, match="title"):
        services.candidate_edit(question=draft, actor=curator, title="")


def test_merge_retires_the_duplicate_and_keeps_its_tags(draft, site, curator):
    duplicate = QuestionFactory(site=site, state=QuestionState.DRAFT, tags=["groups"])
    services.candidate_merge(question=duplicate, into=draft, actor=curator, note="same question")
    duplicate.refresh_from_db()
    draft.refresh_from_db()
    assert (duplicate.state, duplicate.retire_reason) == (QuestionState.RETIRED, "duplicate")
    assert duplicate.candidate.merged_into == draft and draft.tags == ["algebra", "groups"]
    assert actions(duplicate) == ["curation_merge"]
    with pytest.raises(Exception, match="itself"):
        services.candidate_merge(question=draft, into=draft, actor=curator)


def test_bulk_goes_on_past_a_refusal(draft, site, curator):
    other = QuestionFactory(site=site, state=QuestionState.DRAFT)
    opened = QuestionFactory(site=site, state=QuestionState.OPEN)
    done, problems = services.candidates_bulk(action="approve", questions=[draft, opened, other], actor=curator)
    assert done == 2 and len(problems) == 1 and f"#{opened.pk}" in problems[0]


def test_import_draft_mode(tmp_path, curator):
    path = tmp_path / "q.jsonl"
    path.write_text('{"question_id": "a1", "title": "T one here", "body": "B", "site": "math", "votes": 9}\n')
    call_command("import_questions", str(path), "--draft", "--no-progress", stdout=StringIO())
    assert Question.objects.get(external_id="a1").state == QuestionState.DRAFT


def test_typed_in_candidate_starts_as_a_draft(site, curator):
    question = services.candidate_create(actor=curator, site="math", title="Is every foo a bar?", body="Body",
                                         tags=["foo"])  # fmt: skip
    assert question.state == QuestionState.DRAFT and question.source == "manual"
    assert actions(question) == ["curation_create"]


def test_pages_work_without_javascript(client, curator, draft, site):
    client.force_login(curator)
    services.filters_apply(preset=services.preset_uq_default(), actor=curator)
    Candidate.objects.filter(question=draft).update(screen_state="pass", screen={"decision": "pass", "reasons": []})
    page = client.get("/curation/")
    assert page.status_code == 200 and draft.title.encode() in page.content
    assert client.get("/curation/pipeline/").status_code == 200
    assert b"<td>UQ defaults</td>" in client.get("/curation/pipeline/").content
    response = client.post("/curation/", {"action": "approve", "selected": [draft.pk]})
    assert response.status_code == 302
    assert Question.objects.get(pk=draft.pk).state == QuestionState.OPEN
    other = QuestionFactory(site=site, state=QuestionState.DRAFT)
    response = client.post(f"/curation/candidates/{other.pk}/", {"action": "reject", "reason": "ill_posed"})
    assert response.status_code == 302 and Question.objects.get(pk=other.pk).state == QuestionState.RETIRED
    bad = client.post("/curation/presets/new/", {"name": "x", "rules": '{"min_score": "five"}'})
    assert bad.status_code == 400 and b"min_score" in bad.content
    htmx = client.get("/curation/pipeline/", headers={"HX-Request": "true"})
    assert htmx.status_code == 200 and b'id="jobs"' in htmx.content and b"<html" not in htmx.content
