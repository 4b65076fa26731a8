"""Shared test helpers: UQ-shaped scripted judges and a fake OpenAI-compatible server."""

from __future__ import annotations

import contextlib
import json
import threading
import time
from typing import Any

from tests.support.loopback import LoopbackServer, QuietHandler
from validators.backends import ScriptedBackend

QUESTION = {
    "question_id": "q1",
    "title": "Does every bounded sequence have a convergent subsequence?",
    "body": "In R^n, is it true that every bounded sequence has a convergent subsequence?",
    "tags": ["real-analysis", "sequences"],
    "category": "math",
    "site": "math",
}
ANSWER = "Yes: this is the Bolzano-Weierstrass theorem, proven by repeated bisection."


def phase_judge(verdicts: dict[str, list[str]] | None = None, *, default: str = "Y",
                **kwargs) -> ScriptedBackend:  # fmt: skip
    """A scripted judge answering by strategy: `verdicts[strategy]` is consumed per verdict
    call ('Y', 'N', or any raw reply text); inference calls return a question."""
    queues = {k: list(v) for k, v in (verdicts or {}).items()}

    def respond(messages, meta, index):
        if meta.get("phase") == "infer":
            return "Is every bounded sequence in R^n convergent along a subsequence?"
        queue = queues.get(meta.get("strategy"), [])
        reply = queue.pop(0) if queue else default
        if reply in ("Y", "N"):
            return f"Analysis done.\nDecision: [[{reply}]]"
        return reply

    return ScriptedBackend(respond, **kwargs)


class FakeOpenAI(LoopbackServer):
    """A loopback OpenAI-compatible server. `plan` is consumed one entry per request:
    {"status": 429, "headers": {...}}, {"sleep": 2.0}, {"garbage": True},
    {"text": "...", "finish_reason": "stop", "logprobs": [...]}; when empty it replies
    `default_text`."""

    def __init__(self, default_text: str = "Looks right. [[Y]]"):
        self.plan: list[dict[str, Any]] = []
        self.requests: list[dict[str, Any]] = []
        self.default_text = default_text
        self.lock = threading.Lock()
        fake = self

        class Handler(QuietHandler):
            protocol_version = "HTTP/1.1"

            def _send(self, status: int, body: bytes, headers: dict[str, str] | None = None,
                      content_type: str = "application/json"):  # fmt: skip
                self.send_response(status)
                self.send_header("Content-Type", content_type)
                self.send_header("Content-Length", str(len(body)))
                for key, value in (headers or {}).items():
                    self.send_header(key, value)
                self.end_headers()
                with contextlib.suppress(BrokenPipeError, ConnectionResetError):
                    self.wfile.write(body)

            def do_GET(self):
                self._send(200, json.dumps({"data": [{"id": "fake"}]}).encode())

            def do_POST(self):
                length = int(self.headers.get("Content-Length", 0))
                body = json.loads(self.rfile.read(length) or b"{}")
                with fake.lock:
                    fake.requests.append({"path": self.path, "body": body,
                                          "headers": dict(self.headers)})  # fmt: skip
                    step = fake.plan.pop(0) if fake.plan else {}
                if "sleep" in step:
                    time.sleep(step["sleep"])
                if "status" in step:
                    error = {"error": {"message": step.get("message", "slow down"),
                                       "type": "fake", "code": step["status"]}}  # fmt: skip
                    self._send(step["status"], json.dumps(error).encode(), step.get("headers"))
                    return
                if step.get("garbage"):
                    self._send(200, b"<html>502 Bad Gateway</html>", content_type="text/html")
                    return
                n = int(body.get("n", 1) or 1)
                text = step.get("text", fake.default_text)
                choices = []
                for i in range(n):
                    choice: dict[str, Any] = {
                        "index": i, "finish_reason": step.get("finish_reason", "stop"),
                        "message": {"role": "assistant", "content": text},
                    }  # fmt: skip
                    if step.get("logprobs") is not None and body.get("logprobs"):
                        choice["logprobs"] = {"content": [
                            {"token": t, "logprob": lp, "bytes": None,
                             "top_logprobs": [{"token": a, "logprob": alp, "bytes": None}
                                              for a, alp in top]}
                            for t, lp, top in step["logprobs"]]}  # fmt: skip
                    choices.append(choice)
                payload = {
                    "id": "cmpl-1", "object": "chat.completion", "created": 0,
                    "model": body.get("model", "fake"), "choices": choices,
                    "usage": {"prompt_tokens": 11, "completion_tokens": 3 * n,
                              "total_tokens": 11 + 3 * n},
                }  # fmt: skip
                self._send(200, json.dumps(payload).encode())

        super().__init__(Handler)

    @property
    def base_url(self) -> str:
        return self.address("/v1")
