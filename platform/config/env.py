"""Strict parsing of the environment: a bad value stops start-up with a clear message."""

import os
from ipaddress import IPv4Network, IPv6Network, ip_network
from pathlib import Path

from environs import Env
from marshmallow import ValidationError

BASE_DIR = Path(__file__).resolve().parents[2]

env = Env(eager=True)
# Variables already set win over the file. `make demo` writes a development .env when there is
# none (DEBUG=true and a random SECRET_KEY); QUORUM_ENV_FILE names another file, or "" for none.
ENV_FILE = os.environ.get("QUORUM_ENV_FILE", str(BASE_DIR / ".env"))
if ENV_FILE:
    env.read_env(ENV_FILE, recurse=False)

DEV_SECRET_KEY = "insecure-development-key-never-use-in-production"  # noqa: S105


def sqlite_url(path: Path) -> str:
    return f"sqlite:///{path}"


def default_broker_url() -> str:
    """The embedded broker: message files in QUORUM_BROKER_DIR (workers/spool.py)."""
    return "spool://localhost//"


@env.parser_for("networks")
def networks(value: str) -> list[IPv4Network | IPv6Network]:
    """A comma-separated list of addresses or CIDR blocks."""
    try:
        return [ip_network(part.strip()) for part in value.split(",") if part.strip()]
    except ValueError as exc:
        raise ValidationError(str(exc)) from exc
