"""A tiny Stack Exchange API 2.3 stand-in on loopback: serves scripted pages in the API's
documented wrapper (items, has_more, quota_max, quota_remaining, backoff, error_*)."""

import json
from collections import deque
from urllib.parse import parse_qs, urlsplit

from tests.support.loopback import LoopbackServer, QuietHandler


def se_question(question_id: int, **fields) -> dict:
    return {
        "question_id": question_id, "title": f"Is there a closed form for S&#39;{question_id}?",
        "body": "<p>Let $x$ be a real number.</p>", "tags": ["analysis", "sequences"],
        "score": 12, "view_count": 900, "answer_count": 0, "is_answered": False,
        "creation_date": 1500000000, "link": f"https://math.stackexchange.com/questions/{question_id}/x",
        "owner": {"display_name": "Ada", "user_id": 7}, **fields,
    }  # fmt: skip


def wrapper(items, *, has_more=False, quota_remaining=290, backoff=None, quota_max=300) -> dict:
    body = {"items": items, "has_more": has_more, "quota_max": quota_max, "quota_remaining": quota_remaining}
    if backoff is not None:
        body["backoff"] = backoff
    return body


def error(error_id: int, name: str, message: str) -> dict:
    return {"error_id": error_id, "error_name": name, "error_message": message}


class FakeStackExchange(LoopbackServer):
    def __init__(self):
        self.responses: deque[tuple[int, dict]] = deque()  # served in order
        self.requests: list[dict] = []
        fake = self

        class Handler(QuietHandler):
            def do_GET(self):  # noqa: N802
                url = urlsplit(self.path)
                query = {k: v[0] for k, v in parse_qs(url.query).items()}
                fake.requests.append({"path": url.path, "query": query})
                status, body = fake.responses.popleft() if fake.responses else (400, error(
                    400, "bad_parameter", "no scripted response left"))  # fmt: skip
                data = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json; charset=utf-8")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

        super().__init__(Handler)

    def serve(self, body: dict, status: int = 200) -> None:
        self.responses.append((status, body))

    @property
    def base_url(self) -> str:
        return self.address("/2.3")
