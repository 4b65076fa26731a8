"""The events' payloads: plain JSON about the question and answer concerned, with links."""

from datetime import UTC

from django.conf import settings
from django.urls import reverse
from django.utils import timezone

from catalog.models import Question
from submissions.models import Answer, ValidationState


def envelope(event_type: str, data: dict) -> dict:
    """Standard Webhooks' recommended shape: the type, when it happened, and the data."""
    return {"type": event_type, "timestamp": _iso(timezone.now()), "data": data}


def question_data(question: Question) -> dict:
    return {
        "id": question.pk,
        "source": question.source,
        "external_id": question.external_id,
        "title": question.title,
        "state": question.state,
        "url": settings.QUORUM_SITE_URL.rstrip("/")
        + reverse("catalog:question_detail", args=[question.pk]),
    }


def answer_data(answer: Answer) -> dict:
    entry = answer.model_entry
    return {
        "answer": {
            "id": answer.pk,
            "validation_state": answer.validation_state,
            "review_state": answer.review_state,
            "submitted_at": _iso(answer.submitted_at),
        },
        "model_entry": {"id": entry.pk, "name": entry.name, "version": entry.version},
        "question": question_data(answer.question),
    }


def answer_validated_data(validation) -> dict:
    """`validation`: the primary validator's evaluation.Validation row, just settled."""
    settled_by_verdict = validation.state != ValidationState.ERROR
    result = getattr(validation, "result", None) if settled_by_verdict else None
    data = answer_data(validation.answer)
    data["answer"]["validation_state"] = validation.state
    data["validation"] = {
        "state": validation.state,
        "validator": validation.validator.name,
        "config_hash": validation.config_hash,
        "decision": result.decision if result else None,
        "score": result.score if result else None,
    }
    return data


def test_data(endpoint_id: int) -> dict:
    return {"endpoint_id": endpoint_id, "message": "A test event from Quorum: your endpoint works."}


def _iso(moment) -> str:
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")
