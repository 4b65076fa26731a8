"""The embedded broker (workers/spool.py): several processes, no half-read, no double delivery,
and nothing lost when a consumer is killed before it acknowledges."""

import json
import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest
from kombu import Connection, Exchange, Queue

from workers import spool  # noqa: F401 - registers spool://

ROOT = Path(__file__).resolve().parents[2]
QUEUE = "jobs"

# A consumer in a process of its own: takes messages, writes each body's id to a log file, and
# acknowledges it — or, with HOLD set, takes that many and then waits to be killed unacknowledged.
CONSUMER = textwrap.dedent("""
    import os, sys, time
    from kombu import Connection, Exchange, Queue
    sys.path.insert(0, os.environ["ROOT"])
    from workers import spool
    folder, log, hold = sys.argv[1], sys.argv[2], int(os.environ.get("HOLD", "0"))
    work_s = float(os.environ.get("WORK_S", "0"))
    queue = Queue("jobs", Exchange("jobs", type="direct"), routing_key="jobs")
    taken = []
    with Connection("spool://localhost//", transport_options={"folder": folder}) as conn:
        channel = conn.channel()
        queue(channel).declare()
        idle_since = time.monotonic()
        with open(log, "a", buffering=1) as out:
            while time.monotonic() - idle_since < 2:
                message = queue(channel).get(no_ack=False)
                if message is None:
                    time.sleep(0.01)
                    continue
                idle_since = time.monotonic()
                if hold:
                    taken.append(message)
                    out.write("took " + str(message.payload["id"]) + "\\n")
                    if len(taken) == hold:
                        time.sleep(3600)
                    continue
                time.sleep(work_s)
                out.write(str(message.payload["id"]) + "\\n")
                message.ack()
""")


def publish(folder: Path, count: int, start: int = 0) -> None:
    exchange = Exchange(QUEUE, type="direct")
    queue = Queue(QUEUE, exchange, routing_key=QUEUE)
    with Connection("spool://localhost//", transport_options={"folder": str(folder)}) as conn:
        producer = conn.Producer()
        for n in range(start, start + count):
            producer.publish({"id": n, "pad": "x" * 4096}, exchange=exchange, routing_key=QUEUE,
                             declare=[queue], serializer="json")  # fmt: skip


def consumer(folder: Path, log: Path, hold: int = 0, work_s: float = 0) -> subprocess.Popen:
    env = {**os.environ, "ROOT": str(ROOT), "HOLD": str(hold), "WORK_S": str(work_s)}
    return subprocess.Popen([sys.executable, "-c", CONSUMER, str(folder), str(log)], env=env)  # noqa: S603


def ids(log: Path) -> list[int]:
    return [int(line) for line in log.read_text().split()] if log.exists() else []


def test_concurrent_consumers_get_every_message_once_and_whole(tmp_path):
    publish(tmp_path, 50)
    logs = [tmp_path / f"consumer{n}.log" for n in range(3)]
    consumers = [consumer(tmp_path, log, work_s=0.01) for log in logs]
    publish(tmp_path, 250, start=50)  # while they consume: no message may be read half-written
    for proc in consumers:
        assert proc.wait(timeout=120) == 0
    delivered = [n for log in logs for n in ids(log)]
    assert sorted(delivered) == list(range(300))  # none lost, none delivered twice
    assert sum(1 for log in logs if ids(log)) >= 2  # they really shared the queue
    assert not list((tmp_path / "queue").iterdir())
    assert not [f for folder in (tmp_path / "taken").iterdir() for f in folder.iterdir()]


def test_a_killed_consumer_s_messages_go_back_to_the_queue(tmp_path):
    publish(tmp_path, 20)
    held_log = tmp_path / "held.log"
    holder = consumer(tmp_path, held_log, hold=5)
    deadline = time.monotonic() + 60
    while held_log.read_text().count("took") < 5 if held_log.exists() else True:
        assert time.monotonic() < deadline, "the consumer never took its 5 messages"
        time.sleep(0.05)
    holder.send_signal(signal.SIGKILL)
    holder.wait(timeout=10)
    taken = [int(line.split()[1]) for line in held_log.read_text().splitlines()]

    log = tmp_path / "after.log"
    assert consumer(tmp_path, log).wait(timeout=120) == 0
    assert sorted(ids(log)) == list(range(20))  # the 5 held ones were restored, once each
    assert set(taken) <= set(ids(log))


def test_rejected_with_requeue_comes_back_once_and_ack_deletes(tmp_path):
    publish(tmp_path, 1)
    queue = Queue(QUEUE, Exchange(QUEUE, type="direct"), routing_key=QUEUE)
    with Connection("spool://localhost//", transport_options={"folder": str(tmp_path)}) as conn:
        channel = conn.channel()
        first = queue(channel).get(no_ack=False)
        assert queue(channel).get(no_ack=False) is None  # taken: nobody else sees it
        first.requeue()
        again = queue(channel).get(no_ack=False)
        assert again.payload["id"] == 0
        again.ack()
        assert queue(channel).get(no_ack=False) is None
    assert not list((tmp_path / "queue").iterdir())
    assert not [f for folder in (tmp_path / "taken").iterdir() for f in folder.iterdir()]


def test_unacknowledged_messages_are_restored_when_the_connection_closes(tmp_path):
    publish(tmp_path, 3)
    queue = Queue(QUEUE, Exchange(QUEUE, type="direct"), routing_key=QUEUE)
    with Connection("spool://localhost//", transport_options={"folder": str(tmp_path)}) as conn:
        channel = conn.channel()
        assert queue(channel).get(no_ack=False) is not None
    log = tmp_path / "after.log"
    assert consumer(tmp_path, log).wait(timeout=60) == 0
    assert sorted(ids(log)) == [0, 1, 2]


def test_a_partly_written_message_is_never_in_the_queue_folder(tmp_path, monkeypatch):
    """The writer's file only appears under queue/ by rename, after it is complete."""
    seen = []
    real_replace = os.replace

    def checking_replace(src, dst):
        seen.append(json.loads(Path(src).read_text())["properties"]["delivery_tag"])
        assert not Path(dst).exists()
        return real_replace(src, dst)

    monkeypatch.setattr(spool.os, "replace", checking_replace)
    publish(tmp_path, 2)
    assert len(seen) == 2
    assert len(list((tmp_path / "queue").iterdir())) == 2
    assert not list((tmp_path / "tmp").iterdir())


@pytest.mark.parametrize("url", ["spool://", "filesystem://localhost//"])
def test_folder_brokers_get_their_folder_and_servers_get_nothing(tmp_path, url):
    from workers.celery_app import embedded_broker_options

    assert embedded_broker_options(url, tmp_path)
    assert embedded_broker_options("redis://127.0.0.1:6379/0", tmp_path) == {}


@pytest.mark.django_db(transaction=True)
def test_a_real_worker_killed_mid_validation_on_the_embedded_broker_loses_nothing(embedded_broker, workers, settings):
    """Only the broker can bring the killed worker's messages back: the sweeper's lease is too
    long to rescue them within this test."""
    from evaluation.models import Validation, ValidationResult
    from tests.workers.conftest import wait_for
    from tests.workers.test_pipeline_faults import all_recorded, submit_answers

    settings.QUORUM_VALIDATION_LEASE_S = 3600
    workers.env["QUORUM_VALIDATION_LEASE_S"] = "3600"
    worker = workers.start()
    submit_answers(12, 1.0, max_attempts=10)
    for kill in range(3):
        wait_for(lambda done=kill: ValidationResult.objects.count() > done, timeout_s=120,
                 what=f"a result before kill {kill + 1}")  # fmt: skip
        workers.kill(worker)
        worker = workers.start()
    wait_for(lambda: all_recorded(12), timeout_s=180, what="12 results after 3 kills")
    assert ValidationResult.objects.count() == 12
    assert set(Validation.objects.values_list("state", flat=True)) == {"passed"}
