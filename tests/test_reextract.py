"""`newscrawl reextract`: rebuild the archive from the raw WARC archive, idempotently."""

from __future__ import annotations

import subprocess
import sys

import pytest
from crawling import ROOT, CrawlResult, scrapy_crawl

from newscrawl.demo.server import DemoSites

FIELDS = "canonical_url, url, source_id, title, authors, published_at, body, content_hash, artists, revision_count"


def reextract(db, *extra):
    proc = subprocess.run(
        [sys.executable, "-m", "newscrawl", "reextract", "--db", str(db), *map(str, extra)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "Traceback" not in proc.stderr, proc.stderr
    return CrawlResult(proc.returncode, proc.stdout + proc.stderr, db)


def snapshot(result):
    articles = result.query(f"select {FIELDS} from articles order by canonical_url")
    mentions = result.query(
        "select a.canonical_url, m.artist_id, m.count, m.salience from mentions m"
        " join articles a on a.id = m.article_id order by 1, 2"
    )
    revisions = result.query(
        "select a.canonical_url, r.revision, r.title, r.body, r.content_hash from revisions r"
        " join articles a on a.id = r.article_id order by 1, 2"
    )
    return articles, mentions, revisions


@pytest.fixture(scope="module")
def crawled_twice(tmp_path_factory):
    folder = tmp_path_factory.mktemp("reextract")
    db = folder / "archive.db"
    with DemoSites(port=0) as sites:
        sources = sites.write_sources(folder / "sources.yml")
        artists = sites.write_artists(folder / "artists.yml")
        scrapy_crawl(db=db, sources=sources, artists=artists)
        sites.set_edition(2)
        result = scrapy_crawl(db=db, sources=sources, artists=artists)
    return folder, result, artists


def test_reextract_in_place_changes_nothing(crawled_twice, tmp_path):
    folder, result, artists = crawled_twice
    before = snapshot(result)
    ledger = result.query("select url, stage, reason from drops order by url")
    assert before[2], "edition 2 should have produced revisions"
    publishers = result.query("select * from sources order by id")
    rerun = reextract(result.db, "--artists", artists)
    assert snapshot(rerun) == before
    # The packaged sources.yml (the default) neither renames these nor adds its own.
    assert rerun.query("select * from sources order by id") == publishers
    assert rerun.query("select url, stage, reason from drops order by url") == ledger
    run = rerun.run()
    assert run["spider"] == "reextract" and run["finish_reason"] == "finished"
    assert (run["articles_new"], run["articles_updated"]) == (0, 0)
    # Every archived version was rewritten in place: the run says so (it said 0, 0, 0).
    versions = len(before[0]) + len(before[2])
    assert run["articles_reextracted"] == versions
    assert f"{versions} re-extracted in place" in rerun.output
    again = reextract(result.db, "--artists", artists)
    assert snapshot(again) == before


def test_rebuild_from_warc_alone_reproduces_articles_and_revisions(crawled_twice, tmp_path):
    folder, result, artists = crawled_twice
    rebuilt = reextract(
        tmp_path / "rebuilt.db", "--warc-dir", folder / "warc", "--artists", artists
    )
    assert snapshot(rebuilt) == snapshot(result)
    # Publishers the packaged sources.yml does not list: placeholder rows (name = id).
    assert {(r["id"], r["name"]) for r in rebuilt.query("select id, name from sources")} == {
        (r["source_id"], r["source_id"])
        for r in result.query("select distinct source_id from articles")
    }
    dropped = {
        r["url"]: r["reason"]
        for r in result.query(
            "select url, reason from drops where stage in ('extract', 'tag', 'dedupe')"
        )
    }
    dropped_again = {r["url"]: r["reason"] for r in rebuilt.query("select url, reason from drops")}
    assert dropped_again == dropped


def test_missing_warc_dir_is_one_line_error(tmp_path):
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "newscrawl",
            "reextract",
            "--db",
            str(tmp_path / "x.db"),
            "--warc-dir",
            str(tmp_path / "nope"),
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    assert proc.returncode == 1
    assert proc.stderr.strip() == f"Error: {tmp_path / 'nope'}: no such WARC directory"


def test_a_rebuilt_archive_names_its_publishers(crawled_twice, tmp_path):
    folder, result, artists = crawled_twice
    rebuilt = reextract(
        tmp_path / "rebuilt.db",
        "--warc-dir",
        folder / "warc",
        "--artists",
        artists,
        "--sources",
        folder / "sources.yml",
    )
    names = "select id, name, homepage, allowed_domains from sources order by id"
    assert rebuilt.query(names) == result.query(names)
    assert snapshot(rebuilt) == snapshot(result)
