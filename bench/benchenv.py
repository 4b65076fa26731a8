"""What the benchmarks share: their own PostgreSQL database and a configured Django."""

import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def ensure_database(url: str) -> None:
    """Create the benchmark's database if it is missing (never the site's or the tests' own)."""
    import psycopg
    from psycopg import sql
    from psycopg.conninfo import conninfo_to_dict, make_conninfo

    params = conninfo_to_dict(url)
    name = params["dbname"]
    if name in ("quorum", "test_quorum"):
        raise SystemExit(f"refusing to use database {name!r}: give the benchmark its own")
    with psycopg.connect(make_conninfo(**{**params, "dbname": "postgres"}), autocommit=True) as db:
        if not db.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone():
            db.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))


def setup_django(database_url: str, **env: str) -> None:
    """Settings from the environment as in production (DEBUG off), the database migrated."""
    sys.path[:0] = [str(ROOT / "platform"), str(ROOT)]
    os.environ.update({
        "DATABASE_URL": database_url, "SECRET_KEY": "bench-" + "x" * 40, "ALLOWED_HOSTS": "testserver",
        "QUORUM_PRODUCTION": "false", "DJANGO_SETTINGS_MODULE": "config.settings", "LOG_LEVEL": "WARNING",
        **env,
    })  # fmt: skip
    ensure_database(database_url)
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
