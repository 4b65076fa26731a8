"""The shared search cases on the database this run does not use.

CI runs the suite on PostgreSQL, so test_search.py's cases would never meet SQLite there.
This test runs them (and test_search_sqlite.py) again in a subprocess: the same pytest, the
same settings, with DATABASE_URL removed, so the child builds its own SQLite test database
from the migrations (FTS5 table, triggers) in a folder of its own. A second database alias
in this process would not do: the search code, like every view, uses the default connection.
"""

import os
import subprocess
import sys
import xml.etree.ElementTree as ET  # noqa: S405 — our own pytest's report
from pathlib import Path

import pytest
from django.db import connection

ROOT = Path(__file__).resolve().parents[2]
SHARED = ["tests/catalog/test_search.py", "tests/catalog/test_search_sqlite.py"]


@pytest.mark.skipif(
    connection.vendor == "sqlite",
    reason="this run is on SQLite, where test_search.py ran itself; on PostgreSQL (DATABASE_URL) this runs it on SQLite too",
)
def test_shared_search_cases_pass_on_sqlite_too(tmp_path):
    env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
    env["QUORUM_VAR_DIR"] = str(tmp_path / "var")  # its own SQLite test database
    report = tmp_path / "sqlite.xml"
    result = subprocess.run(
        [sys.executable, "-m", "pytest", *SHARED, "-q", "-p", "no:cacheprovider", f"--junitxml={report}"],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=600,
    )  # fmt: skip
    tail = result.stdout[-4000:] + result.stderr[-2000:]
    assert result.returncode == 0, tail
    suite = ET.parse(report).getroot().find("testsuite")  # noqa: S314
    assert int(suite.get("failures")) == int(suite.get("errors")) == 0, tail
    ran = {case.get("classname") for case in suite.iter("testcase") if case.find("skipped") is None}
    assert "tests.catalog.test_search" in ran, tail
    skipped = [case.get("name") for case in suite.iter("testcase") if case.find("skipped") is not None]
    # Only the comparison with PostgreSQL may skip there; every shared case must have run.
    assert skipped == ["test_the_translation_agrees_with_postgresql_websearch"], tail
    assert int(suite.get("tests")) >= 130, tail
