from submissions.models import Answer, ModelEntry

ENTRIES = "/api/v1/model-entries/"


def test_builder_registers_lists_and_updates_own_entries(api, other_api):
    created = api.post(ENTRIES, {
        "name": "atlas", "version": "1", "display_name": "Atlas", "base_model": "llama",
        "provider": "vLLM", "generation_params": {"temperature": 0.2}, "system_prompt": "Be exact.",
        "endpoint_key_env": "QUORUM_GENKEY_ATLAS",
    }, format="json")  # fmt: skip
    assert created.status_code == 201, created.json()
    body = created.json()
    assert body["owner"] == "alice" and body["organisation"] == "Lab A" and body["answer_count"] == 0
    other_api.post(ENTRIES, {"name": "nova"}, format="json")
    listed = api.get(ENTRIES).json()["results"]
    assert [e["name"] for e in listed] == ["atlas"]
    patched = api.patch(f"{ENTRIES}{body['id']}/", {"notes": "quantised"}, format="json")
    assert patched.status_code == 200 and patched.json()["notes"] == "quantised"


def test_same_name_and_version_is_a_409_and_a_new_version_is_a_new_entry(api):
    api.post(ENTRIES, {"name": "atlas", "version": "1"}, format="json")
    clash = api.post(ENTRIES, {"name": "atlas", "version": "1"}, format="json")
    assert clash.status_code == 409 and "use a new version" in clash.json()["detail"]
    assert api.post(ENTRIES, {"name": "atlas", "version": "2"}, format="json").status_code == 201
    assert ModelEntry.objects.count() == 2


def test_name_and_version_are_frozen_once_answers_exist(api, entry, questions):
    Answer.objects.create(question=questions[0], model_entry=entry, text="x", content_hash="h")
    response = api.patch(f"{ENTRIES}{entry.pk}/", {"version": "3"}, format="json")
    assert response.status_code == 409 and "version is a new entry" in response.json()["detail"]


def test_keys_are_never_stored_only_their_variable_name(api):
    response = api.post(ENTRIES, {"name": "m", "endpoint_key_env": "sk-live abc"}, format="json")
    assert response.status_code == 400
    assert response.json()["errors"][0]["field"] == "endpoint_key_env"


def test_a_nul_character_in_generation_params_is_a_clear_400(api):
    params = {"temperature": 0.2, "stop": ["ok", "bad\u0000"], "nested": {"k\u0000": 1}}
    response = api.post(ENTRIES, {"name": "m", "generation_params": params}, format="json")
    assert response.status_code == 400
    assert response.json()["errors"][0]["field"] == "generation_params"
    assert "NUL" in response.json()["errors"][0]["reason"]


def test_other_builders_entries_are_404(api, other_api, entry):
    assert other_api.get(f"{ENTRIES}{entry.pk}/").status_code == 404
    assert other_api.patch(f"{ENTRIES}{entry.pk}/", {"notes": "x"}, format="json").status_code == 404
    entry.refresh_from_db()
    assert entry.notes == ""


def test_answers_list_filters_and_detail_show_status(api, other_api, entry, questions):
    api.post("/api/v1/answers/bulk/", {"model_entry": entry.pk, "answers": [
        {"question_id": "uq0", "answer": "a"}, {"question_id": "uq1", "answer": "b"},
    ]}, format="json")  # fmt: skip
    Answer.objects.filter(question__external_id="uq1").update(validation_state="passed")
    passed = api.get("/api/v1/answers/", {"validation_state": "passed"}).json()["results"]
    assert [a["question_id"] for a in passed] == ["uq1"]
    by_question = api.get("/api/v1/answers/", {"question_id": "uq0"}).json()["results"]
    assert len(by_question) == 1
    detail = api.get(f"/api/v1/answers/{by_question[0]['id']}/").json()
    assert (detail["validation_state"], detail["review_state"]) == ("pending", "unreviewed")
    assert other_api.get(f"/api/v1/answers/{detail['id']}/").status_code == 404
    assert other_api.get("/api/v1/answers/").json()["results"] == []


def test_public_question_endpoints(client, questions):
    listed = client.get("/api/v1/questions/", {"question_id": "uq2"}).json()
    assert [q["question_id"] for q in listed["results"]] == ["uq2"]
    one = client.get(f"/api/v1/questions/{questions[0].pk}/").json()
    assert one["site"] == "math" and one["url"].endswith(f"/questions/{questions[0].pk}/")
    assert client.get("/api/v1/questions/", {"tag": "algebra"}).json()["results"]


def test_api_errors_are_json_problems(client):
    response = client.get("/api/v1/no-such-thing/")
    assert response.status_code == 404
    assert response["Content-Type"] == "application/problem+json"
    assert response.json()["title"] == "Not found"


def test_schema_and_docs_are_served_from_vendored_assets(client):
    schema = client.get("/api/v1/schema/?format=json")
    assert schema.status_code == 200 and "/api/v1/answers/bulk/" in schema.json()["paths"]
    docs = client.get("/api/v1/docs/").content.decode()
    assert "drf_spectacular_sidecar/swagger-ui-dist" in docs
    assert "cdn" not in docs.lower()
    assert client.get("/api/v1/redoc/").status_code == 200
