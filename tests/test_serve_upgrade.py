"""`newscrawl serve` brings an archive written by an older newscrawl up to date first.

Only a command that writes applied new schema steps, and `serve` did not: an archive
from before m016 (no co_mention_pairs) served its articles_about_both query as an
"no such table" error until a crawl happened to open it.
"""

from __future__ import annotations

import socket
import sqlite3

import pytest
from archive_fixtures import SyncClient, build_archive
from click.testing import CliRunner

from newscrawl import serve as serving
from newscrawl.cli import main
from newscrawl.serve import build_datasette


def made_before_m016(path):
    """Undo step m016 on the archive at ``path``: the co_mentions view over mentions."""
    conn = sqlite3.connect(path, isolation_level=None)
    try:
        for (name,) in conn.execute(
            "select name from sqlite_master where type = 'trigger' and name like '%co_pairs%'"
        ).fetchall():
            conn.execute(f"drop trigger [{name}]")
        conn.execute("drop view co_mentions")
        conn.execute("drop table co_mention_pairs")
        conn.execute(
            "create view co_mentions as select a.article_id, a.artist_id as artist_a,"
            " b.artist_id as artist_b, a.salience as salience_a, b.salience as salience_b,"
            " min(a.salience, b.salience) as joint_salience from mentions a join mentions b"
            " on a.article_id = b.article_id and a.artist_id < b.artist_id"
        )
        conn.execute("delete from _sqlite_migrations where name = 'm016_co_mention_pairs'")
        conn.execute("pragma wal_checkpoint(truncate)")
    finally:
        conn.close()


@pytest.fixture
def old_archive(tmp_path):
    path = build_archive(tmp_path / "archive.db")
    made_before_m016(path)
    assert serving.pending_schema_steps(path) == ["m016_co_mention_pairs"]
    return path


BOTH = "/archive/articles_about_both.json?artist_a=Britney+Spears&artist_b=Lady+Gaga"


def test_serve_applies_the_missing_steps_and_says_so(old_archive, capsys):
    serving.bring_up_to_date(old_archive, immutable=False)
    assert "applying schema steps m016_co_mention_pairs" in capsys.readouterr().err
    assert serving.pending_schema_steps(old_archive) == []
    client = SyncClient(build_datasette(old_archive))
    try:
        response = client.get(BOTH)
        assert response.status_code == 200, response.text[:300]
        assert response.json()["rows"]  # the seed article is about both
    finally:
        client.close()


def test_an_immutable_copy_is_served_as_it_is_with_a_warning(old_archive, capsys):
    before = old_archive.read_bytes()
    serving.bring_up_to_date(old_archive, immutable=True)
    err = capsys.readouterr().err
    assert err.startswith("warning: ") and err.count("\n") == 1
    assert "m016_co_mention_pairs" in err and "--immutable" in err
    assert old_archive.read_bytes() == before
    assert serving.pending_schema_steps(old_archive) == ["m016_co_mention_pairs"]


def test_a_current_archive_is_left_alone(tmp_path, capsys):
    path = build_archive(tmp_path / "archive.db")
    before = path.read_bytes()
    serving.bring_up_to_date(path, immutable=False)
    assert capsys.readouterr().err == ""
    assert path.read_bytes() == before


def test_the_command_upgrades_before_it_listens(old_archive):
    # A port already taken: the command stops after the upgrade, before serving.
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = str(taken.getsockname()[1])
        result = CliRunner().invoke(main, ["serve", str(old_archive), "-p", port])
    assert result.exit_code == 1, result.output
    assert "applying schema steps m016_co_mention_pairs" in result.output
    assert result.output.splitlines()[-1].startswith("Error: cannot listen on")
    assert serving.pending_schema_steps(old_archive) == []


def test_a_missing_archive_still_gets_the_hint_of_what_to_do(tmp_path):
    # The upgrade step reads the file first; its bare "no such archive" had replaced
    # the hint `serve` gave before it (crawl into it, or build a demo archive there).
    missing = tmp_path / "nope.db"
    result = CliRunner().invoke(main, ["serve", str(missing)])
    assert result.exit_code == 1
    assert "nope.db: no such archive (crawl into it first" in result.output
    assert f"newscrawl demo --no-serve --db {missing}" in result.output
    assert not missing.exists()


def test_an_immutable_archive_that_cannot_be_served_is_refused_without_the_warning(old_archive):
    # A WAL with writes in it: --immutable is refused. The upgrade step's warning that
    # the archive "is served as it is" came first, then the error saying it is not.
    conn = sqlite3.connect(old_archive)
    conn.execute("pragma wal_autocheckpoint = 0")
    conn.execute("create table written_since (x)")
    conn.commit()
    try:
        result = CliRunner().invoke(main, ["serve", str(old_archive), "--immutable"])
    finally:
        conn.close()
    assert result.exit_code == 1
    assert "--immutable would not see the writes" in result.output
    assert "warning" not in result.output and result.output.count("\n") == 1
