"""An operator follows one request into the workers: the tasks it queued, and the tasks those
queued in turn, log under its request id; beat's tasks log under their own task ids."""

import json

import pytest

from evaluation.services import validator_config_save
from tests.factories import ModelEntryFactory, QuestionFactory, SiteFactory, UserFactory
from tests.submissions.conftest import token_client
from tests.workers.conftest import wait_for
from tests.workers.test_pipeline_faults import all_recorded, slow_judge

pytestmark = pytest.mark.django_db(transaction=True)
TRACE = "lb-trace-submission-0001"


def task_lines(captured: str) -> list[dict]:
    lines = [json.loads(line) for line in captured.splitlines() if line.startswith("{")]
    return [line for line in lines if line["logger"] == "celery.app.trace"]


def test_worker_log_lines_carry_the_request_id_of_the_submission(workers, capfd, monkeypatch):
    validator_config_save(name="judge", config=slow_judge(0.0), actor=None, is_primary=True, runs_on_new_answers=True)
    site = SiteFactory(slug="math")
    for i in range(2):
        QuestionFactory(site=site, source="uq", external_id=f"r{i}")
    builder = UserFactory(username="tracer", is_builder=True)
    entry = ModelEntryFactory(owner=builder, name="traced")
    response = token_client(builder).post(
        "/api/v1/answers/bulk/", {"model_entry": entry.pk, "answers": [{"question_id": f"r{i}", "answer": "A"} for i in range(2)]},
        format="json", HTTP_X_REQUEST_ID=TRACE,
    )  # fmt: skip
    assert response.status_code == 201, response.content
    monkeypatch.setenv("QUORUM_TEST_WORKER_LOGLEVEL", "INFO")
    workers.env.update(LOG_FORMAT="json", LOG_LEVEL="INFO")
    workers.start()
    wait_for(lambda: all_recorded(2), timeout_s=90, what="2 results")
    logged: list[str] = []

    def swept() -> bool:
        logged.append(capfd.readouterr().err)
        return "Task quorum.validation.sweep[" in "".join(logged)

    wait_for(swept, timeout_s=30, what="a beat sweep")
    workers.stop_all()
    lines = task_lines("".join(logged) + capfd.readouterr().err)

    traced = {line["message"].split("[")[0].removeprefix("Task ").strip() for line in lines if line["request_id"] == TRACE}
    assert {"quorum.validation.run", "quorum.validation.record"} <= traced
    beat = [line for line in lines if "quorum.validation.sweep" in line["message"]]
    assert beat and all(line["request_id"] not in (TRACE, "-") for line in beat)
    assert all(line["message"].split("[")[1].split("]")[0] == line["request_id"] for line in beat)
