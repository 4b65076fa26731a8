"""PostgreSQL restarted while builders submit: every write the API acknowledged is there after.

Restarting the database server needs the CI machine's privileges: `.ci/run` sets
QUORUM_TEST_RESTART_POSTGRES to the command that restarts it (pg_ctlcluster); elsewhere the test
is skipped with that reason.
"""

import os
import subprocess
import threading
import time

import psycopg
import pytest
from django.db import close_old_connections, connection

from submissions.models import Answer
from tests.factories import ModelEntryFactory, QuestionFactory, SiteFactory, UserFactory
from tests.submissions.conftest import token_client

RESTART = os.environ.get("QUORUM_TEST_RESTART_POSTGRES", "")
pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(not RESTART, reason="QUORUM_TEST_RESTART_POSTGRES is not set (CI sets it)"),
]
BATCHES, PER_BATCH, THREADS = 40, 10, 4


def restart_postgresql() -> None:
    subprocess.run(RESTART, shell=True, check=True, timeout=120)  # noqa: S602 - CI's own command


def server_accepts_connections(deadline_s: float = 120) -> None:
    """Waits on a connection of its own, so the pool's connections are left as the restart left them."""
    params = connection.get_connection_params()
    deadline = time.monotonic() + deadline_s
    while True:
        try:
            psycopg.connect(**params, connect_timeout=2).close()
            return
        except psycopg.OperationalError:
            assert time.monotonic() < deadline, "PostgreSQL did not come back"
            time.sleep(0.5)


def fill_the_pool(connections: int) -> None:
    """Leaves that many connections idle in the pool, as a web process has between requests."""
    opened = threading.Barrier(connections)

    def hold_one() -> None:
        connection.ensure_connection()
        opened.wait(timeout=30)
        connection.close()

    threads = [threading.Thread(target=hold_one) for _ in range(connections)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)


def database_ready() -> bool:
    close_old_connections()
    try:
        connection.ensure_connection()
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
        return True
    except Exception:  # noqa: BLE001 - any failure means not yet
        connection.close()
        return False


def submitter(thread: int, entry_pk: int, user, acknowledged: list[str], refused: list[int],
              stop: threading.Event) -> None:  # fmt: skip
    """Each batch is retried until the API acknowledges it; only then does it count."""
    api = token_client(user)
    for batch in range(BATCHES):
        ids = [f"t{thread}-b{batch}-{i}" for i in range(PER_BATCH)]
        body = {"model_entry": entry_pk, "answers": [{"question_id": q, "answer": f"answer {q}"} for q in ids]}
        while not stop.is_set():
            try:
                response = api.post("/api/v1/answers/bulk/", body, format="json")
            except Exception:  # noqa: BLE001 - the connection died with the server: try again
                response = None
            if response is not None and response.status_code in (200, 201):
                acknowledged.extend(ids)
                break
            refused.append(getattr(response, "status_code", 0))
            close_old_connections()
            time.sleep(0.2)
    connection.close()


def test_postgresql_restarted_under_load_loses_no_acknowledged_write():
    if connection.vendor != "postgresql":
        pytest.skip("the database is not PostgreSQL")
    site = SiteFactory(slug="restart")
    builder = UserFactory(username="restarter", is_builder=True)
    entry = ModelEntryFactory(owner=builder, name="under-load")
    for thread in range(THREADS):
        for batch in range(BATCHES):
            for i in range(PER_BATCH):
                QuestionFactory(site=site, source="uq", external_id=f"t{thread}-b{batch}-{i}")
    acknowledged: list[str] = []
    refused: list[int] = []
    stop = threading.Event()
    threads = [threading.Thread(target=submitter, args=(t, entry.pk, builder, acknowledged, refused, stop))
               for t in range(THREADS)]  # fmt: skip
    for thread in threads:
        thread.start()
    try:
        under_load = time.monotonic() + 60
        while not acknowledged and time.monotonic() < under_load:
            time.sleep(0.1)
        assert 0 < len(acknowledged) < THREADS * BATCHES * PER_BATCH, "not under load when restarting"
        restart_postgresql()
        deadline = time.monotonic() + 120
        while not database_ready():
            assert time.monotonic() < deadline, "PostgreSQL did not come back"
            time.sleep(0.5)
        for thread in threads:
            thread.join(timeout=180)
    finally:
        stop.set()
        for thread in threads:
            thread.join(timeout=30)
        database_ready()
    stored = set(Answer.objects.filter(model_entry=entry).values_list("question__external_id", flat=True))
    assert refused, "the restart interrupted nothing: the test proved nothing"
    assert len(acknowledged) == THREADS * BATCHES * PER_BATCH
    assert set(acknowledged) <= stored


def test_after_a_restart_no_request_is_handed_a_dead_connection():
    """The pool drops the connections the restart killed instead of giving them to requests."""
    if connection.vendor != "postgresql" or "pool" not in connection.settings_dict["OPTIONS"]:
        pytest.skip("the database is not PostgreSQL with a connection pool")
    builder = UserFactory(username="after-restart", is_builder=True)
    api = token_client(builder)
    idle = connection.settings_dict["OPTIONS"]["pool"]["max_size"] - 2
    connection.close()
    fill_the_pool(idle)
    restart_postgresql()
    server_accepts_connections()
    statuses = []
    for _ in range(idle + 2):
        statuses.append(api.get("/api/v1/model-entries/").status_code)
        connection.close()  # as the server does after each request: back to the pool
    assert statuses == [200] * (idle + 2)
