#!/usr/bin/env python3
"""Upload a UQ answer file to Quorum: one file, standard library only, any Python 3.11+.

    export QUORUM_URL=https://quorum.example.org QUORUM_TOKEN=qrm_…   # scopes read and submit
    quorum-client upload answers.jsonl --model-entry 7                # installed with Quorum
    python3 quorum_client.py upload answers.jsonl --model-entry 7     # or this file, copied anywhere

Each line is UQ's gen_answer.py output: {"question_id", "model_name", "answer", "metadata"};
lines with "error" instead of "answer" (failed generations) are counted, not sent. Before
anything is sent, every line's model_name is checked against the model entry's name (read from
the API): a file of another model is refused unless --allow-model-mismatch is given. Lines that
are not JSON or lack question_id or answer are skipped and listed. Answers go up in batches with
progress; 429 (honouring Retry-After), 5xx and network errors are retried with exponential
backoff; an interrupted upload resumes where it stopped (the state lives in
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
import urllib.parse
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

RETRY_STATUSES = {429, 500, 502, 503, 504}
EXIT_OK, EXIT_SKIPPED, EXIT_STOPPED, EXIT_INTERRUPTED = 0, 1, 2, 130
EXIT_CODES = """exit status:
  0    every answer line was uploaded (failed generations are counted, not sent)
  1    the upload finished, but some lines were skipped (listed, with the reason)
  2    nothing more was sent: the server rejected a batch (its lines are listed), a model_name
       does not match the entry, the server cannot be reached, or the arguments are wrong
  130  interrupted: run the same command again to resume
"""
MAX_LISTED = 20


class UploadError(Exception):
    pass


@dataclass
class Tally:
    lines: int = 0
    created: int = 0
    unchanged: int = 0
    failed_generations: int = 0
    other_models: int = 0
    skipped: list[str] = field(default_factory=list)


@dataclass
class Api:
    url: str
    token: str
    max_attempts: int = 8
    timeout: float = 120.0
    sleep: callable = time.sleep

    def get(self, path: str) -> dict:
        return self._send("GET", path, None, {})

    def post(self, path: str, body: dict, idempotency_key: str) -> dict:
        headers = {"Content-Type": "application/json", "Idempotency-Key": idempotency_key}
        return self._send("POST", path, json.dumps(body).encode(), headers)

    def _send(self, method: str, path: str, data: bytes | None, headers: dict) -> dict:
        headers = {**headers, "Authorization": f"Bearer {self.token}", "User-Agent": "quorum-client/1",
                   "Accept": "application/json"}  # fmt: skip
        for attempt in range(1, self.max_attempts + 1):
            request = urllib.request.Request(  # noqa: S310 — the scheme is checked in main()
                self.url.rstrip("/") + path, data=data, method=method, headers=headers
            )
            try:
                with urllib.request.urlopen(request, timeout=self.timeout) as response:  # noqa: S310 — http(s) checked in main()  # nosec B310
                    return json.loads(response.read() or b"{}")
            except urllib.error.HTTPError as exc:
                payload = _json_or_text(exc.read())
                if exc.code not in RETRY_STATUSES or attempt == self.max_attempts:
                    raise UploadError(_describe(exc.code, payload)) from None
                wait = _retry_after(exc.headers.get("Retry-After"))
                if wait is None:  # "Retry-After: 0" means now
                    wait = _backoff(attempt)
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


# --- resumable state ----------------------------------------------------------------------


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


# --- reading the file ---------------------------------------------------------------------


def classify(number: int, line: str, model_name: str | None) -> tuple[str, object]:
    """What one line is: ("answer", row), ("failed", row), ("other", row), ("blank", None) or
    ("skip", reason)."""
    if not line.strip():
        return "blank", None
    try:
        row = json.loads(line)
    except ValueError as exc:
        return "skip", f"line {number}: not valid JSON ({exc})"
    if not isinstance(row, dict):
        return "skip", f"line {number}: not a JSON object"
    if model_name and row.get("model_name") != model_name:
        return "other", row
    if "answer" not in row and "error" in row:
        return "failed", row
    question_id = row.get("question_id")
    if not isinstance(question_id, str) or not question_id.strip():
        return "skip", f"line {number}: no question_id (a non-empty string is needed)"
    if not isinstance(row.get("answer"), str):
        return "skip", f"line {number}: no answer text (an \"answer\" string is needed)"
    return "answer", row


def scan(path: Path, start_line: int, model_name: str | None) -> tuple[int, dict[int, object]]:
    """The file's line count, and the model_name of each answer line from start_line on."""
    total, names = 0, {}
    with path.open(encoding="utf-8") as handle:
        for number, line in enumerate(handle, start=1):
            total = number
            if number >= start_line:
                kind, row = classify(number, line, model_name)
                if kind == "answer":
                    names[number] = row.get("model_name")
    return total, names


def model_mismatches(names: dict[int, object], entry: dict) -> list[str]:
    wanted = entry.get("name")
    return [f"line {number}: model_name {name!r}" if name is not None else f"line {number}: no model_name"
            for number, name in names.items() if name != wanted]  # fmt: skip


def read_batches(path: Path, start_line: int, batch_size: int, model_name: str | None, tally: Tally):
    """Yield (first_line, last_line, items, line_numbers); tally counts what is not sent."""
    batch, numbers, first = [], [], None
    with path.open(encoding="utf-8") as handle:
        for number, line in enumerate(handle, start=1):
            if number < start_line:
                continue
            first = first or number
            tally.lines += 1
            kind, row = classify(number, line, model_name)
            if kind == "skip":
                tally.skipped.append(row)
            elif kind == "failed":
                tally.failed_generations += 1
            elif kind == "other":
                tally.other_models += 1
            elif kind == "answer":
                batch.append({k: row[k] for k in ("question_id", "answer", "metadata") if k in row})
                numbers.append(number)
            if len(batch) >= batch_size:
                yield first, number, batch, numbers
                batch, numbers, first = [], [], None
    if first is not None:
        yield first, None, batch, numbers


# --- the upload ---------------------------------------------------------------------------


def fetch_entry(api: Api, entry_id: int) -> dict:
    try:
        return api.get(f"/api/v1/model-entries/{entry_id}/")
    except UploadError as exc:
        hint = ("give a token with the `read` scope as well as `submit`, or pass "
                "--allow-model-mismatch to skip the model_name check")  # fmt: skip
        if str(exc).startswith("HTTP 404"):
            hint = "check --model-entry: it must be one of your model entries' ids"
        raise UploadError(f"cannot read model entry {entry_id}: {exc}\n  ({hint})") from None


def check_model_names(args, api: Api, path: Path, start: int) -> int:
    """The file's line count; refuses lines whose model_name is not the entry's name."""
    total, names = scan(path, start, args.model_name)
    if args.allow_model_mismatch or not names:
        return total
    entry = fetch_entry(api, args.model_entry)
    mismatches = model_mismatches(names, entry)
    if mismatches:
        listed = "\n".join(f"  {m}" for m in mismatches[:MAX_LISTED])
        more = f"\n  … and {len(mismatches) - MAX_LISTED:,} more" if len(mismatches) > MAX_LISTED else ""
        raise UploadError(
            f"nothing sent: {len(mismatches):,} of {len(names):,} answer lines name another model "
            f"than model entry {args.model_entry} ({entry.get('name')!r}):\n{listed}{more}\n"
            "  Upload each model's answers to its own entry (--model-name NAME selects one model's "
            "lines), or pass --allow-model-mismatch if this entry is the right one."
        )
    return total


def upload(args, api: Api, tally: Tally) -> None:
    path = Path(args.file)
    identity = _file_identity(path, args.url, args.model_entry)
    state = _load_state(path, "" if args.restart else identity)
    state["identity"] = identity
    start = state["next_line"]
    total = check_model_names(args, api, path, start)
    if start > 1:
        print(f"resuming at line {start:,} (use --restart to start over)", file=sys.stderr)
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
        done = last or total
        _save_state(path, state, done + 1)
        percent = 100 * done / max(total, 1)
        print(f"  {done:,}/{total:,} lines ({percent:.0f}%) · {tally.created:,} created · "
              f"{tally.unchanged:,} already there", file=sys.stderr)  # fmt: skip
    _state_path(path).unlink(missing_ok=True)


def _with_line_numbers(message: str, numbers: list[int]) -> str:
    lines = []
    for line in message.splitlines():
        if line.startswith("  item "):
            index = line[7:].split(":", 1)[0]
            if index.isdigit() and int(index) < len(numbers):
                line = f"  line {numbers[int(index)]}:{line.split(':', 1)[1]}"
        lines.append(line)
    return "\n".join(lines)


def _report_skipped(tally: Tally) -> None:
    if tally.skipped:
        print(f"{len(tally.skipped):,} lines skipped (not sent; fix them and run again, "
              "re-sent answers count as already there):", file=sys.stderr)  # fmt: skip
        for note in tally.skipped:
            print(f"  {note}", file=sys.stderr)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="quorum-client", description=__doc__.split("\n\n")[0], epilog=EXIT_CODES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )  # fmt: skip
    commands = parser.add_subparsers(dest="command", required=True)
    up = commands.add_parser("upload", help="upload a UQ answer file", epilog=EXIT_CODES,
                             formatter_class=argparse.RawDescriptionHelpFormatter)  # fmt: skip
    up.add_argument("file")
    up.add_argument("--url", default=os.environ.get("QUORUM_URL", "http://127.0.0.1:8000"),
                    help="the Quorum site (default: $QUORUM_URL or http://127.0.0.1:8000)")  # fmt: skip
    up.add_argument("--token", default=os.environ.get("QUORUM_TOKEN"), help="default: $QUORUM_TOKEN")
    up.add_argument("--model-entry", type=int, required=True, help="your model entry's id")
    up.add_argument("--model-name", help="send only the lines with this model_name (default: all)")
    up.add_argument("--allow-model-mismatch", action="store_true",
                    help="send lines whose model_name is not the entry's name")  # fmt: skip
    up.add_argument("--source", help="question source, if ids exist in several")
    up.add_argument("--batch-size", type=int, default=500, choices=range(1, 1001), metavar="1..1000")
    up.add_argument("--restart", action="store_true", help="ignore saved progress")
    return parser


def main(argv=None, api_factory=Api) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if not args.token:
        parser.error("give --token or set QUORUM_TOKEN")
    if urllib.parse.urlsplit(args.url).scheme not in ("http", "https"):
        parser.error(f"--url must start with http:// or https://, got {args.url!r}")
    if not Path(args.file).is_file():
        parser.error(f"no such file: {args.file}")
    tally = Tally()
    try:
        upload(args, api_factory(args.url, args.token), tally)
    except UploadError as exc:
        _report_skipped(tally)
        print(f"upload stopped: {exc}\nProgress is saved; fix the problem and run again.", file=sys.stderr)
        return EXIT_STOPPED
    except KeyboardInterrupt:
        print("\ninterrupted; run the same command again to resume", file=sys.stderr)
        return EXIT_INTERRUPTED
    _report_skipped(tally)
    others = f", {tally.other_models:,} lines of other models left out" if tally.other_models else ""
    print(f"done: {tally.lines:,} lines, {tally.created:,} answers created, {tally.unchanged:,} "
          f"already there, {tally.failed_generations:,} failed generations skipped, "
          f"{len(tally.skipped):,} lines skipped{others}")  # fmt: skip
    return EXIT_SKIPPED if tally.skipped else EXIT_OK


if __name__ == "__main__":
    sys.exit(main())
