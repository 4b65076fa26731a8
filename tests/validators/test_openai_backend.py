"""The OpenAI-compatible backend through the real `openai` client against a loopback server:
429 with Retry-After, 5xx, timeouts, garbage bodies, fatal errors, capability profiles."""

import email.utils
import math
import time

import pytest

import validators
from tests.validators.helpers import ANSWER, QUESTION
from validators.backends import BackendError, TransientBackendError, make_backend
from validators.backends.base import PROFILES, resolve_profile
from validators.backends.openai_compat import OpenAICompatBackend, parse_retry_after


def backend(server, *, profile="vllm", delays=None, **kwargs):
    async def fake_sleep(seconds):
        delays.append(seconds)

    options = {"max_retries": 3, "backoff_base_s": 0.01, "timeout_s": 5.0, **kwargs}
    if delays is not None:
        options["sleep"] = fake_sleep
    return OpenAICompatBackend(model="judge-model", capabilities=PROFILES[profile],
                               base_url=server.base_url, api_key_env=None, **options)  # fmt: skip


def run_vanilla(server, judge, **node):
    config = {"judges": {"default": {"kind": "openai", "model": "judge-model",
                                     "base_url": server.base_url}},
              "pipeline": {"strategy": "vanilla", **node}}  # fmt: skip
    return validators.judge(QUESTION, ANSWER, config, backends={"default": judge})


def test_429_honours_retry_after(fake_openai):
    fake_openai.plan = [{"status": 429, "headers": {"Retry-After": "7"}}, {"text": "ok [[N]]"}]
    delays = []
    judge = backend(fake_openai, delays=delays)
    verdict = run_vanilla(fake_openai, judge)
    assert verdict["decision"] == "reject"
    assert delays == [7.0]
    assert len(fake_openai.requests) == 2
    assert verdict["calls"] == 1 and verdict["transcripts"][0]["transport_attempts"] == 2
    assert judge.retry_log[0]["reason"] == "HTTP 429"


def test_retry_after_is_capped_and_read_in_every_form():
    assert parse_retry_after({"retry-after": "3"}) == 3.0
    assert parse_retry_after({"retry-after-ms": "250"}) == 0.25
    future = email.utils.formatdate(time.time() + 30, usegmt=True)
    assert 25 <= parse_retry_after({"retry-after": future}) <= 31
    assert parse_retry_after({"retry-after": "soon"}) is None
    assert parse_retry_after({}) is None
    judge = OpenAICompatBackend(model="m", capabilities=PROFILES["generic"],
                                base_url="http://x/v1", backoff_max_s=10)  # fmt: skip
    assert judge._delay(0, 3600) == 10
    assert 0.5 <= judge._delay(0, None) <= 1.0 and 4.0 <= judge._delay(3, None) <= 8.0


def test_5xx_are_retried_with_backoff(fake_openai):
    fake_openai.plan = [{"status": 500}, {"status": 503}, {"text": "[[Y]]"}]
    delays = []
    verdict = run_vanilla(fake_openai, backend(fake_openai, delays=delays))
    assert verdict["decision"] == "accept"
    assert len(delays) == 2 and delays[1] >= delays[0] / 2
    assert verdict["transcripts"][0]["transport_attempts"] == 3


def test_timeouts_are_retried(fake_openai):
    fake_openai.plan = [{"sleep": 1.5}, {"text": "[[Y]]"}]
    judge = backend(fake_openai, timeout_s=0.4)
    started = time.perf_counter()
    verdict = run_vanilla(fake_openai, judge)
    assert verdict["decision"] == "accept"
    assert judge.retry_log[0]["reason"] == "timeout"
    assert time.perf_counter() - started < 1.5


def test_garbage_bodies_are_retried(fake_openai):
    fake_openai.plan = [{"garbage": True}, {"text": "[[Y]]"}]
    judge = backend(fake_openai, delays=[])
    verdict = run_vanilla(fake_openai, judge)
    assert verdict["decision"] == "accept"
    assert judge.retry_log[0]["reason"] == "garbage response"


def test_persistent_failure_is_transient_and_bad_requests_are_not(fake_openai):
    fake_openai.plan = [{"status": 502}] * 3
    with pytest.raises(TransientBackendError) as info:
        run_vanilla(fake_openai, backend(fake_openai, delays=[], max_retries=2))
    assert info.value.status == 502 and len(fake_openai.requests) == 3
    fake_openai.requests.clear()
    fake_openai.plan = [{"status": 400, "message": "bad model"}]
    with pytest.raises(BackendError) as info:
        run_vanilla(fake_openai, backend(fake_openai, delays=[]))
    assert not info.value.transient and "bad model" in str(info.value)
    assert len(fake_openai.requests) == 1


def test_reasoning_models_get_no_temperature(fake_openai):
    judge = make_backend({"kind": "openai", "model": "o3-mini", "base_url": fake_openai.base_url,
                          "api_key_env": None})  # fmt: skip
    assert judge.capabilities == resolve_profile("openai-reasoning", "o3-mini")
    config = {"judges": {"default": {"model": "o3-mini", "params": {
        "temperature": 0.3, "max_tokens": 64, "reasoning_effort": "high"}}}, "pipeline": "vanilla"}
    validators.judge(QUESTION, ANSWER, config, backends={"default": judge})
    body = fake_openai.requests[0]["body"]
    assert "temperature" not in body
    assert body["max_completion_tokens"] == 64 and body["reasoning_effort"] == "high"
    fake_openai.requests.clear()
    vllm = backend(fake_openai, profile="vllm")
    config["judges"]["default"]["model"] = "judge-model"
    validators.judge(QUESTION, ANSWER, config, backends={"default": vllm})
    body = fake_openai.requests[0]["body"]
    assert body["temperature"] == 0.3 and body["max_tokens"] == 64
    assert "reasoning_effort" not in body


def test_samples_batch_with_n_and_logprobs_give_p_yes(fake_openai):
    logprobs = [["Fine ", -0.1, []], ["[[", -0.01, []],
                ["Y", math.log(0.9), [["Y", math.log(0.9)], ["N", math.log(0.1)]]],
                ["]]", -0.01, []]]  # fmt: skip
    fake_openai.plan = [{"text": "Fine [[Y]]", "logprobs": logprobs}]
    verdict = run_vanilla(fake_openai, backend(fake_openai), samples=3)
    body = fake_openai.requests[0]["body"]
    assert body["n"] == 3 and body["logprobs"] is True and body["top_logprobs"] == 5
    assert len(fake_openai.requests) == 1
    assert verdict["calls"] == 3 and verdict["requests"] == 1
    assert verdict["score"] == pytest.approx(0.9)
    assert verdict["prompt_tokens"] == 11 and verdict["completion_tokens"] == 9


def test_key_comes_from_the_named_environment_variable(fake_openai, monkeypatch):
    monkeypatch.setenv("QUORUM_TEST_JUDGE_KEY", "sk-test-123")
    config = {"judges": {"default": {"model": "m", "base_url": fake_openai.base_url,
                                     "api_key_env": "QUORUM_TEST_JUDGE_KEY"}},
              "pipeline": ["cycle_consistency", "fact_check", "correctness"]}
    verdict = validators.judge(QUESTION, ANSWER, config)
    headers = {k.lower(): v for k, v in fake_openai.requests[0]["headers"].items()}
    assert headers["authorization"] == "Bearer sk-test-123"
    assert verdict["calls"] == 4 and verdict["prompt_tokens"] == 44
    assert verdict["decision"] == "accept"
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    with pytest.raises(BackendError, match="OPENAI_API_KEY"):
        validators.judge(QUESTION, ANSWER, {"judges": {"default": {"model": "gpt-4.1"}},
                                            "pipeline": "vanilla"})  # fmt: skip


def test_exhausted_429_carries_retry_after_for_the_worker(fake_openai):
    fake_openai.plan = [{"status": 429, "headers": {"Retry-After": "12"}}] * 2
    with pytest.raises(TransientBackendError) as info:
        run_vanilla(fake_openai, backend(fake_openai, delays=[], max_retries=1))
    assert info.value.retry_after == 12.0 and info.value.status == 429


def test_a_validator_survives_many_event_loops(fake_openai):
    config = {"judges": {"default": {"model": "m", "base_url": fake_openai.base_url,
                                     "api_key_env": None}}, "pipeline": "vanilla"}  # fmt: skip
    validator = validators.Validator(config)
    for _ in range(3):  # each judge() is its own asyncio.run, as in a Celery worker
        assert validator.judge(QUESTION, ANSWER)["decision"] == "accept"
    assert len(fake_openai.requests) == 3


@pytest.mark.parametrize(("spec", "profile"), [
    ({"model": "gpt-4.1"}, "openai"),
    ({"model": "gpt-4.1", "base_url": "https://api.openai.com/v1"}, "openai"),
    ({"model": "o4-mini"}, "openai-reasoning"),
    ({"model": "Qwen/Qwen3-8B", "base_url": "http://gpu:8000/v1"}, "generic"),
    ({"model": "Qwen/Qwen3-8B", "base_url": "http://gpu:8000/v1", "profile": "vllm"}, "vllm"),
])  # fmt: skip
def test_auto_profile(spec, profile):
    judge = make_backend({"kind": "openai", "api_key_env": None, **spec})
    assert judge.capabilities == PROFILES[profile]


def test_capability_overrides():
    judge = make_backend({"kind": "openai", "model": "m", "base_url": "http://x/v1",
                          "profile": "vllm", "capabilities": {"logprobs": False}})  # fmt: skip
    assert judge.capabilities.n and not judge.capabilities.logprobs
