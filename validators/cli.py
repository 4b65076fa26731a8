"""python -m validators {validate,presets,explain,schema}."""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
from collections import Counter
from pathlib import Path
from typing import Any

from ._version import __version__
from .backends import BackendError
from .config import ConfigError, call_bounds, config_hash, explain, json_schema, load
from .core import Validator
from .presets import PRESETS


def _overrides(pairs: list[str] | None) -> dict[str, str]:
    out = {}
    for pair in pairs or []:
        if "=" not in pair:
            raise ConfigError([f"--set {pair!r}: expected KEY.PATH=VALUE"])
        key, value = pair.split("=", 1)
        out[key.strip()] = value
    return out


def read_jsonl(path: str | Path, what: str) -> tuple[list[dict[str, Any]], list[str]]:
    rows, problems = [], []
    with open(path, encoding="utf-8") as handle:
        for number, line in enumerate(handle, 1):
            if not line.strip():
                continue
            try:
                row = json.loads(line)
            except ValueError as exc:
                problems.append(f"{path}:{number}: not JSON ({exc})")
                continue
            if not isinstance(row, dict):
                problems.append(f"{path}:{number}: not a JSON object")
                continue
            rows.append(row)
    return rows, problems


def read_questions(path: str) -> tuple[dict[str, dict[str, Any]], list[str]]:
    """UQ's dataset shape (question_id) and its crawler's shape (id) both work."""
    rows, problems = read_jsonl(path, "question")
    questions = {}
    for row in rows:
        qid = row.get("question_id", row.get("id"))
        if qid is None:
            problems.append(f"{path}: a question without question_id/id: {str(row)[:80]}")
            continue
        questions[str(qid)] = row
    return questions, problems


def done_keys(out: Path, wanted_hash: str) -> set[tuple[str, str]]:
    """(question_id, model_name) already judged with this config; a torn last line (from
    an interruption) is ignored and will be judged again."""
    keys: set[tuple[str, str]] = set()
    if not out.exists():
        return keys
    with out.open(encoding="utf-8") as handle:
        for line in handle:
            try:
                row = json.loads(line)
            except ValueError:
                continue
            verdict = row.get("verdict") or {}
            if "error" not in row and verdict.get("config_hash") == wanted_hash:
                keys.add((str(row.get("question_id")), str(row.get("model_name", ""))))
    return keys


class Progress:
    def __init__(self, total: int, quiet: bool):
        self.total, self.quiet, self.n = total, quiet, 0
        self.bar = None
        if not quiet and total:
            try:
                from tqdm import tqdm

                self.bar = tqdm(total=total, desc="judging", unit="answer", file=sys.stderr)
            except ImportError:
                self.bar = None

    def update(self, counts: Counter) -> None:
        self.n += 1
        if self.bar is not None:
            self.bar.update(1)
            self.bar.set_postfix(accept=counts["accept"], reject=counts["reject"],
                                 abstain=counts["abstain"], error=counts["error"])  # fmt: skip
        elif not self.quiet and (self.n % 10 == 0 or self.n == self.total):
            print(f"judged {self.n}/{self.total}", file=sys.stderr)

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()


async def _validate(args, validator: Validator, items, out: Path) -> Counter:
    counts: Counter = Counter()
    progress = Progress(len(items), args.quiet)
    needs_newline = out.exists() and out.stat().st_size > 0 and not out.read_bytes().endswith(b"\n")
    try:
        with out.open("a", encoding="utf-8") as handle:
            if needs_newline:
                handle.write("\n")
            async for key, verdict, error in validator.judge_many(items, concurrency=args.concurrency):
                qid, model = key
                if error is not None:
                    row = {"question_id": qid, "model_name": model,
                           "error": f"{type(error).__name__}: {error}",
                           "transient": bool(getattr(error, "transient", False)),
                           "config_hash": validator.hash}  # fmt: skip
                    counts["error"] += 1
                    if not isinstance(error, BackendError):
                        print(f"error on {qid} ({model}): {error!r}", file=sys.stderr)
                else:
                    evaluation = verdict.pop("uq_evaluation")
                    if args.no_transcripts:
                        verdict.pop("transcripts", None)
                    row = {"question_id": qid, "model_name": model, "evaluation": evaluation,
                           "verdict": verdict}  # fmt: skip
                    counts[verdict["decision"]] += 1
                    counts["calls"] += verdict["calls"]
                    counts["tokens"] += verdict["prompt_tokens"] + verdict["completion_tokens"]
                handle.write(json.dumps(row, ensure_ascii=False) + "\n")
                handle.flush()
                progress.update(counts)
    finally:
        progress.close()
        await validator.aclose()
    return counts


def cmd_validate(args) -> int:
    config = load(args.config, _overrides(args.set))
    digest = config_hash(config)
    questions, problems = read_questions(args.questions)
    answers, answer_problems = read_jsonl(args.answers, "answer")
    problems += answer_problems
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    done = done_keys(out, digest)
    items, skipped = [], Counter()
    seen: set[tuple[str, str]] = set()
    for row in answers:
        qid, model = str(row.get("question_id")), str(row.get("model_name", ""))
        key = (qid, model)
        if "error" in row and "answer" not in row:
            skipped["failed generation"] += 1
        elif key in done:
            skipped["already judged"] += 1
        elif key in seen:
            skipped["duplicate"] += 1
        elif qid not in questions:
            skipped["unknown question"] += 1
        elif not isinstance(row.get("answer"), str):
            skipped["no answer text"] += 1
        else:
            seen.add(key)
            items.append((key, questions[qid], row))
    if args.limit is not None:
        items = items[: args.limit]
    for problem in problems[:20]:
        print(problem, file=sys.stderr)
    if skipped and not args.quiet:
        print("skipped: " + ", ".join(f"{n} {why}" for why, n in skipped.items()), file=sys.stderr)
    if not args.quiet:
        print(f"config {config.get('name', '(unnamed)')} {digest[:12]}: judging {len(items)} "
              f"answers, {args.concurrency} at a time -> {out}", file=sys.stderr)  # fmt: skip
    validator = Validator(config)
    counts = asyncio.run(_validate(args, validator, items, out))
    print(f"accept {counts['accept']}, reject {counts['reject']}, abstain {counts['abstain']}, "
          f"error {counts['error']}; {counts['calls']} judge calls, {counts['tokens']} tokens",
          file=sys.stderr)  # fmt: skip
    return 1 if counts["error"] else 0


def cmd_presets(args) -> int:
    if args.json:
        print(json.dumps({name: load(name) for name in PRESETS}, indent=2))
        return 0
    for name in PRESETS:
        config = load(name)
        lo, hi = call_bounds(config["pipeline"])
        print(f"{name:16} calls {lo}-{hi:<3} {config_hash(config)[:12]}  {config['description']}")
    return 0


def cmd_explain(args) -> int:
    config = load(args.config, _overrides(args.set))
    if args.json:
        print(json.dumps({"config_hash": config_hash(config), "config": config}, indent=2))
    else:
        print(explain(config))
    return 0


def cmd_schema(args) -> int:
    print(json.dumps(json_schema(), indent=2))
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m validators",
                                     description="Quorum validators: LLM judges for answers.")
    parser.add_argument("--version", action="version", version=f"validators {__version__}")
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("validate", help="judge an answers file (UQ formats), resumable")
    p.add_argument("--questions", required=True, help="questions JSONL (question_id or id)")
    p.add_argument("--answers", required=True, help="answers JSONL (question_id, model_name, answer)")
    p.add_argument("--config", required=True, help="preset name, JSON file or JSON text")
    p.add_argument("--out", required=True, help="results JSONL (appended; resumes)")
    p.add_argument("--set", action="append", metavar="KEY.PATH=VALUE",
                   help="override a config value, e.g. judges.default.model=gpt-4.1")
    p.add_argument("--concurrency", type=int, default=int(os.environ.get("VALIDATORS_CONCURRENCY", 8)),
                   help="answers judged at once (default 8)")
    p.add_argument("--limit", type=int, help="judge at most this many new answers")
    p.add_argument("--no-transcripts", action="store_true", help="leave prompts/replies out")
    p.add_argument("--quiet", action="store_true")
    p.set_defaults(func=cmd_validate)

    p = sub.add_parser("presets", help="list the named configs")
    p.add_argument("--json", action="store_true", help="print them, normalised")
    p.set_defaults(func=cmd_presets)

    p = sub.add_parser("explain", help="steps, judges and worst-case calls of a config")
    p.add_argument("config")
    p.add_argument("--set", action="append", metavar="KEY.PATH=VALUE")
    p.add_argument("--json", action="store_true", help="the normalised config and its hash")
    p.set_defaults(func=cmd_explain)

    p = sub.add_parser("schema", help="print the config JSON Schema")
    p.set_defaults(func=cmd_schema)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return args.func(args)
    except ConfigError as exc:
        print(str(exc), file=sys.stderr)
        return 2
    except FileNotFoundError as exc:
        print(f"file not found: {exc.filename}", file=sys.stderr)
        return 2
