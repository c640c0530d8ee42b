"""`newscrawl serve --immutable` never serves a file whose latest writes sit in its WAL.

SQLite's immutable mode reads the main database file only and ignores ``-wal``: the
transactions a crawl committed there since its last checkpoint (while it runs, or after
it was killed) would be missing from every page, with nothing saying so.
"""

from __future__ import annotations

import socket
import sqlite3

import pytest
from archive_fixtures import SyncClient, build_archive
from click.testing import CliRunner

from newscrawl.cli import main
from newscrawl.errors import NewscrawlError
from newscrawl.serve import build_datasette


@pytest.fixture
def archive_db(tmp_path):
    return build_archive(tmp_path / "archive.db")


@pytest.fixture
def writer_with_uncheckpointed_changes(archive_db):
    """A connection that committed a delete which lives only in the WAL, as a crawl's
    batches do between checkpoints."""
    conn = sqlite3.connect(archive_db, isolation_level=None)
    conn.execute("pragma journal_mode = wal")
    conn.execute("pragma wal_autocheckpoint = 0")
    conn.execute("delete from articles where id > (select min(id) from articles)")
    assert conn.execute("select count(*) from articles").fetchone()[0] == 1
    yield conn
    conn.close()


def test_immutable_refuses_a_file_with_changes_in_its_wal(
    archive_db, writer_with_uncheckpointed_changes
):
    with pytest.raises(NewscrawlError) as refused:
        build_datasette(archive_db, immutable=True)
    message = str(refused.value)
    assert "archive.db-wal" in message and "without --immutable" in message
    # Without --immutable the same file is served current: the WAL's rows are read.
    client = SyncClient(build_datasette(archive_db))
    try:
        answer = client.get("/archive.json?sql=select+count(*)+from+articles&_shape=array")
        assert list(answer.json()[0].values()) == [1]
    finally:
        client.close()
    # Once the writes are in the main file, immutable serves it.
    writer_with_uncheckpointed_changes.execute("pragma wal_checkpoint(truncate)")
    assert build_datasette(archive_db, immutable=True) is not None


def test_the_command_says_so_in_one_line(archive_db, writer_with_uncheckpointed_changes):
    # A port already taken: the command must stop at the WAL, before it gets to listen
    # (and never block the test serving).
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = str(taken.getsockname()[1])
        result = CliRunner().invoke(main, ["serve", str(archive_db), "--immutable", "-p", port])
    assert result.exit_code == 1, result.output
    assert result.output.startswith("Error: ") and result.output.count("\n") == 1
    assert "archive.db-wal" in result.output
