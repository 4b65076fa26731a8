"""A tiny OpenAI-compatible HTTP server on loopback, scripted per test (faults included)."""

import json
import threading
import time
from collections import deque

from tests.support.loopback import LoopbackServer, QuietHandler


class FakeOpenAI(LoopbackServer):
    def __init__(self, answer: str = "A careful answer.", delay_s: float = 0.0):
        self.answer = answer
        self.delay_s = delay_s
        self.faults: deque[tuple[int, dict]] = deque()  # (status, headers) served before successes
        self.requests: list[dict] = []
        self._lock = threading.Lock()
        fake = self

        class Handler(QuietHandler):
            def do_POST(self):  # noqa: N802
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                with fake._lock:
                    fake.requests.append({"path": self.path, "body": body, "auth": self.headers.get("Authorization")})
                    fault = fake.faults.popleft() if fake.faults else None
                if fake.delay_s:
                    time.sleep(fake.delay_s)
                if fault:
                    status, headers = fault
                    self._send(status, {"error": {"message": "scripted fault"}}, headers)
                    return
                content = fake.answer
                self._send(200, {
                    "id": "cmpl-1", "object": "chat.completion", "created": 0, "model": body.get("model"),
                    "choices": [{"index": 0, "finish_reason": "stop",
                                 "message": {"role": "assistant", "content": content}}],
                    "usage": {"prompt_tokens": 11, "completion_tokens": 7, "total_tokens": 18},
                })  # fmt: skip

            def _send(self, status, payload, headers=None):
                data = json.dumps(payload).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                for name, value in (headers or {}).items():
                    self.send_header(name, value)
                self.end_headers()
                self.wfile.write(data)

        super().__init__(Handler)

    @property
    def base_url(self) -> str:
        return self.address("/v1")
