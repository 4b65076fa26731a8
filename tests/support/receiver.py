"""A real webhook receiver for tests: an HTTP server on 127.0.0.1 that verifies Standard
Webhooks signatures with `standardwebhooks`, records every request, and answers as scripted."""

import contextlib
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from standardwebhooks import Webhook, WebhookVerificationError


@dataclass
class Reply:
    status: int = 200
    headers: dict = field(default_factory=dict)
    body: bytes = b"ok"
    delay_s: float = 0.0


@dataclass
class Received:
    path: str
    headers: dict
    body: str
    verified: bool


class Receiver:
    def __init__(self) -> None:
        self.requests: list[Received] = []
        self.secrets: dict[str, str] = {}  # path → the endpoint's secret
        self._replies: list[Reply] = []
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()

    def url(self, path: str = "/hook") -> str:
        return f"http://127.0.0.1:{self._server.server_port}{path}"

    def reply(self, *replies: Reply) -> None:
        """The next answers, in order; then 200."""
        self._replies.extend(replies)

    def verify(self, request: Received, secret: str | None = None) -> dict:
        return Webhook(secret or self.secrets[request.path]).verify(request.body, request.headers)

    def close(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    def _handler(self):
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802
                body = self.rfile.read(int(self.headers.get("content-length", 0))).decode()
                headers = {k.lower(): v for k, v in self.headers.items()}
                receiver.requests.append(
                    Received(self.path, headers, body, receiver._verified(self.path, body, headers))
                )
                reply = receiver._replies.pop(0) if receiver._replies else Reply()
                time.sleep(reply.delay_s)
                with contextlib.suppress(OSError):  # the sender may have given up waiting
                    self.send_response(reply.status)
                    for name, value in reply.headers.items():
                        self.send_header(name, value)
                    self.send_header("content-length", str(len(reply.body)))
                    self.end_headers()
                    self.wfile.write(reply.body)

            def log_message(self, *args):
                pass

        return Handler

    def _verified(self, path: str, body: str, headers: dict) -> bool:
        secret = self.secrets.get(path)
        if secret is None:
            return False
        try:
            Webhook(secret).verify(body, headers)
        except WebhookVerificationError:
            return False
        return True
