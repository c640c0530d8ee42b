"""archive/metadata.yml describes the whole schema, and docs/schema.md mirrors it.

Every table, view and column of a freshly migrated archive needs a description in
metadata.yml (and no description may outlive its column); every canned query needs a
title, a description and its parameters. docs/schema.md holds a generated copy of the
descriptions between two markers; after changing metadata.yml or the schema, regenerate
it with:

    .venv/bin/python tests/test_datasette_metadata.py
"""

from __future__ import annotations

import json
import re
import sqlite3
from pathlib import Path

import pytest

from newscrawl.serve import ARCHIVE_DIR, load_metadata
from newscrawl.store import Archive

ROOT = Path(__file__).resolve().parents[1]
SCHEMA_DOC = ROOT / "docs" / "schema.md"
BEGIN = "<!-- BEGIN GENERATED from archive/metadata.yml: tests/test_datasette_metadata.py -->"
END = "<!-- END GENERATED -->"


def schema_of(path: Path) -> dict[str, dict]:
    """{name: {"type": table|view, "columns": [(name, declared type)]}} of a new archive."""
    Archive(path).close()
    conn = sqlite3.connect(path)
    out = {}
    for name, kind in conn.execute(
        # sqlite_stat1 (planner statistics, see schema.m007) is SQLite's, hidden by Datasette.
        "select name, type from sqlite_master where type in ('table', 'view')"
        " and name not like 'sqlite_stat%' order by name"
    ):
        columns = [(r[1], r[2]) for r in conn.execute(f"pragma table_info([{name}])")]
        out[name] = {"type": kind, "columns": columns}
    conn.close()
    return out


def database_metadata() -> dict:
    return load_metadata()["plugins"]["newscrawl"]["database"]


def render(metadata: dict, schema: dict[str, dict]) -> str:
    """The generated part of docs/schema.md."""
    parts = [BEGIN, ""]
    for name, table in metadata["tables"].items():
        kind = schema.get(name, {}).get("type", "table")
        types = dict(schema.get(name, {}).get("columns", []))
        parts += [f"### `{name}` ({kind})", "", " ".join(table["description"].split()), ""]
        parts += ["| column | type | description |", "|---|---|---|"]
        for column, description in table["columns"].items():
            cell = " ".join(description.split()).replace("|", "\\|")
            parts.append(f"| `{column}` | {types.get(column) or '-'} | {cell} |")
        parts.append("")
    parts.append(END)
    return "\n".join(parts)


@pytest.fixture(scope="module")
def schema(tmp_path_factory) -> dict[str, dict]:
    return schema_of(tmp_path_factory.mktemp("schema") / "archive.db")


def test_every_table_and_column_has_a_description(schema):
    tables = database_metadata()["tables"]
    assert set(tables) == set(schema), "metadata.yml tables differ from the schema"
    for name, info in schema.items():
        described = tables[name]
        assert described.get("description", "").strip(), f"{name}: no description"
        columns = [c for c, _ in info["columns"]]
        assert list(described.get("columns", {})) == columns, (
            f"{name}: column descriptions must list exactly {columns} in schema order"
        )
        for column, text in described["columns"].items():
            assert isinstance(text, str) and len(text) > 5, f"{name}.{column}: no description"


def test_table_options_name_real_columns(schema):
    for name, table in database_metadata()["tables"].items():
        columns = {c for c, _ in schema[name]["columns"]}
        for option in ("sortable_columns",):
            assert set(table.get(option, [])) <= columns, (name, option)
        for facet in table.get("facets", []):
            # {type: column} for array, date and newscrawl's artist facets
            column = next(iter(facet.values())) if isinstance(facet, dict) else facet
            assert column in columns, (name, facet)
        for option in ("label_column", "sort_desc", "sort"):
            if option in table:
                assert table[option] in columns, (name, option)


def test_every_canned_query_is_documented_with_its_parameters():
    queries = database_metadata()["queries"]
    assert len(queries) >= 7
    for name, spec in queries.items():
        assert spec.get("title") and len(spec.get("description", "")) > 40, name
        named = set(re.findall(r"(?<!:):([a-z_]+)", spec["sql"]))
        assert set(spec.get("params", [])) == named, (
            f"{name}: params {spec.get('params')} vs SQL {named}"
        )


def test_a_canned_query_that_caps_its_rows_says_so():
    # search_articles stopped at 200 rows without a word, while the articles table's
    # search box counted every match: 200 results against "5,000 rows where search
    # matches" looked like two answers to one question.
    for name, spec in database_metadata()["queries"].items():
        for limit in re.findall(r"\blimit\s+([0-9]+)", spec["sql"], flags=re.IGNORECASE):
            assert f"{int(limit):,}" in spec["description"], (name, limit)


def test_settings_are_datasette_settings():
    from datasette.app import DEFAULT_SETTINGS

    settings = json.loads((ARCHIVE_DIR / "settings.json").read_text())
    assert set(settings) <= set(DEFAULT_SETTINGS)
    assert settings["allow_download"] is False


def test_instance_metadata_says_the_demo_is_fictional():
    metadata = load_metadata()
    for key in ("title", "description", "license", "source"):
        assert metadata.get(key), key
    assert "fictional" in metadata["description"] and "seed article" in metadata["description"]
    assert "databases" not in metadata, (
        "database metadata belongs under plugins: newscrawl: database:"
    )


def test_schema_doc_mirrors_metadata(schema):
    text = SCHEMA_DOC.read_text(encoding="utf-8")
    assert BEGIN in text and END in text, "docs/schema.md lost its generated section"
    current = text[text.index(BEGIN) : text.index(END) + len(END)]
    assert current == render(database_metadata(), schema), (
        "docs/schema.md is out of date: run .venv/bin/python tests/test_datasette_metadata.py"
    )


def write_schema_doc() -> None:
    """Regenerate the generated section of docs/schema.md in place."""
    import tempfile

    with tempfile.TemporaryDirectory() as folder:
        generated = render(database_metadata(), schema_of(Path(folder) / "archive.db"))
    text = SCHEMA_DOC.read_text(encoding="utf-8")
    text = text[: text.index(BEGIN)] + generated + text[text.index(END) + len(END) :]
    SCHEMA_DOC.write_text(text, encoding="utf-8")
    print(f"wrote {SCHEMA_DOC}")


if __name__ == "__main__":
    write_schema_doc()


def test_datasette_doc_covers_queries_plugins_and_serve_options():
    text = (ROOT / "docs" / "datasette.md").read_text(encoding="utf-8")
    for name in database_metadata()["queries"]:
        assert f"`{name}`" in text, f"docs/datasette.md does not describe the query {name}"
    for plugin in sorted((ARCHIVE_DIR / "plugins").glob("*.py")):
        assert f"archive/plugins/{plugin.name}" in text, plugin.name
    for option in ("--port", "--host", "--immutable", "datasette inspect", "datasette package"):
        assert option in text, option
