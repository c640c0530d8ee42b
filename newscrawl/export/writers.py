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
"""

from __future__ import annotations

import csv
import json
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


def write_csv(
    path: Path, fields: tuple[Field, ...], data: Iterator[list[Any]], tick: Callable[[], None]
) -> int:
    count = 0
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow([f.name for f in fields])
        for row in data:
            writer.writerow([_csv_cell(v, f) for v, f in zip(row, fields, strict=True)])
            count += 1
            tick()
    return count


def write_jsonl(
    path: Path, fields: tuple[Field, ...], data: Iterator[list[Any]], tick: Callable[[], None]
) -> int:
    count = 0
    names = [f.name for f in fields]
    with path.open("w", encoding="utf-8", newline="\n") as handle:
        for row in data:
            handle.write(json.dumps(dict(zip(names, row, strict=True)), ensure_ascii=False))
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
