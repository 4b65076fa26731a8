#!/usr/bin/env python3
"""Upload a UQ answer file to Quorum — a standalone script (standard library only).

    export QUORUM_TOKEN=qrm_…            # from your profile page, with the `submit` scope
    python client.py upload answers.jsonl --url https://quorum.example.org --model-entry 7

Each line is UQ's gen_answer.py output: {"question_id", "model_name", "answer", "metadata"};
lines with "error" instead of "answer" (failed generations) are skipped and counted. Answers go
up in batches with progress; 429 (honouring Retry-After), 5xx and network errors are retried
with exponential backoff; an interrupted upload resumes where it stopped (the state lives in
FILE.quorum-upload.json). Re-sending is always safe: the server treats identical answers as
already submitted.
"""

import argparse
import hashlib
import json
import os
import random
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

RETRY_STATUSES = {429, 500, 502, 503, 504}


class UploadError(Exception):
    pass


@dataclass
class Tally:
    lines: int = 0
    created: int = 0
    unchanged: int = 0
    failed_generations: int = 0
    skipped: list[str] = field(default_factory=list)


@dataclass
class Api:
    url: str
    token: str
    max_attempts: int = 8
    timeout: float = 120.0
    sleep: callable = time.sleep

    def post(self, path: str, body: dict, idempotency_key: str) -> dict:
        data = json.dumps(body).encode()
        for attempt in range(1, self.max_attempts + 1):
            request = urllib.request.Request(  # noqa: S310 — the scheme is checked in main()
                self.url.rstrip("/") + path, data=data, method="POST",
                headers={"Authorization": f"Bearer {self.token}", "Content-Type": "application/json",
                         "Idempotency-Key": idempotency_key, "User-Agent": "quorum-client/1"},
            )  # fmt: skip
            try:
                with urllib.request.urlopen(request, timeout=self.timeout) as response:  # noqa: S310 — http(s) checked in main()  # nosec B310
                    return json.loads(response.read() or b"{}")
            except urllib.error.HTTPError as exc:
                payload = _json_or_text(exc.read())
                if exc.code not in RETRY_STATUSES or attempt == self.max_attempts:
                    raise UploadError(_describe(exc.code, payload)) from None
                wait = _retry_after(exc.headers.get("Retry-After")) or _backoff(attempt)
            except (urllib.error.URLError, TimeoutError, ConnectionError) as exc:
                if attempt == self.max_attempts:
                    raise UploadError(f"cannot reach {self.url}: {exc}") from None
                wait = _backoff(attempt)
            print(f"  retrying in {wait:.1f}s (attempt {attempt + 1}/{self.max_attempts})", file=sys.stderr)
            self.sleep(wait)
        raise UploadError("unreachable")


def _json_or_text(raw: bytes):
    try:
        return json.loads(raw)
    except ValueError:
        return raw.decode(errors="replace")[:500]


def _describe(status: int, payload) -> str:
    if isinstance(payload, dict):
        lines = [f"HTTP {status}: {payload.get('detail', payload)}"]
        for error in payload.get("errors", [])[:50]:
            lines.append(f"  item {error.get('index')}: {error.get('field')}: {error.get('reason')}")
        return "\n".join(lines)
    return f"HTTP {status}: {payload}"


def _retry_after(value: str | None) -> float | None:
    try:
        return max(0.0, float(value)) if value else None
    except ValueError:
        return None


def _backoff(attempt: int) -> float:
    return min(60.0, 0.5 * 2 ** (attempt - 1)) * (0.5 + random.random() / 2)  # noqa: S311


def _state_path(path: Path) -> Path:
    return path.with_name(path.name + ".quorum-upload.json")


def _file_identity(path: Path, url: str, entry: int) -> str:
    with path.open("rb") as handle:
        head = handle.read(1 << 16)
    return hashlib.sha256(f"{url}|{entry}|{path.stat().st_size}|".encode() + head).hexdigest()


def _load_state(path: Path, identity: str) -> dict:
    """Where a previous run of the same upload stopped, and its run id (for idempotency keys)."""
    fresh = {"identity": identity, "next_line": 1, "run": os.urandom(8).hex()}
    state_file = _state_path(path)
    if not state_file.exists():
        return fresh
    try:
        state = json.loads(state_file.read_text())
    except ValueError:
        return fresh
    return state if state.get("identity") == identity else fresh


def _save_state(path: Path, state: dict, next_line: int) -> None:
    _state_path(path).write_text(json.dumps({**state, "next_line": next_line}))


def read_batches(path: Path, start_line: int, batch_size: int, model_name: str | None, tally: Tally):
    """Yield (first_line, last_line, items, line_numbers), skipping failed generations."""
    batch, numbers, first = [], [], None
    with path.open(encoding="utf-8") as handle:
        for number, line in enumerate(handle, start=1):
            if number < start_line:
                continue
            first = first or number
            tally.lines += 1
            if not line.strip():
                continue
            try:
                row = json.loads(line)
            except ValueError as exc:
                tally.skipped.append(f"line {number}: not valid JSON ({exc})")
                continue
            if not isinstance(row, dict):
                tally.skipped.append(f"line {number}: not a JSON object")
            elif "answer" not in row and "error" in row:
                tally.failed_generations += 1
            elif model_name and row.get("model_name") != model_name:
                tally.skipped.append(f"line {number}: model_name {row.get('model_name')!r} skipped")
            else:
                batch.append({k: row[k] for k in ("question_id", "answer", "metadata") if k in row})
                numbers.append(number)
            if len(batch) >= batch_size:
                yield first, number, batch, numbers
                batch, numbers, first = [], [], None
    if first is not None:
        yield first, None, batch, numbers


def upload(args, api: Api) -> Tally:
    path = Path(args.file)
    identity = _file_identity(path, args.url, args.model_entry)
    state = _load_state(path, "" if args.restart else identity)
    state["identity"] = identity
    start = state["next_line"]
    if start > 1:
        print(f"resuming at line {start:,} (use --restart to start over)", file=sys.stderr)
    total = sum(1 for _ in path.open(encoding="utf-8"))
    tally = Tally()
    for first, last, items, numbers in read_batches(path, start, args.batch_size, args.model_name, tally):
        if items:
            body = {"model_entry": args.model_entry, "answers": items}
            if args.source:
                body["source"] = args.source
            key = hashlib.sha256(f"{state['run']}|{first}|{json.dumps(items)}".encode()).hexdigest()
            try:
                result = api.post("/api/v1/answers/bulk/", body, key)
            except UploadError as exc:
                raise UploadError(_with_line_numbers(str(exc), numbers)) from None
            tally.created += result.get("created", 0)
            tally.unchanged += result.get("unchanged", 0)
        done = (last or total)
        _save_state(path, state, done + 1)
        percent = 100 * done / max(total, 1)
        print(f"  {done:,}/{total:,} lines ({percent:.0f}%) · {tally.created:,} created · "
              f"{tally.unchanged:,} already there", file=sys.stderr)  # fmt: skip
    _state_path(path).unlink(missing_ok=True)
    return tally


def _with_line_numbers(message: str, numbers: list[int]) -> str:
    lines = []
    for line in message.splitlines():
        if line.startswith("  item "):
            index = line[7:].split(":", 1)[0]
            if index.isdigit() and int(index) < len(numbers):
                line = f"  line {numbers[int(index)]}:{line.split(':', 1)[1]}"
        lines.append(line)
    return "\n".join(lines)


def main(argv=None, api_factory=Api) -> int:
    parser = argparse.ArgumentParser(prog="quorum-client", description=__doc__.split("\n\n")[0])
    commands = parser.add_subparsers(dest="command", required=True)
    up = commands.add_parser("upload", help="upload a UQ answer file")
    up.add_argument("file")
    up.add_argument("--url", default=os.environ.get("QUORUM_URL", "http://127.0.0.1:8000"))
    up.add_argument("--token", default=os.environ.get("QUORUM_TOKEN"), help="default: $QUORUM_TOKEN")
    up.add_argument("--model-entry", type=int, required=True, help="your model entry's id")
    up.add_argument("--model-name", help="only lines with this model_name (default: all)")
    up.add_argument("--source", help="question source, if ids exist in several")
    up.add_argument("--batch-size", type=int, default=500, choices=range(1, 1001), metavar="1..1000")
    up.add_argument("--restart", action="store_true", help="ignore saved progress")
    args = parser.parse_args(argv)
    if not args.token:
        parser.error("give --token or set QUORUM_TOKEN")
    if not args.url.startswith(("http://", "https://")):
        parser.error(f"--url must start with http:// or https://, got {args.url!r}")
    if not Path(args.file).is_file():
        parser.error(f"no such file: {args.file}")
    try:
        tally = upload(args, api_factory(args.url, args.token))
    except UploadError as exc:
        print(f"upload stopped: {exc}\nProgress is saved; fix the problem and run again.", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("\ninterrupted; run the same command again to resume", file=sys.stderr)
        return 130
    for note in tally.skipped:
        print(f"  {note}", file=sys.stderr)
    print(f"done: {tally.lines:,} lines, {tally.created:,} answers created, {tally.unchanged:,} "
          f"already there, {tally.failed_generations:,} failed generations skipped, "
          f"{len(tally.skipped):,} lines skipped")  # fmt: skip
    return 0


if __name__ == "__main__":
    sys.exit(main())
