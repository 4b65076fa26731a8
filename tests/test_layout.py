"""Guards the layout of ARCHITECTURE.md §3."""

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
REQUIRED = [
    "manage.py", "platform", "validators", "workers", "templates", "static", "tests",
    "compose.yaml", "pyproject.toml", "Makefile", "README.md", ".ci/run", "bench", "docs",
    "client/quorum_client.py", "scripts/local_judge.py",
]  # fmt: skip


def test_the_client_folder_holds_the_client_alone():
    """Run as a script, a file's folder comes first on sys.path: nothing may shadow the stdlib."""
    modules = [p.name for p in (ROOT / "client").iterdir() if p.suffix in {".py", ".pyc", ".so"} or p.is_dir()
               and (p / "__init__.py").exists()]  # pip's quorum.egg-info beside it is no module
    assert modules == ["quorum_client.py"]
APPS = ["config", "common", "accounts", "catalog"]


def test_top_level_is_as_designed():
    missing = [name for name in REQUIRED if not (ROOT / name).exists()]
    assert missing == []


def test_platform_is_a_source_folder_never_a_package():
    assert not (ROOT / "platform" / "__init__.py").exists()
    import platform

    assert Path(platform.__file__).name == "platform.py", "the standard library's module must win"
    assert callable(platform.python_version)


def test_no_top_level_name_shadows_the_standard_library():
    names = {p.stem for p in ROOT.iterdir() if not p.name.startswith(".")} - {"platform"}
    names |= {p.stem for p in (ROOT / "platform").iterdir()}
    assert names & set(sys.stdlib_module_names) == set()


def test_every_app_has_its_rooms():
    for app in ("accounts", "catalog"):
        for room in ("models.py", "admin.py", "apps.py"):
            assert (ROOT / "platform" / app / room).exists(), f"{app}/{room}"
    for room in ("services.py", "selectors.py", "views.py", "urls.py"):
        assert (ROOT / "platform" / "catalog" / room).exists()
    for room in ("models.py", "services.py", "selectors.py", "views.py", "urls.py", "admin.py", "README.md"):
        assert (ROOT / "platform" / "webhooks" / room).exists(), f"webhooks/{room}"


def test_import_contracts_hold():
    """validators/ never imports Django or the platform (import-linter, see pyproject.toml)."""
    result = subprocess.run(
        [str(Path(sys.executable).with_name("lint-imports")), "--no-cache"],
        cwd=ROOT, capture_output=True, text=True, env={"PYTHONPATH": f"{ROOT}/platform:{ROOT}"},
    )  # fmt: skip
    assert result.returncode == 0, result.stdout + result.stderr
    assert "0 broken" in result.stdout
