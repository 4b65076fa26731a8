"""Export files: one writer per format (JSON Lines, CSV, Parquet), the dataset card, the zip.

Writers take rows a chunk at a time, so memory stays bounded whatever the table's size.
"""

import csv
import hashlib
import json
import os
import zipfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from leaderboards.models import ExportFormat

Write = Callable[[list[dict]], None]
EXTENSIONS = {ExportFormat.JSONL: "jsonl", ExportFormat.CSV: "csv", ExportFormat.PARQUET: "parquet"}
# The `datasets` builder that reads each format (the dataset card's loading example).
BUILDERS = {ExportFormat.JSONL: "json", ExportFormat.CSV: "csv", ExportFormat.PARQUET: "parquet"}


def _plain(value):
    return value.isoformat() if isinstance(value, datetime) else value


@contextmanager
def _jsonl(path: Path, schema: pa.Schema) -> Iterator[Write]:
    with open(path, "w", encoding="utf-8", newline="\n") as out:
        yield lambda rows: out.writelines(json.dumps(row, ensure_ascii=False, default=_plain) + "\n" for row in rows)


def _csv_cell(value):
    if isinstance(value, list):
        return json.dumps(value, ensure_ascii=False)
    return _plain(value)


@contextmanager
def _csv(path: Path, schema: pa.Schema) -> Iterator[Write]:
    with open(path, "w", encoding="utf-8", newline="") as out:
        writer = csv.DictWriter(out, fieldnames=schema.names)
        writer.writeheader()
        yield lambda rows: writer.writerows({k: _csv_cell(v) for k, v in row.items()} for row in rows)


@contextmanager
def _parquet(path: Path, schema: pa.Schema) -> Iterator[Write]:
    with pq.ParquetWriter(path, schema) as writer:
        yield lambda rows: writer.write_batch(pa.RecordBatch.from_pylist(rows, schema=schema))


WRITERS = {ExportFormat.JSONL: _jsonl, ExportFormat.CSV: _csv, ExportFormat.PARQUET: _parquet}


def table_writer(fmt: str, path: Path, schema: pa.Schema):
    """A context manager giving `write(rows)`; the file has the schema's columns even when empty."""
    return WRITERS[fmt](path, schema)


def file_name(table: str, fmt: str) -> str:
    return f"{table}.{EXTENSIONS[fmt]}"


def publish_zip(folder: Path, target: Path) -> tuple[int, str]:
    """Zip the folder's files under a temporary name, then move it into place: a reader never
    sees a half-written archive, and a failure leaves no partial file. Returns (size, sha256)."""
    part = target.with_name(f".{target.name}.part")
    try:
        with zipfile.ZipFile(part, "w", compression=zipfile.ZIP_DEFLATED, allowZip64=True) as archive:
            for path in sorted(folder.iterdir()):
                archive.write(path, arcname=path.name)
        with open(part, "rb") as stored:
            digest = hashlib.file_digest(stored, "sha256").hexdigest()
        size = part.stat().st_size
        os.replace(part, target)
    except BaseException:
        part.unlink(missing_ok=True)
        raise
    return size, digest


# --- the dataset card ------------------------------------------------------------------------


def licence_id(text: str) -> str:
    """'CC BY-SA 4.0' → 'cc-by-sa-4.0' (the Hugging Face card's identifiers)."""
    return "-".join(text.lower().replace("_", " ").replace("-", " ").split())


def dataset_card(*, title: str, fmt: str, counts: dict[str, int], about: list[str], data_licence: str,
                 sites: list[dict], columns: dict[str, list[str]]) -> str:  # fmt: skip
    """README.md in the Hugging Face dataset-card style: a YAML header whose `configs` map each
    table to its file, so `datasets.load_dataset(folder, table)` loads it."""
    licences = sorted({licence_id(data_licence)} | {licence_id(s["licence"]) for s in sites if s["licence"]})
    header = [
        "---",
        "license:", *(f"- {json.dumps(name)}" for name in licences),
        f"pretty_name: {json.dumps(title)}",
        "configs:",
    ]  # fmt: skip
    # `datasets` cannot load a table without rows: the default is the first table with some.
    first = next((table for table, rows in counts.items() if rows), next(iter(counts)))
    for table in counts:
        header += [f"- config_name: {table}", f"  data_files: {json.dumps(file_name(table, fmt))}"]
        header += ["  default: true"] if table == first else []
    header.append("---")
    body = [
        f"# {title}", "", *about, "",
        "## Tables", "", "| table | file | rows | columns |", "|---|---|---|---|",
        *(f"| {t} | `{file_name(t, fmt)}` | {n} | {', '.join(columns[t])} |" for t, n in counts.items()),
        "", "Keys: `answers.question` → `questions.id`, `validations.answer` and `reviews.answer` → "
        "`answers.id`. Times are UTC. In CSV files lists are JSON text. A table without rows keeps "
        "its columns, but `datasets` refuses to load it (read it with pandas or pyarrow).", "",
        "## Loading", "", "```python", "from datasets import load_dataset", "",
        f'load_dataset("path/to/this/folder", "{first}")  # after unzipping',
        f'load_dataset("{BUILDERS[fmt]}", data_files="{file_name(first, fmt)}")', "```", "",
        *attribution(data_licence=data_licence, sites=sites),
    ]  # fmt: skip
    return "\n".join(header + body) + "\n"


def attribution(*, data_licence: str, sites: list[dict]) -> list[str]:
    """The licence and attribution section (also the archive's LICENSE file)."""
    lines = [
        "## Licence and attribution", "",
        "Questions keep their source's licence and attribution (the `licence`, `attribution` and "
        "`link` columns of every question). Questions from Stack Exchange are licensed under "
        "CC BY-SA 4.0: attribute them to their site and link to the original post (`link`).", "",
    ]  # fmt: skip
    if sites:
        lines += ["| site | address | licence | attribution | questions |", "|---|---|---|---|---|"]
        lines += [
            f"| {s['name']} | {s['url'] or '—'} | {s['licence']} | {s['attribution'] or '—'} | {s['questions']} |"
            for s in sites
        ]
        lines.append("")
    lines += [
        f"Answers, validation results and reviews: {data_licence}, by the contributors of this "
        "Quorum site. Reviewers are pseudonymised (a keyed hash, stable across exports); no "
        "names, e-mail addresses, comments or flags are included.",
    ]
    return lines
