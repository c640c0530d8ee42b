"""The publishing recipe of docs/datasette.md ("Publishing a read-only copy"), run as
written: its shell blocks, taken from the document, on a test archive.

A reader copies these commands onto a real archive; a step that stopped working (a
renamed table, a column the strip step misses, an index left in pieces) would only show
on their copy. The copy must answer the same searches as the archive (without the text
when it was stripped), hold its full-text index in one piece, pass FTS5's integrity
check, and serve immutable.
"""

from __future__ import annotations

import os
import re
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest
from archive_fixtures import SyncClient, build_archive, fts_segments

from newscrawl.serve import build_datasette

DOC = Path(__file__).resolve().parents[1] / "docs" / "datasette.md"
SEARCHES = ["duet", "Gaga", '"red carpet"', "tour OR album"]


def recipe_blocks() -> dict[str, str]:
    """The section's shell blocks, by what they do."""
    text = DOC.read_text(encoding="utf-8")
    section = text.split("## Publishing a read-only copy", 1)[1].split("\n## ", 1)[0]
    blocks = [
        "\n".join(line.removeprefix("   ") for line in block.splitlines())
        for block in re.findall(r"```sh\n(.*?)```", section, re.S)
    ]

    def the(marker: str) -> str:
        found = [block for block in blocks if marker in block]
        assert len(found) == 1, f"one block of {DOC} with {marker!r}: {found}"
        return found[0]

    return {
        "copy": the("vacuum into"),
        "strip": the("set body = null"),
        "merge": the("values ('optimize')"),
    }


def matches(path: Path, query: str) -> list[int]:
    conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        return [
            row[0]
            for row in conn.execute(
                "select rowid from articles_fts where articles_fts match ? order by rowid",
                [query],
            )
        ]
    finally:
        conn.close()


def run_block(block: str, cwd: Path) -> None:
    # The recipe says .venv/bin/python: this environment's, reached from cwd as .venv.
    (cwd / ".venv").symlink_to(Path(sys.prefix), target_is_directory=True)
    try:
        subprocess.run(["bash", "-euo", "pipefail", "-c", block], cwd=cwd, check=True)
    finally:
        (cwd / ".venv").unlink()


@pytest.mark.parametrize("strip", [False, True], ids=["whole", "stripped"])
def test_the_publishing_recipe_makes_a_copy_that_answers_the_same_searches(tmp_path, strip):
    blocks = recipe_blocks()
    (tmp_path / "archive").mkdir()
    archive = build_archive(tmp_path / "archive" / "archive.db")
    before = archive.read_bytes()
    assert fts_segments(archive) > 1  # the test archive is written in several batches

    run_block(blocks["copy"], tmp_path)
    if strip:
        run_block(blocks["strip"], tmp_path)
    run_block(blocks["merge"], tmp_path)

    copy = tmp_path / "publish" / "news-2024.db"
    assert archive.read_bytes() == before  # the recipe reads the archive, never writes it
    assert fts_segments(copy) == 1
    conn = sqlite3.connect(copy)
    try:
        conn.execute("insert into articles_fts (articles_fts, rank) values ('integrity-check', 1)")
        assert conn.execute("pragma journal_mode").fetchone()[0] == "delete"
        assert conn.execute("pragma freelist_count").fetchone()[0] == 0
        texts = sum(
            conn.execute(
                f"select count(*) from {table} where body is not null or description is not null"
            ).fetchone()[0]
            for table in ("articles", "revisions")
        )
    finally:
        conn.close()
    assert (texts == 0) if strip else (texts > 0)

    for query in SEARCHES:
        found = matches(copy, query)
        if strip:
            # Titles are kept: what the archive finds in a title, the copy finds.
            assert set(matches(copy, f"title : ({query})")) == set(found)
            assert set(found) == set(matches(archive, f"title : ({query})")), query
        else:
            assert found == matches(archive, query), query
        assert found or query == '"red carpet"', query  # the searches find something

    # Served immutable, as step 4 does: the search box finds the same articles.
    client = SyncClient(build_datasette(copy, immutable=True))
    try:
        response = client.get("/news-2024/articles.json?_search=duet&_shape=array&_col=id")
        assert response.status_code == 200
        assert sorted(row["id"] for row in response.json()) == matches(copy, "duet")
    finally:
        client.close()
    assert not os.path.exists(f"{copy}-wal") or os.path.getsize(f"{copy}-wal") == 0
