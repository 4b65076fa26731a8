"""The builders' upload client (client/quorum_client.py), run as a user runs it: the file as a
script, with no site-packages (standard library only) against a real server (live_server) and
fake ones; and the `quorum-client` console script that `pip install -e .` installs."""

import ast
import importlib.metadata
import json
import os
import shutil
import signal
import subprocess
import sys
import sysconfig
import threading
import tomllib
from pathlib import Path

import pytest

import quorum_client as client
from accounts.services import api_token_create
from submissions.models import Answer
from tests.factories import ModelEntryFactory, QuestionFactory, SiteFactory, UserFactory
from tests.support.loopback import LoopbackServer, QuietHandler

ROOT = Path(__file__).resolve().parents[2]
CLIENT = ROOT / "client" / "quorum_client.py"
RUN_TIMEOUT_S = 120  # a bound on a hung run, not a measurement


def user_env() -> dict:
    """The environment of a user's shell: nothing of Django or of this project's paths."""
    return {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "DJANGO_SETTINGS_MODULE")}


def run_file(*args, script=CLIENT, cwd=None) -> subprocess.CompletedProcess:
    """`python3 quorum_client.py …`; -S leaves site-packages (Django included) out."""
    return subprocess.run(
        [sys.executable, "-S", str(script), *args], capture_output=True, text=True,
        env=user_env(), cwd=cwd or ROOT, timeout=RUN_TIMEOUT_S,
    )  # fmt: skip


def write_lines(path: Path, rows: list) -> Path:
    path.write_text("\n".join(x if isinstance(x, str) else json.dumps(x) for x in rows) + "\n")
    return path


@pytest.fixture
def setup(transactional_db, tmp_path):
    user = UserFactory(username="uploader", is_builder=True)
    site = SiteFactory(slug="math")
    for n in range(25):
        QuestionFactory(site=site, source="uq", external_id=f"uq{n}")
    entry = ModelEntryFactory(owner=user, name="atlas")
    token = api_token_create(user=user, name="cli", scopes=["read", "submit"]).plaintext
    lines = [{"question_id": f"uq{n}", "model_name": "atlas", "answer": f"Answer {n}", "metadata": {"n": n}}
             for n in range(25)]  # fmt: skip
    lines.insert(5, {"question_id": "uq99", "model_name": "atlas", "error": "timeout"})
    path = write_lines(tmp_path / "answers.jsonl", lines)
    return {"entry": entry, "token": token, "path": path, "user": user}


def upload_args(setup, url, *extra, path=None):
    return ["upload", str(path or setup["path"]), "--url", url, "--token", setup["token"],
            "--model-entry", str(setup["entry"].pk), "--batch-size", "10", *extra]  # fmt: skip


pytestmark = pytest.mark.django_db(transaction=True)


# --- the file, as a script ------------------------------------------------------------------


def test_upload_in_batches_with_progress_skipping_failed_generations(setup, live_server):
    result = run_file(*upload_args(setup, live_server.url))
    assert result.returncode == 0, result.stderr
    assert "25 answers created" in result.stdout and "1 failed generations skipped" in result.stdout
    assert "26/26 lines (100%)" in result.stderr
    assert Answer.objects.filter(model_entry=setup["entry"]).count() == 25
    again = run_file(*upload_args(setup, live_server.url, "--restart"))
    assert again.returncode == 0, again.stderr
    assert "0 answers created, 25 already there" in again.stdout


def test_a_copy_runs_anywhere(setup, live_server, tmp_path):
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    copy = shutil.copy(CLIENT, elsewhere / "upload.py")
    result = run_file(*upload_args(setup, live_server.url), script=copy, cwd=elsewhere)
    assert result.returncode == 0, result.stderr
    assert Answer.objects.filter(model_entry=setup["entry"]).count() == 25


def test_the_client_imports_only_the_standard_library_and_has_no_shadowing_neighbours():
    tree = ast.parse(CLIENT.read_text())
    imported = {alias.name.split(".")[0] for node in ast.walk(tree) if isinstance(node, ast.Import)
                for alias in node.names}  # fmt: skip
    imported |= {node.module.split(".")[0] for node in ast.walk(tree)
                 if isinstance(node, ast.ImportFrom) and node.module}  # fmt: skip
    assert imported and imported <= set(sys.stdlib_module_names)
    # Running a file puts its folder first on sys.path: nothing else there may be importable
    # (pip's quorum.egg-info may sit there: a name with a dot imports as nothing).
    importable = {p.name.split(".")[0] for p in CLIENT.parent.iterdir()
                  if (p.is_dir() and p.name.isidentifier()) or p.suffix in (".py", ".pyc", ".so")}  # fmt: skip
    assert importable - {"__pycache__"} == {"quorum_client"}


def test_a_model_name_mismatch_is_refused_before_anything_is_sent(setup, live_server, tmp_path):
    rows = [json.loads(x) for x in setup["path"].read_text().splitlines()]
    for row in rows[2:4]:
        row["model_name"] = "nova-2"
    del rows[7]["model_name"]
    path = write_lines(tmp_path / "mixed.jsonl", rows)
    refused = run_file(*upload_args(setup, live_server.url, path=path))
    assert refused.returncode == 2
    entry = setup["entry"].pk
    assert f"3 of 25 answer lines name another model than model entry {entry} ('atlas')" in refused.stderr
    assert "line 3: model_name 'nova-2'" in refused.stderr and "line 4: model_name 'nova-2'" in refused.stderr
    assert "line 8: no model_name" in refused.stderr and "--allow-model-mismatch" in refused.stderr
    assert Answer.objects.count() == 0

    only_atlas = run_file(*upload_args(setup, live_server.url, "--model-name", "atlas", path=path))
    assert only_atlas.returncode == 0, only_atlas.stderr
    assert "22 answers created" in only_atlas.stdout and "3 lines of other models left out" in only_atlas.stdout

    allowed = run_file(*upload_args(setup, live_server.url, "--allow-model-mismatch", path=path))
    assert allowed.returncode == 0, allowed.stderr
    assert "3 answers created, 22 already there" in allowed.stdout
    assert Answer.objects.filter(model_entry=setup["entry"]).count() == 25


def test_the_entry_check_explains_a_missing_entry_and_a_token_without_read(setup, live_server):
    missing = run_file(*upload_args(setup, live_server.url)[:-4], "--model-entry", "999999")
    assert missing.returncode == 2
    assert "cannot read model entry 999999: HTTP 404" in missing.stderr
    assert "one of your model entries' ids" in missing.stderr

    submit_only = api_token_create(user=setup["user"], name="submit", scopes=["submit"]).plaintext
    args = upload_args(setup, live_server.url)
    args[args.index(setup["token"])] = submit_only
    refused = run_file(*args)
    assert refused.returncode == 2
    assert "lacks the `read` scope" in refused.stderr and "--allow-model-mismatch" in refused.stderr
    assert Answer.objects.count() == 0
    assert run_file(*args, "--allow-model-mismatch").returncode == 0
    assert Answer.objects.count() == 25


def test_skipped_lines_are_listed_and_make_the_exit_status_1(setup, live_server, tmp_path):
    rows = setup["path"].read_text().splitlines()
    rows[3] = '{"question_id": "uq3", "answer": '
    rows[8] = json.dumps({"question_id": "uq7", "model_name": "atlas", "metadata": {}})
    rows[10] = json.dumps({"model_name": "atlas", "answer": "no question"})
    rows[12] = "[1, 2]"
    path = write_lines(tmp_path / "damaged.jsonl", rows)
    result = run_file(*upload_args(setup, live_server.url, path=path))
    assert result.returncode == 1, result.stderr
    assert "4 lines skipped (not sent" in result.stderr
    assert "line 4: not valid JSON" in result.stderr
    assert 'line 9: no answer text (an "answer" string is needed)' in result.stderr
    assert "line 11: no question_id" in result.stderr and "line 13: not a JSON object" in result.stderr
    assert "21 answers created" in result.stdout and "4 lines skipped" in result.stdout
    assert Answer.objects.count() == 21


def test_a_rejected_batch_stops_with_its_file_line_numbers(setup, live_server, tmp_path):
    rows = [json.loads(x) for x in setup["path"].read_text().splitlines()]
    rows[2]["question_id"] = "missing"
    path = write_lines(tmp_path / "rejected.jsonl", rows)
    result = run_file(*upload_args(setup, live_server.url, path=path))
    assert result.returncode == 2
    assert "line 3: question_id: no open question 'missing'" in result.stderr
    assert "Progress is saved" in result.stderr
    assert Answer.objects.count() == 0


def test_bad_arguments_are_clear_errors(setup, tmp_path):
    no_file = run_file("upload", str(tmp_path / "nope.jsonl"), "--token", "t", "--model-entry", "1")
    assert no_file.returncode == 2 and "no such file" in no_file.stderr
    bad_url = run_file(*upload_args(setup, "ftp://example.org"))
    assert bad_url.returncode == 2 and "--url must start with http:// or https://" in bad_url.stderr
    env_without_token = {k: v for k, v in user_env().items() if k != "QUORUM_TOKEN"}
    no_token = subprocess.run(
        [sys.executable, "-S", str(CLIENT), "upload", str(setup["path"]), "--model-entry", "1"],
        capture_output=True, text=True, env=env_without_token, timeout=RUN_TIMEOUT_S,
    )  # fmt: skip
    assert no_token.returncode == 2 and "give --token or set QUORUM_TOKEN" in no_token.stderr


# --- against a fake server: interruption, retries ---------------------------------------


class FakeQuorum(QuietHandler):
    """The two endpoints the client uses. The second bulk POST can be held until released."""

    entry_name = "atlas"
    posts: list[dict] = []
    hold_post: int | None = None  # the 1-based POST to hold
    held = threading.Event()
    release = threading.Event()
    statuses: list[tuple[int, dict]] = []
    keys: list[str] = []

    def do_GET(self):  # noqa: N802
        self._reply(200, {"id": 1, "name": FakeQuorum.entry_name})

    def do_POST(self):  # noqa: N802
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        FakeQuorum.keys.append(self.headers["Idempotency-Key"])
        FakeQuorum.posts.append(body)
        if len(FakeQuorum.posts) == FakeQuorum.hold_post:
            FakeQuorum.held.set()
            FakeQuorum.release.wait(RUN_TIMEOUT_S)
            return
        status, headers = FakeQuorum.statuses.pop(0) if FakeQuorum.statuses else (201, {})
        self._reply(status, {"created": len(body.get("answers", [])), "unchanged": 0, "detail": "x"}, headers)

    def _reply(self, status, payload, headers=None):
        self.send_response(status)
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(json.dumps(payload).encode())


@pytest.fixture
def fake():
    FakeQuorum.posts, FakeQuorum.keys, FakeQuorum.statuses = [], [], []
    FakeQuorum.hold_post = None
    FakeQuorum.held.clear()
    FakeQuorum.release.clear()
    with LoopbackServer(FakeQuorum) as server:
        yield server
        FakeQuorum.release.set()


def test_an_interrupted_upload_resumes_where_it_stopped(setup, fake):
    FakeQuorum.hold_post = 2
    url = fake.address("")
    process = subprocess.Popen(
        [sys.executable, "-S", str(CLIENT), *upload_args(setup, url)], env=user_env(),
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        assert FakeQuorum.held.wait(RUN_TIMEOUT_S), "the second batch never arrived"
        process.send_signal(signal.SIGINT)  # Ctrl-C while the second batch is in flight
        _, err = process.communicate(timeout=RUN_TIMEOUT_S)
    finally:
        process.kill()
    assert process.returncode == 130 and "run the same command again to resume" in err
    state = json.loads((setup["path"].parent / "answers.jsonl.quorum-upload.json").read_text())
    assert state["next_line"] == 12  # 10 answers and the failed generation on line 6

    FakeQuorum.hold_post, FakeQuorum.posts = None, []
    result = run_file(*upload_args(setup, url))
    assert result.returncode == 0, result.stderr
    assert "resuming at line 12" in result.stderr and "15 answers created" in result.stdout
    sent = [item["question_id"] for body in FakeQuorum.posts for item in body["answers"]]
    assert sent == [f"uq{n}" for n in range(10, 25)]
    assert not (setup["path"].parent / "answers.jsonl.quorum-upload.json").exists()


def test_retries_429_with_retry_after_and_5xx_with_the_same_idempotency_key(fake):
    FakeQuorum.statuses = [(429, {"Retry-After": "7"}), (503, {})]
    waits = []
    api = client.Api(fake.address(""), "t", sleep=waits.append)
    assert api.post("/api/v1/answers/bulk/", {"answers": [1]}, "key-1")["created"] == 1
    assert waits[0] == 7.0 and 0 < waits[1] <= 1.0
    assert FakeQuorum.keys == ["key-1"] * 3


def test_a_script_run_retries_a_503_and_finishes(setup, fake):
    FakeQuorum.statuses = [(503, {"Retry-After": "0"})]
    result = run_file(*upload_args(setup, fake.address("")))
    assert result.returncode == 0, result.stderr
    assert "retrying in 0.0s (attempt 2/8)" in result.stderr
    assert len(FakeQuorum.posts) == 4 and FakeQuorum.keys[0] == FakeQuorum.keys[1]


def test_gives_up_after_the_attempt_limit(fake):
    FakeQuorum.statuses = [(500, {})] * 3
    api = client.Api(fake.address(""), "t", max_attempts=3, sleep=lambda s: None)
    with pytest.raises(client.UploadError, match="HTTP 500"):
        api.post("/x", {}, "k")


# --- the console script ---------------------------------------------------------------------


def test_pyproject_declares_the_console_script_and_installs_the_one_file():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())
    assert project["project"]["scripts"]["quorum-client"] == "quorum_client:main"
    setuptools = project["tool"]["setuptools"]
    assert setuptools["py-modules"] == ["quorum_client"] and setuptools["packages"] == []
    assert (ROOT / setuptools["package-dir"][""] / "quorum_client.py") == CLIENT
    assert callable(client.main)


def test_the_installed_console_script_runs():
    """`make setup` (pip install -e .) puts quorum-client beside the virtualenv's python."""
    venv_bin = Path(sys.executable).parent
    # The installed distribution, not an egg-info a source folder on sys.path may hold.
    (installed,) = importlib.metadata.distributions(name="quorum", path=[sysconfig.get_paths()["purelib"]])
    scripts = installed.entry_points.select(group="console_scripts")
    assert [(s.name, s.value) for s in scripts] == [("quorum-client", "quorum_client:main")], (
        f"quorum-client is not installed in {venv_bin}: run `make setup` (pip install -e .)"
    )
    help_text = subprocess.run(
        [str(venv_bin / "quorum-client"), "upload", "--help"], capture_output=True, text=True,
        env=user_env(), cwd="/", timeout=RUN_TIMEOUT_S,
    )  # fmt: skip
    assert help_text.returncode == 0, help_text.stderr
    assert help_text.stdout.startswith("usage: quorum-client upload")
    assert "--allow-model-mismatch" in help_text.stdout and "exit status:" in help_text.stdout


def test_the_image_build_copies_the_client_before_installing_the_project():
    """pyproject.toml installs client/quorum_client.py: without it, building the project fails."""
    stages = (ROOT / "Dockerfile").read_text().split("\nFROM ")[1:]
    assert len(stages) == 2
    for stage in stages:
        install = stage.index("pip wheel" if "pip wheel" in stage else "/venv/bin/pip install")
        assert "\nCOPY client " in stage[:install], stage[:install]
