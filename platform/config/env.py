"""Strict parsing of the environment: a bad value stops start-up with a clear message."""

from ipaddress import IPv4Network, IPv6Network, ip_network
from pathlib import Path

from environs import Env
from marshmallow import ValidationError

BASE_DIR = Path(__file__).resolve().parents[2]

env = Env(eager=True)
env.read_env(str(BASE_DIR / ".env"), recurse=False)

DEV_SECRET_KEY = "insecure-development-key-never-use-in-production"  # noqa: S105


def sqlite_url(path: Path) -> str:
    return f"sqlite:///{path}"


def default_broker_url() -> str:
    return "filesystem://localhost//"


@env.parser_for("networks")
def networks(value: str) -> list[IPv4Network | IPv6Network]:
    """A comma-separated list of addresses or CIDR blocks."""
    try:
        return [ip_network(part.strip()) for part in value.split(",") if part.strip()]
    except ValueError as exc:
        raise ValidationError(str(exc)) from exc
