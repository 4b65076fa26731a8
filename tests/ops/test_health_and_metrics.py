"""/healthz, /readyz and /metrics: what operators' probes and Prometheus read."""

import re
from functools import partial

import pytest
from django.test import override_settings

from config.env import networks
from evaluation.services import validation_record, validations_create, validator_config_save
from submissions.models import Answer
from tests.factories import ModelEntryFactory, QuestionFactory

UNREACHABLE_BROKER = "redis://:hunter2-broker-password@127.0.0.1:1/0"


def test_healthz_answers_without_the_database_or_an_allowed_host(client):  # no `db`: a query fails
    response = client.get("/healthz", HTTP_HOST="10.1.2.3:8000")
    assert response.status_code == 200 and response.json() == {"status": "alive"}


@override_settings(SECURE_SSL_REDIRECT=True, ALLOWED_HOSTS=["quorum.example.org"])
def test_probes_skip_the_https_redirect_and_host_check(client, db):
    assert client.get("/readyz", HTTP_HOST="10.1.2.3:8000").status_code == 200
    assert client.get("/", HTTP_HOST="quorum.example.org").status_code == 301


def test_readyz_is_ready_when_database_and_broker_answer(client, db):
    response = client.get("/readyz")
    assert response.status_code == 200 and response.json() == {"status": "ready"}


def test_readyz_names_the_broker_when_it_is_down(client, db, monkeypatch):
    broker_down(monkeypatch)
    response = client.get("/readyz")
    assert response.status_code == 503
    assert set(response.json()["failed"]) == {"broker"}
    assert "hunter2" not in response.content.decode()


def test_readyz_names_the_database_when_it_is_down(client, db, monkeypatch):
    from django.db import OperationalError

    class Refusing:
        def cursor(self):
            raise OperationalError("connection refused")

    monkeypatch.setattr("ops.probes.connection", Refusing())
    response = client.get("/readyz")
    assert response.status_code == 503
    assert response.json()["failed"] == {"database": "OperationalError"}


def test_metrics_are_refused_without_token_or_allowed_address(client, db):
    assert client.get("/metrics").status_code == 403
    with override_settings(QUORUM_METRICS_TOKEN="scrape-token-0123456789"):
        assert client.get("/metrics", HTTP_AUTHORIZATION="Bearer wrong").status_code == 403


@override_settings(QUORUM_METRICS_ALLOWED_IPS=networks("10.0.0.0/8"))
def test_metrics_allow_listed_addresses(client, db):
    assert client.get("/metrics", REMOTE_ADDR="10.9.8.7").status_code == 200
    assert client.get("/metrics", REMOTE_ADDR="192.0.2.1").status_code == 403


@override_settings(QUORUM_METRICS_TOKEN="scrape-token-0123456789")
def test_metrics_count_requests_by_route_and_read_queue_depths(client, db):
    question = QuestionFactory()
    client.get(f"/questions/{question.pk}/")
    client.get("/no/such/page/")
    text = scrape(client)
    assert sample(text, "quorum_http_requests_total", route="/questions/<int:pk>/", method="GET", status="200") >= 1
    assert sample(text, "quorum_http_requests_total", route="unmatched", method="GET", status="404") >= 1
    assert sample(text, "quorum_http_request_duration_seconds_count", route="/questions/<int:pk>/", method="GET") >= 1
    assert sample(text, "quorum_broker_up") == 1
    for queue in ("default", "llm_io", "gpu"):
        assert sample(text, "quorum_queue_depth", queue=queue) >= 0
    assert f'route="/questions/{question.pk}/"' not in text


@override_settings(QUORUM_METRICS_TOKEN="scrape-token-0123456789")
def test_metrics_report_the_broker_down_instead_of_failing(client, db, monkeypatch):
    broker_down(monkeypatch)
    text = scrape(client)
    assert sample(text, "quorum_broker_up") == 0
    assert "quorum_queue_depth{" not in text


@override_settings(QUORUM_METRICS_TOKEN="scrape-token-0123456789")
def test_metrics_give_quantiles_of_recent_validation_latency(client, db):
    validator = validator_config_save(
        name="judge", config={"name": "judge", "judges": {"default": {"kind": "scripted", "model": "s"}},
                              "pipeline": "vanilla"}, actor=None, is_primary=False,
    )  # fmt: skip
    entry = ModelEntryFactory()
    answers = [Answer.objects.create(question=QuestionFactory(), model_entry=entry, text="a", content_hash=str(n))
               for n in range(4)]  # fmt: skip
    ids = validations_create(answers=Answer.objects.filter(pk__in=[a.pk for a in answers]), validator=validator)
    for validation_id, latency in zip(sorted(ids), (1.0, 2.0, 3.0, 10.0), strict=True):
        verdict = {"decision": "accept", "score": 0.9, "latency_s": latency}
        validation_record(result={"validation_id": validation_id, "verdict": verdict})
    text = scrape(client)
    assert sample(text, "quorum_validation_latency_seconds", quantile="0.5") == pytest.approx(2.5)
    assert sample(text, "quorum_validation_latency_seconds", quantile="0.99") > 9


def broker_down(monkeypatch):
    from workers.celery_app import app

    monkeypatch.setattr(app, "connection_for_read", partial(app.connection_for_read, UNREACHABLE_BROKER))


def scrape(client) -> str:
    response = client.get("/metrics", HTTP_AUTHORIZATION="Bearer scrape-token-0123456789")
    assert response.status_code == 200
    return response.content.decode()


def sample(text: str, name: str, **labels: str) -> float:
    for line in text.splitlines():
        match = re.fullmatch(rf"{name}(?:\{{(.*)\}})? (\S+)", line)
        if match and all(f'{k}="{v}"' in (match.group(1) or "") for k, v in labels.items()):
            return float(match.group(2))
    raise AssertionError(f"no {name} {labels} in the scrape")


def test_readyz_answers_within_its_own_timeout_when_the_pool_cannot_connect(monkeypatch):
    """A pool waits 30 s by default for a connection; the probe must answer long before."""
    import threading
    from types import SimpleNamespace

    from psycopg_pool import ConnectionPool

    from ops import probes

    pool = ConnectionPool("host=127.0.0.1 port=1 connect_timeout=1", open=False, timeout=600)
    monkeypatch.setattr(probes, "connection", SimpleNamespace(pool=pool, connection=None))
    answer = []
    probe = threading.Thread(target=lambda: answer.append(probes.database_problem()), daemon=True)
    probe.start()
    probe.join(timeout=10 * probes.PROBE_TIMEOUT_S)
    pool.close(timeout=0)
    assert answer == ["PoolTimeout"], "the probe waited for the pool's own timeout"
