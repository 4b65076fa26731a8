"""Reliability with real workers: a worker killed in the middle of a replay; the broker restarted."""

import os
import subprocess
import time

import pytest
from django.db.models import Count

from evaluation.models import Replay, ValidationResult
from evaluation.services import replay_start, validator_config_save
from tests.workers.conftest import wait_for
from tests.workers.test_pipeline_faults import all_recorded, slow_judge, submit_answers

pytestmark = pytest.mark.django_db(transaction=True)


def test_a_worker_killed_during_a_replay_finishes_it_with_one_result_per_answer(workers):
    answers = submit_answers(8, 0.0, run_on_new=False)
    replayer = validator_config_save(name="replayer", config=slow_judge(1.0), actor=None, max_attempts=30)
    replay = replay_start(validator=replayer, actor=None, filters={})
    assert replay.total == len(answers)
    worker = workers.start(concurrency=2)
    wait_for(lambda: ValidationResult.objects.filter(config_hash=replayer.config_hash).exists(), timeout_s=120,
             what="the replay under way")  # fmt: skip
    time.sleep(0.5)  # mid-judgement: each takes a second
    workers.kill(worker)
    done_before_restart = ValidationResult.objects.filter(config_hash=replayer.config_hash).count()
    assert done_before_restart < len(answers)
    workers.start(concurrency=2)
    wait_for(lambda: Replay.objects.get(pk=replay.pk).status == "completed", timeout_s=180,
             what="the replay completed after the kill")  # fmt: skip
    per_answer = ValidationResult.objects.filter(config_hash=replayer.config_hash).values("answer").annotate(n=Count("id"))
    assert sorted(row["n"] for row in per_answer) == [1] * len(answers)


RESTART_BROKER = os.environ.get("QUORUM_TEST_RESTART_BROKER", "")


@pytest.mark.skipif(not RESTART_BROKER, reason="QUORUM_TEST_RESTART_BROKER is not set (CI sets it)")
def test_the_broker_restarted_while_workers_validate_loses_nothing(workers):
    """A broker without persistence loses its queued messages on restart: the sweeper re-publishes."""
    n = 12
    submit_answers(n, 0.5, max_attempts=30)
    workers.start(concurrency=2)
    wait_for(lambda: ValidationResult.objects.exists(), timeout_s=120, what="validation under way")
    assert ValidationResult.objects.count() < n
    subprocess.run(RESTART_BROKER, shell=True, check=True, timeout=60)  # noqa: S602 - CI's own command
    wait_for(lambda: all_recorded(n), timeout_s=240, what=f"{n} results after the broker restart")
    per_answer = ValidationResult.objects.values("answer").annotate(n=Count("id"))
    assert sorted(row["n"] for row in per_answer) == [1] * n
