"""Every response carries an X-Request-ID; every log line is one JSON object carrying it."""

import json
import logging

import pytest


def test_a_request_gets_an_id_on_its_response(client, db):
    first, second = client.get("/"), client.get("/")
    assert len(first["X-Request-ID"]) == 32
    assert first["X-Request-ID"] != second["X-Request-ID"]


def test_the_proxys_request_id_is_kept(client, db):
    response = client.get("/", HTTP_X_REQUEST_ID="lb-7f3a9c2e-0001")
    assert response["X-Request-ID"] == "lb-7f3a9c2e-0001"


@pytest.mark.parametrize("forged", ["x", "id\nERROR forged line", "a" * 300, "<script>"])
def test_a_malformed_request_id_is_replaced(client, db, forged):
    response = client.get("/", HTTP_X_REQUEST_ID=forged)
    assert response["X-Request-ID"] != forged and len(response["X-Request-ID"]) == 32


def test_log_lines_are_json_with_the_request_id(client, db, json_logs):
    response = client.get("/no/such/page/", HTTP_X_REQUEST_ID="lb-7f3a9c2e-0002")
    lines = [json.loads(line) for line in json_logs.getvalue().splitlines()]
    access = [line for line in lines if line["logger"] == "quorum.access"]
    assert access == [{
        "time": access[0]["time"], "level": "INFO", "logger": "quorum.access",
        "message": "GET unmatched 404", "request_id": "lb-7f3a9c2e-0002",
        "method": "GET", "route": "unmatched", "status": 404, "duration_ms": access[0]["duration_ms"],
    }]  # fmt: skip
    not_found = [line for line in lines if line["logger"] == "django.request"]
    assert not_found and not_found[0]["request_id"] == response["X-Request-ID"]


def test_log_lines_after_a_request_carry_no_id(client, db, json_logs):
    client.get("/", HTTP_X_REQUEST_ID="lb-7f3a9c2e-0003")
    logging.getLogger("quorum.test").warning("beat tick")
    line = json.loads(json_logs.getvalue().splitlines()[-1])
    assert line["message"] == "beat tick" and line["request_id"] == "-"
