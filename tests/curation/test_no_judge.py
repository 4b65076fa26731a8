"""The pre-screen borrows a validator config's judge: without one, the pages say so, say how to
add one, and switch the action off (and a forged request gets the same clear answer)."""

import pytest

from curation.models import ScreenJob
from evaluation.services import validator_config_save
from tests.factories import QuestionFactory, SiteFactory

pytestmark = pytest.mark.django_db

ADD_JUDGE = 'href="/admin/evaluation/validatorconfig/add/"'


@pytest.fixture
def draft(db):
    return QuestionFactory(site=SiteFactory(slug="math"), source="uq", external_id="d1", state="draft")


def judge():
    config = {"judges": {"default": {"kind": "scripted", "model": "s", "default": "{}"}}, "pipeline": "vanilla"}
    return validator_config_save(name="screen-judge", config=config, actor=None)


def test_the_pipeline_says_no_judge_and_switches_the_pre_screen_off(client, curator, draft):
    client.force_login(curator)
    page = client.get("/curation/pipeline/").content.decode()
    assert "No judge is configured, so the pre-screen cannot run." in page and ADD_JUDGE in page
    assert 'type="submit" disabled aria-describedby="no-judge">Start pre-screen' in page
    assert 'name="samples"' in page and page.count(" disabled") >= 6  # the fields show, switched off


def test_a_forged_pre_screen_without_a_judge_gets_a_clear_error(client, curator, draft):
    client.force_login(curator)
    response = client.post("/curation/pipeline/", {"form": "screen", "samples": 3, "max_model_correct": 40,
                                                   "max_expert_solvable": 70})  # fmt: skip
    assert response.status_code == 400 and "No judge is configured, so nothing can pre-screen" in response.content.decode()
    assert not ScreenJob.objects.exists()


def test_the_queue_switches_off_its_pre_screen_action_without_a_judge(client, curator, draft):
    client.force_login(curator)
    page = client.get("/curation/?view=all").content.decode()
    assert '<option value="screen" disabled>Pre-screen (no judge configured)</option>' in page
    assert "Pre-screen is off: no judge is configured." in page and ADD_JUDGE in page
    forged = client.post("/curation/?view=all", {"action": "screen", "selected": [draft.pk]}, follow=True)
    assert "No judge is configured, so nothing can pre-screen" in forged.content.decode()
    assert not ScreenJob.objects.exists()


def test_with_a_judge_the_pre_screen_is_on(client, curator, draft):
    judge()
    client.force_login(curator)
    pipeline = client.get("/curation/pipeline/").content.decode()
    assert "No judge is configured" not in pipeline and '<button class="button" type="submit">Start pre-screen' in pipeline
    queue = client.get("/curation/?view=all").content.decode()
    assert '<option value="screen">Pre-screen</option>' in queue and "Pre-screen is off" not in queue
    missing = client.post("/curation/?view=all", {"action": "screen", "selected": [draft.pk]}, follow=True)
    assert "Choose the validator whose judge pre-screens." in missing.content.decode()
