"""The catalogue at scale: `.venv/bin/python bench/catalog_bench.py --help` (run by `make bench`).

Imports generated questions and times the question list's pages in-process (see
catalog_pages.py); prints each figure beside a reference measured in the same run.
"""

import argparse
import os
import secrets
import subprocess
import sys
import tempfile
from pathlib import Path

import benchenv
from psycopg.conninfo import conninfo_to_dict

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_DATABASE_URL = "postgres://postgres@127.0.0.1:5432/quorum_bench"


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--questions", type=int, default=100_000, help="default: 100000")
    parser.add_argument("--requests", type=int, default=100, help="timed requests per page")
    parser.add_argument(
        "--database-url",
        default=os.environ.get("DATABASE_URL") or DEFAULT_DATABASE_URL,
        help="PostgreSQL, created and migrated if missing (default: $DATABASE_URL or "
        f"{DEFAULT_DATABASE_URL}); it must hold no questions but the benchmark's own",
    )
    parser.add_argument("--keep", action="store_true", help="keep the imported questions")
    parser.add_argument(
        "--explain", action="store_true", help="print EXPLAIN ANALYZE of every page's queries"
    )
    args = parser.parse_args(argv)
    if not args.database_url.startswith(("postgres://", "postgresql://")):
        parser.error("--database-url: the benchmark needs PostgreSQL (postgres://…)")
    return args


def production_environment(database_url: str, static_root: Path) -> dict[str, str]:
    """Settings as in production (DEBUG off, manifest static files), served as `testserver`."""
    return {
        "DJANGO_SETTINGS_MODULE": "config.settings",
        "DATABASE_URL": database_url,
        "DEBUG": "false",
        "SECRET_KEY": secrets.token_urlsafe(48),
        "ALLOWED_HOSTS": "testserver",
        "SECURE_SSL_REDIRECT": "false",
        "STATIC_ROOT": str(static_root),
        "LOG_LEVEL": "WARNING",
    }


def manage(*args: str) -> None:
    command = [sys.executable, str(ROOT / "manage.py"), *args]
    result = subprocess.run(command, cwd=ROOT, capture_output=True, text=True)
    if result.returncode:
        raise SystemExit(f"{' '.join(args)} failed:\n{result.stdout}{result.stderr}")


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="quorum-bench-") as workdir:
        os.environ.update(production_environment(args.database_url, Path(workdir, "static")))
        benchenv.say(f"database {conninfo_to_dict(args.database_url)['dbname']}: create, migrate")
        benchenv.ensure_database(args.database_url)
        manage("migrate", "--no-input")
        manage("collectstatic", "--no-input")
        sys.path[:0] = [str(ROOT / "platform"), str(ROOT)]
        import django

        django.setup()
        import catalog_pages

        options = catalog_pages.Options(
            questions=args.questions, requests=args.requests, workdir=Path(workdir),
            keep=args.keep, explain=args.explain,
        )  # fmt: skip
        figures, plans = catalog_pages.run(options, say=benchenv.say)
    benchenv.report("catalogue", figures)
    for plan in plans:
        print(f"\n{plan}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
