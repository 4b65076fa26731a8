"""Every endpoint × persona: the exact status each persona gets (no unexpected 2xx)."""

import pytest
from django.core.cache import cache
from django.test import Client
from rest_framework.test import APIClient

from accounts.services import api_token_create, user_set_role
from curation.services import preset_uq_default
from evaluation.models import Replay
from evaluation.services import validator_config_save
from leaderboards.models import Export
from submissions.models import Answer
from tests.factories import ModelEntryFactory, QuestionFactory, SiteFactory, UserFactory
from webhooks.services import endpoint_create, endpoint_send_test

PERSONAS = ("anonymous", "builder", "other_builder", "expert", "curator")


@pytest.fixture
def world(db):
    cache.clear()
    users = {
        "builder": UserFactory(username="owner", is_builder=True),
        "other_builder": UserFactory(username="rival", is_builder=True),
        "expert": UserFactory(username="judge", is_expert=True),
        "curator": user_set_role(user=UserFactory(username="keeper"), role="curator", granted=True),
    }
    question = QuestionFactory(site=SiteFactory(slug="math"), source="uq", external_id="uq1")
    QuestionFactory(site=question.site, source="uq", external_id="uq2")
    entry = ModelEntryFactory(owner=users["builder"], name="owned")
    answer = Answer.objects.create(question=question, model_entry=entry, text="t", content_hash="h")
    export = Export.objects.create(requested_by=users["builder"], tables=["questions"], format="csv", status="cancelled")
    endpoint = endpoint_create(owner=users["builder"], url="http://127.0.0.1:9/hook", event_types=["answer.verified"])
    delivery = endpoint_send_test(endpoint=endpoint, actor=users["builder"])  # never sent: no commit here
    draft = QuestionFactory(site=question.site, source="uq", external_id="uq3", state="draft")
    preset = preset_uq_default()
    judge = validator_config_save(name="judge", actor=None, is_primary=True, config={
        "judges": {"default": {"kind": "scripted", "model": "s", "default": "[[Y]]"}}, "pipeline": "vanilla"})  # fmt: skip
    replay = Replay.objects.create(validator=judge, status="cancelled")
    return {"users": users, "question": question, "draft": draft, "preset": preset, "entry": entry, "answer": answer, "export": export,
            "endpoint": endpoint, "delivery": delivery, "judge": judge, "replay": replay}  # fmt: skip


def api_client(world, persona) -> APIClient:
    client = APIClient()
    if persona != "anonymous":
        user = world["users"][persona]
        token = api_token_create(user=user, name="m", scopes=["read", "submit"]).plaintext
        client.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")
    return client


def api_cases(world):
    q, e, a, x = world["question"].pk, world["entry"].pk, world["answer"].pk, world["export"].pk
    v, r = world["judge"].pk, world["replay"].pk
    bulk = {"model_entry": e, "answers": [{"question_id": "uq2", "answer": "new"}]}
    #            method  path                              body                    anon builder other expert curator
    return [
        ("get", "/api/v1/questions/", None, (200, 200, 200, 200, 200)),
        ("get", f"/api/v1/questions/{q}/", None, (200, 200, 200, 200, 200)),
        ("get", "/api/v1/model-entries/", None, (401, 200, 200, 403, 200)),
        ("post", "/api/v1/model-entries/", {"name": "n"}, (401, 201, 201, 403, 201)),
        ("get", f"/api/v1/model-entries/{e}/", None, (401, 200, 404, 403, 200)),
        ("patch", f"/api/v1/model-entries/{e}/", {"notes": "x"}, (401, 200, 404, 403, 404)),
        ("get", "/api/v1/answers/", None, (401, 200, 200, 403, 200)),
        ("get", f"/api/v1/answers/{a}/", None, (401, 200, 404, 403, 200)),
        ("post", "/api/v1/answers/bulk/", bulk, (401, 201, 404, 403, 404)),
        ("get", "/api/v1/leaderboards/models/", None, (200, 200, 200, 200, 200)),
        ("get", "/api/v1/schema/", None, (200, 200, 200, 200, 200)),
        ("get", "/api/v1/exports/", None, (401, 200, 200, 200, 200)),
        ("post", "/api/v1/exports/", {"format": "csv"}, (401, 202, 202, 202, 202)),
        ("get", f"/api/v1/exports/{x}/", None, (401, 200, 404, 404, 404)),
        ("get", f"/api/v1/exports/{x}/download/", None, (401, 404, 404, 404, 404)),  # cancelled: no file
        ("get", f"/api/v1/validators/{v}/unjudged/", None, (401, 403, 403, 403, 200)),
        ("post", f"/api/v1/validators/{v}/replay-unjudged/", None, (401, 403, 403, 403, 202)),
        ("get", f"/api/v1/replays/{r}/", None, (401, 403, 403, 403, 200)),
    ]


def test_api_authorization_matrix(world):
    failures = []
    for method, path, body, expected in api_cases(world):
        for persona, status in zip(PERSONAS, expected, strict=True):
            Answer.objects.filter(question__external_id="uq2").delete()
            response = getattr(api_client(world, persona), method)(path, body, format="json")
            if response.status_code != status:
                failures.append(f"{persona} {method.upper()} {path}: {response.status_code} != {status}")
    assert failures == []


def test_visible_lists_never_leak_other_builders_rows(world):
    rival = api_client(world, "other_builder")
    assert rival.get("/api/v1/answers/").json()["results"] == []
    assert rival.get("/api/v1/model-entries/").json()["results"] == []


def page_client(world, persona) -> Client:
    client = Client()
    if persona != "anonymous":
        client.force_login(world["users"][persona])
    return client


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        ("/", (200, 200, 200, 200, 200)),
        ("/questions/{q}/", (200, 200, 200, 200, 200)),
        ("/accounts/profile/", (302, 200, 200, 200, 200)),
        ("/admin/catalog/question/", (302, 302, 302, 302, 200)),
        ("/admin/submissions/answer/", (302, 302, 302, 302, 200)),
        ("/admin/accounts/user/", (302, 302, 302, 302, 403)),
        ("/api/v1/docs/", (200, 200, 200, 200, 200)),
        ("/leaderboards/models/", (200, 200, 200, 200, 200)),
        ("/reviews/", (302, 404, 404, 200, 404)),
        ("/reviews/curation/", (302, 404, 404, 404, 200)),
        ("/curation/validation/", (302, 404, 404, 404, 200)),
        ("/curation/validation/validators/{judge}/replay-unjudged/", (302, 404, 404, 404, 405)),  # POST only
        ("/curation/", (302, 404, 404, 404, 200)),
        ("/curation/pipeline/", (302, 404, 404, 404, 200)),
        ("/curation/candidates/new/", (302, 404, 404, 404, 200)),
        ("/curation/candidates/{draft}/", (302, 404, 404, 404, 200)),
        ("/curation/presets/new/", (302, 404, 404, 404, 200)),
        ("/curation/presets/{preset}/", (302, 404, 404, 404, 200)),
        ("/admin/curation/filterpreset/", (302, 302, 302, 302, 200)),
        ("/curation/harvests/1/cancel/", (302, 404, 404, 404, 405)),  # POST only
        ("/curation/harvests/1/resume/", (302, 404, 404, 404, 405)),
        ("/curation/screens/1/cancel/", (302, 404, 404, 404, 405)),
        ("/curation/source-flags/1/", (302, 404, 404, 404, 405)),
        ("/builders/", (302, 200, 200, 404, 200)),
        ("/builders/answers/", (302, 200, 200, 403, 403)),  # builders only, each their own answers
        ("/leaderboards/models/{e}/", (200, 200, 200, 200, 200)),  # public: the entry has an answer
        ("/leaderboards/exports/", (302, 200, 200, 200, 200)),
        ("/leaderboards/exports/{x}/download/", (302, 404, 404, 404, 404)),
        ("/webhooks/", (302, 200, 200, 404, 200)),
        ("/webhooks/{endpoint}/", (302, 200, 404, 404, 404)),
        ("/webhooks/deliveries/{delivery}/payload/", (302, 200, 404, 404, 404)),
        ("/admin/webhooks/webhookdelivery/", (302, 302, 302, 302, 200)),
    ],
)
def test_page_authorization_matrix(world, path, expected):
    url = path.format(q=world["question"].pk, e=world["entry"].pk, x=world["export"].pk,
                      endpoint=world["endpoint"].pk, delivery=world["delivery"].pk, draft=world["draft"].pk,
                      preset=world["preset"].pk, judge=world["judge"].pk)  # fmt: skip
    got = tuple(page_client(world, p).get(url).status_code for p in PERSONAS)
    assert got == expected
