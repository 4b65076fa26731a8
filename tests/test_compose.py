"""No Docker engine runs here: check compose.yaml names only things that exist."""

import importlib.util
import re
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
SETTINGS_SOURCES = [ROOT / "platform" / "config" / "settings.py"]


def compose() -> dict:
    return yaml.safe_load((ROOT / "compose.yaml").read_text())


def test_services_of_a_production_stack_are_there():
    services = compose()["services"]
    assert {"postgres", "redis", "migrate", "web", "worker", "beat"} <= set(services)
    for name in ("postgres", "redis"):
        assert "healthcheck" in services[name]
    for name in ("web", "worker", "beat"):
        assert services[name]["restart"] == "unless-stopped"


def test_every_command_names_an_existing_module_or_file():
    for name, service in compose()["services"].items():
        command = service.get("command") or []
        if "manage.py" in command:
            assert (ROOT / "manage.py").exists()
        for module in re.findall(r"([a-z_]+(?:\.[a-z_]+)+)(?::application)?$", " ".join(command)):
            assert importlib.util.find_spec(module) is not None, f"{name}: {module}"
        if "-A" in command:
            app = command[command.index("-A") + 1]
            assert importlib.util.find_spec(app) is not None, f"{name}: {app}"
        if "--queues" in command:
            from workers.queues import ALL_QUEUES

            assert set(command[command.index("--queues") + 1].split(",")) <= set(ALL_QUEUES)


def test_every_variable_is_read_by_the_settings_and_documented():
    settings_text = "".join(p.read_text() for p in SETTINGS_SOURCES)
    documented = set(re.findall(r"^([A-Z_]+)=", (ROOT / ".env.example").read_text(), re.M))
    named = set()
    for service in compose()["services"].values():
        if service.get("build"):  # Quorum's own containers, not postgres/redis
            named |= set((service.get("environment") or {}).keys())
    for variable in named | documented:
        assert f'"{variable}"' in settings_text, f"{variable} is not read by the settings"
    assert named <= documented
    read = set(re.findall(r'env\.[a-z_]+\("([A-Z_]+)"', settings_text))
    assert read <= documented, f"undocumented: {read - documented}"


def test_dockerfile_builds_what_compose_runs():
    dockerfile = (ROOT / "Dockerfile").read_text()
    assert "gunicorn" in dockerfile and "collectstatic" in dockerfile
    assert compose()["x-app"]["build"] == "."
