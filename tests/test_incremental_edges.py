"""Runs limited by -a artists=, -a since= or -a sources= followed by full runs: a limited
run must not spoil the archive for the runs after it. Each sequence ends in the same
archive as one clean full crawl of the same demo sites."""

from __future__ import annotations

import sqlite3

import pytest
from crawling import scrapy_crawl

from newscrawl.demo.server import DemoSites
from newscrawl.urls import site_of


def articles(result) -> dict[str, tuple]:
    """canonical URL -> (fetched URL, source, artists) of every archived article."""
    return {
        r["canonical_url"]: (r["url"], r["source_id"], r["artists"])
        for r in result.query("select canonical_url, url, source_id, artists from articles")
    }


def mentions(result) -> set[tuple]:
    return {
        (r["canonical_url"], r["artist_id"], r["count"])
        for r in result.query(
            "select a.canonical_url, m.artist_id, m.count from mentions m"
            " join articles a on a.id = m.article_id"
        )
    }


def drops(result) -> dict[str, tuple]:
    return {
        r["url"]: (r["stage"], r["reason"])
        for r in result.query("select url, stage, reason from drops")
    }


def archived_and_dropped(result) -> set[str]:
    """URLs that are both an article's URL and a drops row (never allowed)."""
    return {
        r["url"]
        for r in result.query(
            "select url from drops where url in (select url from articles)"
            " or url in (select canonical_url from articles)"
        )
    }


@pytest.fixture(scope="module")
def crawls(tmp_path_factory):
    folder = tmp_path_factory.mktemp("limited")
    out = {}
    with DemoSites(port=0, edition=1) as sites:
        sources = sites.write_sources(folder / "sources.yml")
        artists = sites.write_artists(folder / "artists.yml")

        def crawl(name, **args):
            """Crawl into ``name``.db; the result reads a snapshot taken right after."""
            result = scrapy_crawl(
                db=folder / f"{name}.db", sources=sources, artists=artists, spider_args=args
            )
            snapshot = folder / f"{name}-{len(out)}.db"
            conn = sqlite3.connect(result.db)
            conn.execute("vacuum into ?", [str(snapshot)])
            conn.close()
            result.db = snapshot
            return result

        out["clean"] = crawl("clean")
        out["clean_again"] = crawl("clean")
        out["artists_limited"] = crawl("artists", artists="Lady Gaga")
        out["artists_then_full"] = crawl("artists")
        out["since_first"] = crawl("since")
        out["since_limited"] = crawl("since", since="2026-10-01")
        out["since_then_full"] = crawl("since")
        out["sources_limited"] = crawl("sources", sources="popwire")
        out["sources_then_full"] = crawl("sources")
    return out


def test_a_run_limited_to_one_artist_tags_every_watched_artist(crawls):
    limited = crawls["artists_limited"]
    clean = articles(crawls["clean"])
    stored = articles(limited)
    assert stored and set(stored) < set(clean)
    # Every article it stored carries all the watched artists it mentions, not only hers.
    assert {url: clean[url] for url in stored} == stored
    assert mentions(limited) == {m for m in mentions(crawls["clean"]) if m[0] in stored}
    # Pages about other watched artists are dropped as not_selected, not as no_artist.
    reasons = drops(limited)
    assert ("tag", "not_selected") in set(reasons.values())
    for url, (stage, reason) in drops(crawls["clean"]).items():
        if reason == "no_artist":
            assert reasons.get(url) == (stage, reason)


def test_a_full_run_after_an_artist_limited_run_archives_everything(crawls):
    after = crawls["artists_then_full"]
    assert articles(after) == articles(crawls["clean"])
    assert mentions(after) == mentions(crawls["clean"])
    assert drops(after) == drops(crawls["clean"])
    assert archived_and_dropped(after) == set()


def test_a_since_limited_run_leaves_the_archive_and_the_ledger_alone(crawls):
    limited = crawls["since_limited"]
    clean = crawls["clean"]
    assert articles(limited) == articles(clean)
    assert archived_and_dropped(limited) == set()
    # Earlier drops keep their reasons; only URLs unknown to the archive become
    # before_since drops (the demo has none: a full crawl preceded it).
    assert drops(limited) == drops(clean)
    assert limited.run()["articles_new"] == 0


def test_a_full_run_after_a_since_limited_run_fetches_no_more_than_usual(crawls):
    after = crawls["since_then_full"]
    assert articles(after) == articles(crawls["clean"])
    assert drops(after) == drops(crawls["clean"])
    # No more than a plain second run fetches (the deliberately failing pages, retried).
    assert after.run()["requested"] == crawls["clean_again"].run()["requested"]


def test_the_original_replaces_a_copy_archived_by_a_sources_limited_run(crawls):
    limited = articles(crawls["sources_limited"])
    copies = {url: row for url, row in limited.items() if site_of(row[0]) != site_of(url)}
    assert copies, "the popwire-only run archives a syndicated copy of another publisher's story"
    after = crawls["sources_then_full"]
    assert articles(after) == articles(crawls["clean"])
    assert drops(after) == drops(crawls["clean"])
    run = after.run()
    assert run["articles_updated"] == len(copies)
    per_source = {
        r["source_id"]: r["archived"]
        for r in after.query("select source_id, archived from run_sources where run_id = ?", (2,))
    }
    assert all(count >= 0 for count in per_source.values())
