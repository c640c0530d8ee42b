"""Write rows as CSV, JSON Lines or Parquet, streaming (no table is held in memory).

Value encoding per format, matching the Table Schema in datapackage.json:

========  ===================  ======================  =============================
type      CSV                  JSON Lines              Parquet
========  ===================  ======================  =============================
array     JSON array text      JSON array              list<string>
object    JSON object text     JSON object             string (JSON object text)
boolean   true / false         true / false            bool
missing   empty cell           null                    null
========  ===================  ======================  =============================

Text is written exactly as archived, control characters included, so a release reads
back to the archive's values (docs/export.md, "Text, line breaks and control
characters"): a CSV field holding a comma, a quote, ``\r`` or ``\n`` is quoted, and
rows end in ``\n`` only; a JSON Lines row holds no character that a line reader takes
for a line break (JSON escapes the rest).
"""

from __future__ import annotations

import json
import re
import sqlite3
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from newscrawl.export.fields import Field

FORMATS = {
    "csv": {"extension": "csv", "mediatype": "text/csv"},
    "jsonl": {"extension": "jsonl", "mediatype": "application/jsonl"},
    "parquet": {"extension": "parquet", "mediatype": "application/vnd.apache.parquet"},
}
BATCH = 2000
PROGRESS_EVERY = 20_000


def _decode_json(value: Any, kind: str) -> Any:
    if value is None or value == "":
        return None
    try:
        parsed = json.loads(value)
    except (TypeError, ValueError):
        # A stored value that is not JSON is kept as the single item / a wrapper, never lost.
        return [str(value)] if kind == "array" else {"value": str(value)}
    if kind == "array":
        if not isinstance(parsed, list):
            parsed = [parsed]
        return [
            item if isinstance(item, str) else json.dumps(item)
            for item in parsed
            if item is not None
        ]
    return parsed if isinstance(parsed, dict) else {"value": parsed}


def native(value: Any, spec: Field) -> Any:
    """The database value as a Python value of the field's Table Schema type."""
    if value is None:
        return None
    if spec.type in ("array", "object"):
        return _decode_json(value, spec.type)
    if spec.type == "boolean":
        return bool(value)
    if spec.type == "integer":
        return int(value)
    if spec.type == "number":
        return float(value)
    return str(value)


def _csv_cell(value: Any, spec: Field) -> Any:
    if value is None:
        return ""
    if spec.type in ("array", "object"):
        return json.dumps(value, ensure_ascii=False, sort_keys=True)
    if spec.type == "boolean":
        return "true" if value else "false"
    return value


def rows(conn: sqlite3.Connection, sql: str, fields: tuple[Field, ...]) -> Iterator[list[Any]]:
    """Rows of ``sql`` as native values, in query order."""
    cursor = conn.execute(sql)
    while batch := cursor.fetchmany(BATCH):
        for row in batch:
            yield [native(value, spec) for value, spec in zip(row, fields, strict=True)]


# A field is quoted when it holds the delimiter, the quote or a line break. Python's csv
# writer with lineterminator "\n" quotes a field holding "\n" but not one holding a bare
# "\r" (it looks only for the characters of its line terminator), and every reader that
# also ends rows at "\r" (Python's csv module, pyarrow and frictionless among them) cut
# such a row in two: a hand-edited body or a page whose text has "\r" broke the file.
_NEEDS_QUOTES = re.compile(r'[",\r\n]')


def _csv_field(cell: Any) -> str:
    text = cell if isinstance(cell, str) else str(cell)
    if _NEEDS_QUOTES.search(text):
        return '"' + text.replace('"', '""') + '"'
    return text


def write_csv(
    path: Path, fields: tuple[Field, ...], data: Iterator[list[Any]], tick: Callable[[], None]
) -> int:
    """RFC 4180 CSV, except that rows end in ``\n``: a header row, then one row per record,
    every cell written exactly (see :func:`_csv_field`)."""
    count = 0
    with path.open("w", encoding="utf-8", newline="") as handle:
        handle.write(",".join(_csv_field(f.name) for f in fields) + "\n")
        for row in data:
            cells = (_csv_field(_csv_cell(v, f)) for v, f in zip(row, fields, strict=True))
            handle.write(",".join(cells) + "\n")
            count += 1
            tick()
    return count


# Line breaks to str.splitlines() and to many JSON Lines readers that json.dumps leaves
# as they are (it escapes only U+0000-U+001F, '"' and '\\'); inside a JSON string, where
# alone they can occur, their escapes mean the same characters.
_JSON_LINE_BREAKS = str.maketrans({"\x85": "\\u0085", "\u2028": "\\u2028", "\u2029": "\\u2029"})


def write_jsonl(
    path: Path, fields: tuple[Field, ...], data: Iterator[list[Any]], tick: Callable[[], None]
) -> int:
    count = 0
    names = [f.name for f in fields]
    with path.open("w", encoding="utf-8", newline="\n") as handle:
        for row in data:
            line = json.dumps(dict(zip(names, row, strict=True)), ensure_ascii=False)
            handle.write(line.translate(_JSON_LINE_BREAKS))
            handle.write("\n")
            count += 1
            tick()
    return count


def arrow_schema(fields: tuple[Field, ...]):
    """The Parquet (Arrow) schema of ``fields``."""
    import pyarrow as pa

    types = {
        "string": pa.string(),
        "integer": pa.int64(),
        "number": pa.float64(),
        "boolean": pa.bool_(),
        "array": pa.list_(pa.string()),
        "object": pa.string(),
    }
    return pa.schema(
        [
            pa.field(
                f.name,
                types[f.type],
                nullable=not f.required,
                metadata={"description": f.description},
            )
            for f in fields
        ]
    )


def write_parquet(
    path: Path, fields: tuple[Field, ...], data: Iterator[list[Any]], tick: Callable[[], None]
) -> int:
    import pyarrow as pa
    import pyarrow.parquet as pq

    schema = arrow_schema(fields)
    objects = [i for i, f in enumerate(fields) if f.type == "object"]
    count = 0
    with pq.ParquetWriter(str(path), schema) as writer:
        batch: list[list[Any]] = []

        def flush() -> None:
            columns = list(zip(*batch, strict=True)) if batch else [[] for _ in fields]
            writer.write_table(
                pa.Table.from_arrays(
                    [
                        pa.array(list(col), type=schema.field(i).type)
                        for i, col in enumerate(columns)
                    ],
                    schema=schema,
                )
            )
            batch.clear()

        for row in data:
            for i in objects:
                if row[i] is not None:
                    row[i] = json.dumps(row[i], ensure_ascii=False, sort_keys=True)
            batch.append(row)
            count += 1
            tick()
            if len(batch) >= BATCH:
                flush()
        if batch or count == 0:
            flush()
    return count


WRITERS = {"csv": write_csv, "jsonl": write_jsonl, "parquet": write_parquet}
