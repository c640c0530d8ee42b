"""Text in a release reads back exactly as archived: line breaks (``\\r``, ``\\r\\n``),
``\\x00`` and the other control characters, in every text field of every file, read by
Python's csv module, by a line-oriented reader, by pyarrow and by frictionless (and JSON
Lines by str.splitlines())."""

from __future__ import annotations

import csv
import json
import sqlite3
from pathlib import Path

import pyarrow.csv as pa_csv
import pytest
from archive_fixtures import build_archive
from frictionless import validate

from newscrawl.export import export_archive
from newscrawl.export.fields import TABLES

# Every kind of character a reader might take for the end of a line or of a string:
# a bare CR (a hand-edited body), CRLF, LF, NUL, the other C0 controls str.splitlines()
# breaks at, ESC, DEL, NEL, the Unicode line and paragraph separators; a quote, a comma,
# a tab, and a CR at the very end of the value.
NASTY = (
    "bare\rCR, CRLF\r\nLF\nNUL\x00 VT\x0b FF\x0c FS\x1c GS\x1d RS\x1e ESC\x1b DEL\x7f"
    ' NEL\x85 LS\u2028 PS\u2029 TAB\t "quoted", end\r'
)
# Values with one of them alone: nothing else in them makes a CSV writer quote them.
VALUES = (NASTY, "Lady Gaga\rtour", "\r", "NUL\x00", "NEL\x85 LS\u2028 PS\u2029", "VT\x0b FF\x0c")


def hand_edit(db: Path) -> dict[str, list[str]]:
    """Put VALUES into every text column a release exports (keys and the publication date
    aside), one to a row in turn: appended to strings, as an item of arrays, as a value
    of objects. Returns table -> the columns edited."""
    conn = sqlite3.connect(db)
    edited: dict[str, list[str]] = {}
    with conn:
        for table in TABLES:
            columns = {row[1] for row in conn.execute(f"pragma table_info([{table.name}])")}
            # Keys stay joinable; published_month keeps its YYYY-MM pattern (frictionless
            # checks it), and published_at, which it is made of, goes with it.
            keys = set(table.primary_key) | {fk[0] for fk in table.foreign_keys}
            keys |= {"published_at", "published_month"}
            rowids = [r[0] for r in conn.execute(f"select rowid from [{table.name}] order by 1")]
            for field in table.fields:
                plain = field.sql in ("", f"{table.name}.{field.name}")
                if field.name in keys or field.name not in columns or not plain:
                    continue
                if field.type not in ("string", "array", "object"):
                    continue
                for n, rowid in enumerate(rowids):
                    value = VALUES[n % len(VALUES)]
                    if field.type == "string":
                        sql, value = f"coalesce([{field.name}], '') || ?", value
                    elif field.type == "array":
                        sql, value = "?", json.dumps([value, "plain"])
                    else:
                        sql, value = "?", json.dumps({"nasty": value})
                    conn.execute(
                        f"update [{table.name}] set [{field.name}] = {sql} where rowid = ?",
                        [value, rowid],
                    )
                edited.setdefault(table.name, []).append(field.name)
    conn.close()
    return edited


@pytest.fixture(scope="module")
def edited(tmp_path_factory):
    db = build_archive(tmp_path_factory.mktemp("archive") / "archive.db")
    columns = hand_edit(db)
    base = tmp_path_factory.mktemp("releases")
    releases = {fmt: export_archive(db, base / fmt, fmt=fmt).out_dir for fmt in ("csv", "jsonl")}
    return db, columns, releases


def python_csv(path: Path) -> list[dict]:
    with path.open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def line_oriented(path: Path) -> list[dict]:
    """Reads the file as wc -l, grep, awk and split -l see it: lines ending at "\\n" only.
    A record goes on to the next line while one of its quoted fields is open; each
    record is then parsed alone, so a line break outside quotes (a row cut in two)
    fails here."""
    records, pending = [], ""
    for line in path.read_bytes().decode("utf-8").split("\n")[:-1]:
        pending += line
        if pending.count('"') % 2:
            pending += "\n"
            continue
        records.append(pending)
        pending = ""
    assert pending == "", "the file ends inside a quoted field"
    parsed = []
    for record in records:
        rows = list(csv.reader([record]))
        assert len(rows) == 1, repr(record)
        parsed.append(rows[0])
    header, *rows = parsed
    return [dict(zip(header, row, strict=True)) for row in rows]


def with_pyarrow(path: Path) -> list[dict]:
    names = python_csv(path)[0].keys()
    table = pa_csv.read_csv(
        path,
        parse_options=pa_csv.ParseOptions(newlines_in_values=True),
        convert_options=pa_csv.ConvertOptions(
            column_types={name: "string" for name in names},
            strings_can_be_null=False,
            quoted_strings_can_be_null=False,
        ),
    )
    return table.to_pylist()


def archived(db: Path, table: str, columns: list[str]) -> list[dict]:
    key = {"mentions": "article_id, artist_id"}.get(table, "id")
    conn = sqlite3.connect(db)
    conn.row_factory = sqlite3.Row
    try:
        rows = conn.execute(f"select {key}, {', '.join(columns)} from [{table}] order by {key}")
        return [dict(row) for row in rows]
    finally:
        conn.close()


@pytest.mark.parametrize("table", TABLES, ids=lambda t: t.name)
def test_csv_reads_back_exactly_with_every_reader(edited, table):
    db, columns, releases = edited
    path = releases["csv"] / f"{table.name}.csv"
    rows = python_csv(path)
    assert rows and line_oriented(path) == rows
    assert with_pyarrow(path) == rows
    types = {f.name: f.type for f in table.fields}
    expected = archived(db, table.name, columns[table.name])
    assert len(rows) == len(expected)
    for row, want in zip(rows, expected, strict=True):
        for column in columns[table.name]:
            if types[column] == "string":
                assert row[column] == want[column], column
            else:
                assert json.loads(row[column]) == json.loads(want[column]), column
    if any(types[column] == "string" for column in columns[table.name]):
        # Written as is, inside quotes (its quotes doubled).
        assert NASTY.replace('"', '""') + '"' in path.read_bytes().decode("utf-8")


def test_frictionless_validates_the_edited_csv_release(edited):
    _, _, releases = edited
    report = validate(releases["csv"] / "datapackage.json")
    assert report.valid, report.flatten(["rowNumber", "fieldName", "type", "note"])


@pytest.mark.parametrize("table", TABLES, ids=lambda t: t.name)
def test_jsonl_reads_back_exactly_line_by_line(edited, table):
    db, columns, releases = edited
    text = (releases["jsonl"] / f"{table.name}.jsonl").read_text(encoding="utf-8")
    # str.splitlines() breaks at NEL, LS and PS too, not only at "\n".
    rows = [json.loads(line) for line in text.splitlines()]
    assert rows == [json.loads(line) for line in text.split("\n")[:-1]]
    types = {f.name: f.type for f in table.fields}
    for row, want in zip(rows, archived(db, table.name, columns[table.name]), strict=True):
        for column in columns[table.name]:
            value = want[column] if types[column] == "string" else json.loads(want[column])
            assert row[column] == value, column
