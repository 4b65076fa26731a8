"""The builders' upload client against a real server (live_server) and a flaky one."""

import json
import threading
from http.server import BaseHTTPRequestHandler, HTTPServer

import pytest

from accounts.services import api_token_create
from submissions import client
from submissions.models import Answer
from tests.factories import ModelEntryFactory, QuestionFactory, SiteFactory, UserFactory

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def setup(transactional_db, tmp_path):
    user = UserFactory(username="uploader", is_builder=True)
    site = SiteFactory(slug="math")
    for n in range(25):
        QuestionFactory(site=site, source="uq", external_id=f"uq{n}")
    entry = ModelEntryFactory(owner=user, name="atlas")
    token = api_token_create(user=user, name="cli", scopes=["submit"]).plaintext
    lines = [{"question_id": f"uq{n}", "model_name": "atlas", "answer": f"Answer {n}", "metadata": {"n": n}}
             for n in range(25)]  # fmt: skip
    lines.insert(5, {"question_id": "uq99", "model_name": "atlas", "error": "timeout"})
    path = tmp_path / "answers.jsonl"
    path.write_text("\n".join(json.dumps(x) for x in lines) + "\n")
    return {"entry": entry, "token": token, "path": path}


def run(setup, live_server, *extra, api_factory=client.Api):
    argv = ["upload", str(setup["path"]), "--url", live_server.url, "--token", setup["token"],
            "--model-entry", str(setup["entry"].pk), "--batch-size", "10", *extra]  # fmt: skip
    return client.main(argv, api_factory=api_factory)


def test_upload_in_batches_with_progress_skipping_failed_generations(setup, live_server, capsys):
    assert run(setup, live_server) == 0
    out, err = capsys.readouterr()
    assert "25 answers created" in out and "1 failed generations skipped" in out
    assert "26/26 lines (100%)" in err
    assert Answer.objects.filter(model_entry=setup["entry"]).count() == 25
    assert run(setup, live_server, "--restart") == 0
    assert "0 answers created, 25 already there" in capsys.readouterr().out


def test_interrupted_upload_resumes_where_it_stopped(setup, live_server, capsys):
    calls = []

    class DiesAfterOneBatch(client.Api):
        def post(self, path, body, key):
            if calls:
                raise KeyboardInterrupt
            calls.append(key)
            return super().post(path, body, key)

    assert run(setup, live_server, api_factory=DiesAfterOneBatch) == 130
    assert Answer.objects.count() == 10
    state = json.loads((setup["path"].parent / "answers.jsonl.quorum-upload.json").read_text())
    assert state["next_line"] == 12  # 10 answers and the failed generation on line 6
    capsys.readouterr()
    assert run(setup, live_server) == 0
    out, err = capsys.readouterr()
    assert "resuming at line 12" in err and "15 answers created" in out
    assert Answer.objects.count() == 25
    assert not (setup["path"].parent / "answers.jsonl.quorum-upload.json").exists()


def test_rejected_batch_reports_file_line_numbers(setup, live_server, capsys):
    rows = [json.loads(x) for x in setup["path"].read_text().splitlines()]
    rows[2]["question_id"] = "missing"
    setup["path"].write_text("\n".join(json.dumps(x) for x in rows) + "\n")
    assert run(setup, live_server) == 2
    err = capsys.readouterr().err
    assert "line 3: question_id: no open question 'missing'" in err
    assert Answer.objects.count() == 0


class Flaky(BaseHTTPRequestHandler):
    script: list[tuple[int, dict]] = []
    seen: list[str] = []

    def do_POST(self):  # noqa: N802
        self.rfile.read(int(self.headers["Content-Length"]))
        Flaky.seen.append(self.headers["Idempotency-Key"])
        status, headers = Flaky.script.pop(0)
        self.send_response(status)
        for name, value in headers.items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(json.dumps({"created": 1, "unchanged": 0, "detail": "x"}).encode())

    def log_message(self, *args):
        pass


def test_retries_429_with_retry_after_and_5xx_with_the_same_idempotency_key():
    server = HTTPServer(("127.0.0.1", 0), Flaky)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    Flaky.script = [(429, {"Retry-After": "7"}), (503, {}), (201, {})]
    Flaky.seen = []
    waits = []
    api = client.Api(f"http://127.0.0.1:{server.server_port}", "t", sleep=waits.append)
    try:
        assert api.post("/api/v1/answers/bulk/", {"a": 1}, "key-1") == {"created": 1, "unchanged": 0, "detail": "x"}
    finally:
        server.shutdown()
    assert waits[0] == 7.0 and 0 < waits[1] <= 1.0
    assert Flaky.seen == ["key-1"] * 3


def test_gives_up_after_the_attempt_limit():
    server = HTTPServer(("127.0.0.1", 0), Flaky)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    Flaky.script = [(500, {})] * 3
    api = client.Api(f"http://127.0.0.1:{server.server_port}", "t", max_attempts=3, sleep=lambda s: None)
    try:
        with pytest.raises(client.UploadError, match="HTTP 500"):
            api.post("/x", {}, "k")
    finally:
        server.shutdown()
