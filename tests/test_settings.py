"""Settings come from the environment, strictly: a bad value stops start-up with a clear message."""

import json
import os
import secrets
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PROBE = (
    "import django, json; from django.conf import settings; django.setup(); "
    "db = settings.DATABASES['default']; "
    "print(json.dumps({'engine': db['ENGINE'], 'name': str(db['NAME']), 'options': db.get('OPTIONS', {}), "
    "'debug': settings.DEBUG, 'hosts': settings.ALLOWED_HOSTS, 'broker': settings.CELERY_BROKER_URL, "
    "'secure': getattr(settings, 'SESSION_COOKIE_SECURE', False)}))"
)
GOOD_KEY = "k" * 50


def load(tmp_path, **env):
    clean = {k: v for k, v in os.environ.items() if k not in {
        "DEBUG", "SECRET_KEY", "DATABASE_URL", "CELERY_BROKER_URL", "ALLOWED_HOSTS",
        "QUORUM_PRODUCTION", "DJANGO_SETTINGS_MODULE",
    }}  # fmt: skip
    clean.update(QUORUM_ENV_FILE="", QUORUM_VAR_DIR=str(tmp_path), DJANGO_SETTINGS_MODULE="config.settings")
    clean.update(env)
    clean["PYTHONPATH"] = f"{ROOT / 'platform'}:{ROOT}"
    result = subprocess.run(
        [sys.executable, "-c", PROBE], cwd=tmp_path, env=clean, capture_output=True, text=True
    )
    return result


def loaded(result) -> dict:
    assert result.returncode == 0, result.stderr[-2000:]
    return json.loads(result.stdout)


def test_embedded_defaults_are_sqlite_and_the_spool_broker(tmp_path):
    config = loaded(load(tmp_path, DEBUG="true"))
    assert config["engine"] == "django.db.backends.sqlite3"
    assert config["name"] == str(tmp_path / "quorum.sqlite3")
    assert config["broker"] == "spool://localhost//"
    assert config["debug"] is True


def test_postgres_url_uses_psycopg_with_the_connection_pool(tmp_path):
    config = loaded(load(
        tmp_path, DEBUG="true", DATABASE_URL="postgres://quorum:pw@db.internal:5433/quorum",
        CELERY_BROKER_URL="redis://redis:6379/0",
    ))  # fmt: skip
    assert config["engine"] == "common.postgresql"  # Django's, with a pool that survives restarts
    assert config["options"]["pool"]["max_size"] == 10
    assert config["broker"] == "redis://redis:6379/0"


@pytest.mark.parametrize("key", [None, "", "short", "insecure-development-key-never-use-in-production"])
def test_production_refuses_to_start_without_a_real_secret_key(tmp_path, key):
    env = {"DEBUG": "false"} if key is None else {"DEBUG": "false", "SECRET_KEY": key}
    result = load(tmp_path, **env)
    assert result.returncode != 0
    assert "SECRET_KEY must be set" in result.stderr


def test_production_with_a_key_is_secure(tmp_path):
    config = loaded(load(tmp_path, SECRET_KEY=GOOD_KEY, ALLOWED_HOSTS="quorum.example.org"))
    assert config["debug"] is False
    assert config["hosts"] == ["quorum.example.org"]
    assert config["secure"] is True


@pytest.mark.parametrize(
    ("name", "value"),
    [("DEBUG", "maybe"), ("DATABASE_URL", "not a url"), ("QUORUM_PAGE_SIZE", "ten")],
)
def test_bad_values_stop_start_up_naming_the_variable(tmp_path, name, value):
    result = load(tmp_path, **{"SECRET_KEY": GOOD_KEY, "DEBUG": "true", name: value})
    assert result.returncode != 0
    assert name in result.stderr


def test_deploy_checks_find_nothing_in_production(tmp_path):
    # A production environment: none of what the test session itself set (the browser tests'
    # DJANGO_ALLOW_ASYNC_UNSAFE included).
    left_out = {"DEBUG", "QUORUM_PRODUCTION", "DJANGO_SETTINGS_MODULE", "DJANGO_ALLOW_ASYNC_UNSAFE"}
    env = {k: v for k, v in os.environ.items() if k not in left_out}
    env.update(
        SECRET_KEY=secrets.token_urlsafe(50), ALLOWED_HOSTS="quorum.example.org", QUORUM_VAR_DIR=str(tmp_path),
        DJANGO_SETTINGS_MODULE="config.settings", PYTHONPATH=f"{ROOT / 'platform'}:{ROOT}",
    )  # fmt: skip
    result = subprocess.run(
        [sys.executable, str(ROOT / "manage.py"), "check", "--deploy", "--fail-level", "DEBUG"],
        cwd=tmp_path, env=env, capture_output=True, text=True,
    )  # fmt: skip
    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues (0 silenced)." in result.stdout
