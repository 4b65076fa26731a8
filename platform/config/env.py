"""Strict parsing of the environment: a bad value stops start-up with a clear message."""

from pathlib import Path

from environs import Env

BASE_DIR = Path(__file__).resolve().parents[2]

env = Env(eager=True)
env.read_env(str(BASE_DIR / ".env"), recurse=False)

DEV_SECRET_KEY = "insecure-development-key-never-use-in-production"  # noqa: S105


def sqlite_url(path: Path) -> str:
    return f"sqlite:///{path}"


def default_broker_url() -> str:
    return "filesystem://localhost//"
