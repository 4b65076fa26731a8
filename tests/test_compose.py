"""No Docker engine runs here: check compose.yaml names only things that exist."""

import importlib.util
import re
from pathlib import Path

import yaml

from workers.queues import ALL_QUEUES

ROOT = Path(__file__).resolve().parents[1]
# Every file that reads a variable from the environment.
ENV_READERS = [ROOT / "platform" / "config" / "settings.py", ROOT / "platform" / "config" / "gunicorn.conf.py",
               ROOT / "platform" / "ops" / "metrics.py", ROOT / "platform" / "config" / "env.py",
               ROOT / "scripts" / "local_judge.py"]  # fmt: skip
QUORUM_SERVICES = ("migrate", "web", "worker", "beat", "worker-gpu")


def compose() -> dict:
    return yaml.safe_load((ROOT / "compose.yaml").read_text())


def services() -> dict:
    return compose()["services"]


def documented() -> set[str]:
    return set(re.findall(r"^(?:# )?([A-Z][A-Z0-9_]+)=", (ROOT / ".env.example").read_text(), re.M))


def test_services_of_a_production_stack_are_there():
    assert {"postgres", "redis", "migrate", "web", "worker", "beat", "worker-gpu", "judge"} <= set(services())
    for name, service in services().items():
        assert service["restart"] == ("no" if name == "migrate" else "unless-stopped"), name
        if name != "migrate":
            assert service["healthcheck"]["test"], f"{name} has no health check"


def test_the_gpu_profile_runs_a_worker_and_a_judge_each_with_a_gpu():
    for name in ("worker-gpu", "judge"):
        service = services()[name]
        assert service["profiles"] == ["gpu"]
        assert service["deploy"]["resources"]["reservations"]["devices"] == [
            {"driver": "nvidia", "count": 1, "capabilities": ["gpu"]}
        ]
    worker = services()["worker-gpu"]["command"]
    assert worker[worker.index("--queues") + 1] == "gpu" and worker[worker.index("--concurrency") + 1] == "1"
    assert "DATABASE_URL" not in services()["worker-gpu"]["environment"], "GPU boxes need only the broker"
    judge = services()["judge"]
    assert judge["image"].startswith("vllm/vllm-openai")
    assert "${QUORUM_GPU_JUDGE_MODEL" in judge["command"][judge["command"].index("--model") + 1]


def test_every_command_names_an_existing_module_file_and_queue():
    for name in QUORUM_SERVICES:
        command = services()[name]["command"]
        if command[0] == "python":
            assert (ROOT / command[1]).exists(), f"{name}: {command[1]}"
        for argument in command:
            if argument.endswith(".py") and "/" in argument:
                assert (ROOT / argument).exists(), f"{name}: {argument}"
        if "-A" in command:
            app = command[command.index("-A") + 1]
            assert importlib.util.find_spec(app) is not None, f"{name}: {app}"
        if "--queues" in command:
            assert set(command[command.index("--queues") + 1].split(",")) <= set(ALL_QUEUES), name
    assert {*services()["worker"]["command"][services()["worker"]["command"].index("--queues") + 1].split(","),
            "gpu"} == set(ALL_QUEUES), "every queue has a consumer"  # fmt: skip


def test_gunicorn_config_names_the_wsgi_application():
    config = (ROOT / "platform" / "config" / "gunicorn.conf.py").read_text()
    module = re.search(r'wsgi_app = "([\w.]+):application"', config).group(1)
    assert importlib.util.find_spec(module) is not None


def test_every_variable_is_read_and_documented():
    reader_text = "".join(p.read_text() for p in ENV_READERS)
    compose_text = (ROOT / "compose.yaml").read_text()
    interpolated = set(re.findall(r"\$\{([A-Z_]+)", compose_text))
    named = {variable for name in QUORUM_SERVICES for variable in services()[name].get("environment", {})}
    read = set(re.findall(r'(?:env\.[a-z_]+|os\.environ\.get)\("([A-Z_]+)"', reader_text))
    assert named <= read, f"set in compose, read by nothing: {named - read}"
    assert (read | interpolated) <= documented(), f"undocumented: {(read | interpolated) - documented()}"
    assert documented() <= read | interpolated, f"documented, read by nothing: {documented() - read - interpolated}"


def test_dockerfile_builds_wheels_then_a_slim_non_root_runtime_with_static_files():
    dockerfile = (ROOT / "Dockerfile").read_text()
    stages = re.findall(r"^FROM (\S+)(?: AS (\w+))?", dockerfile, re.M)
    assert len(stages) == 2 and stages[0][1] == "builder" and all(image.endswith("-slim") for image, _ in stages)
    assert "pip wheel" in dockerfile and "--no-index --find-links /wheels" in dockerfile
    assert re.search(r"^USER quorum$", dockerfile, re.M) and "collectstatic" in dockerfile
    for source in re.findall(r"^COPY (?!--from)(\S+)", dockerfile, re.M):
        assert (ROOT / source).exists(), source
    assert compose()["x-app"]["build"] == "."
