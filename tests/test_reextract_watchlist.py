"""`newscrawl reextract` without --artists tags with the watchlist the archive was crawled
with, not the packaged one: the first example of its --help,
`newscrawl reextract --db archive/archive.db`, re-tagged an archive crawled with one's own
artists.yml with the 47 packaged artists, taking away the mentions of anyone not on that
list and archiving pages about artists nobody asked for."""

from __future__ import annotations

import subprocess
import sys

import pytest
from crawling import ROOT, CrawlResult, scrapy_crawl

from newscrawl.demo.server import DemoSites

ONLY_GAGA = "artists:\n  - name: Lady Gaga\n    aliases: [Gaga]\n"


def reextract(db, *extra) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "newscrawl", "reextract", "--db", str(db), *map(str, extra)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )


def tagged(db) -> tuple[list, list]:
    result = CrawlResult(0, "", db)
    articles = result.query("select canonical_url, artists from articles order by 1")
    mentions = result.query("select article_id, artist_id from mentions order by 1, 2")
    return articles, mentions


@pytest.fixture
def crawled_with_own_watchlist(tmp_path):
    artists = tmp_path / "my-artists.yml"
    artists.write_text(ONLY_GAGA)
    db = tmp_path / "archive.db"
    with DemoSites(port=0) as sites:
        sources = sites.write_sources(tmp_path / "sources.yml")
        scrapy_crawl(db=db, sources=sources, artists=artists)
    articles, mentions = tagged(db)
    assert articles and {m["artist_id"] for m in mentions} == {"lady-gaga"}
    return db, artists


def test_reextract_tags_with_the_watchlist_of_the_crawl(crawled_with_own_watchlist):
    db, artists = crawled_with_own_watchlist
    before = tagged(db)
    proc = reextract(db)
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert tagged(db) == before
    assert str(artists) in proc.stderr  # it says which watchlist it used
    run = CrawlResult(0, "", db).run()
    assert run["spider"] == "reextract" and (run["articles_new"], run["articles_updated"]) == (
        0,
        0,
    )


def test_a_crawl_watchlist_that_is_gone_is_an_error_not_the_packaged_one(
    crawled_with_own_watchlist,
):
    db, artists = crawled_with_own_watchlist
    before = tagged(db)
    artists.unlink()
    proc = reextract(db)
    assert proc.returncode == 1 and "Traceback" not in proc.stderr, proc.stderr[-3000:]
    errors = [line for line in proc.stderr.splitlines() if line.startswith("Error:")]
    assert len(errors) == 1 and str(artists) in errors[0] and "--artists" in errors[0]
    assert tagged(db) == before


def test_reextract_of_the_demo_archive_keeps_the_demo_watchlist(tmp_path):
    # `newscrawl demo` crawls with a copy of the demo watchlist in a folder that goes
    # with it; the archive must name a file that outlives the demo.
    from test_demo_command import demo, free_port_block

    db = tmp_path / "demo.db"
    crawled = demo("--no-serve", "--db", str(db), "--sites-port", str(free_port_block()))
    assert crawled.returncode == 0, crawled.stderr
    before = tagged(db)
    proc = reextract(db, "--warc-dir", tmp_path / "demo-warc")
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert tagged(db) == before
    assert "newscrawl/demo/artists.yml" in proc.stderr


def test_a_watchlist_named_relative_to_the_crawl_folder_is_found_from_elsewhere(tmp_path):
    # The docs' crawls run from the checkout with paths relative to it
    # (-s NEWSCRAWL_ARTISTS=my-artists.yml); the run recorded that relative path, so a
    # reextract started in another folder called the crawl's watchlist "gone" (or, with
    # a file of that name there, silently tagged with another one).
    import os

    artists = tmp_path / "my-artists.yml"
    artists.write_text(ONLY_GAGA)
    db = tmp_path / "archive.db"
    relative = os.path.relpath(artists, ROOT)
    with DemoSites(port=0) as sites:
        sources = sites.write_sources(tmp_path / "sources.yml")
        scrapy_crawl(db=db, sources=sources, artists=relative)
    before = tagged(db)
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    proc = subprocess.run(
        [sys.executable, "-m", "newscrawl", "reextract", "--db", str(db)],
        cwd=elsewhere,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert str(artists) in proc.stderr
    assert tagged(db) == before
