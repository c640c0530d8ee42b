"""`newscrawl reextract` without --warc-dir replays the WARC folder the archive's latest
crawl wrote to, not whatever `warc/` lies next to the database: `newscrawl demo` writes
archive/demo-warc/, so `newscrawl reextract --db archive/demo.db` stopped with
"archive/warc: no such WARC directory", or, next to a real archive's warc/, replayed that
other archive's pages into the demo."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys

from crawling import ROOT, CrawlResult, scrapy_crawl

from newscrawl.demo.server import DemoSites


def reextract(db, cwd) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "newscrawl", "reextract", "--db", str(db)],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=300,
    )


def crawl_with_own_warc_dir(tmp_path):
    """An archive whose crawl wrote its WARC files to raw/, named relative to the
    checkout as a command line there would, beside an empty warc/ folder."""
    db = tmp_path / "archive.db"
    raw = tmp_path / "raw"
    with DemoSites(port=0) as sites:
        sources = sites.write_sources(tmp_path / "sources.yml")
        artists = sites.write_artists(tmp_path / "artists.yml")
        scrapy_crawl(
            db=db,
            sources=sources,
            artists=artists,
            settings={"NEWSCRAWL_WARC_DIR": os.path.relpath(raw, ROOT)},
        )
    (tmp_path / "warc").mkdir()
    return db, raw


def test_reextract_replays_the_warc_folder_of_the_crawl(tmp_path):
    db, raw = crawl_with_own_warc_dir(tmp_path)
    result = CrawlResult(0, "", db)
    before = result.query("select canonical_url, content_hash from articles order by 1")
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    proc = reextract(db, cwd=elsewhere)
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert f"Replaying the WARC files in {raw}, the WARC folder of run 1" in proc.stderr
    replayed = [line for line in proc.stderr.splitlines() if line.startswith("Replayed ")]
    assert replayed and replayed[0] != "Replayed 0 WARC records.", proc.stderr[-3000:]
    assert result.run()["articles_reextracted"] == len(before) > 0
    assert result.query("select canonical_url, content_hash from articles order by 1") == before


def test_a_warc_folder_that_is_gone_is_a_one_line_error(tmp_path):
    db, raw = crawl_with_own_warc_dir(tmp_path)
    shutil.rmtree(raw)
    proc = reextract(db, cwd=ROOT)
    assert proc.returncode == 1
    assert proc.stderr.strip().splitlines()[-1] == (
        f"Error: {db}: run 1 wrote its WARC files to {raw}, which is gone:"
        " name the folder to replay, --warc-dir DIR"
    )


def test_the_default_warc_folder_is_named_too(tmp_path):
    """A crawl that wrote to the default warc/ next to the archive: reextract named the
    folder it replays only for the two other cases (docs/crawling.md: "It says which")."""
    db = tmp_path / "archive.db"
    with DemoSites(port=0) as sites:
        sources = sites.write_sources(tmp_path / "sources.yml")
        artists = sites.write_artists(tmp_path / "artists.yml")
        scrapy_crawl(db=db, sources=sources, artists=artists)
    proc = reextract(db, cwd=ROOT)
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert f"Replaying the WARC files in {tmp_path / 'warc'}, the default folder" in proc.stderr
