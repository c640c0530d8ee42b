"""Incremental crawls over a changing demo: edition 1, then edition 2 of the same sites
(new articles, edited articles, one removed), then edition 2 again."""

from __future__ import annotations

import json

import pytest
from crawling import funnel_gaps, scrapy_crawl

from newscrawl.demo.catalog import load_catalog
from newscrawl.demo.server import DemoSites


@pytest.fixture(scope="module")
def three_crawls(tmp_path_factory):
    folder = tmp_path_factory.mktemp("editions")
    db = folder / "archive.db"
    with DemoSites(port=0, edition=1) as sites:
        sources = sites.write_sources(folder / "sources.yml")
        artists = sites.write_artists(folder / "artists.yml")
        first = scrapy_crawl(db=db, sources=sources, artists=artists)
        funnels = {"first": funnel_gaps(first)}
        before = {r["canonical_url"]: r for r in first.query("select * from articles")}
        sites.set_edition(2)
        sites.reset_hits()
        second = scrapy_crawl(db=db, sources=sources, artists=artists)
        funnels["second"] = funnel_gaps(second)
        hits = {source: dict(counter) for source, counter in sites.hits.items()}
        after_second = {
            t: second.scalar(f"select count(*) from {t}")
            for t in ("articles", "revisions", "mentions")
        }
        third = scrapy_crawl(db=db, sources=sources, artists=artists)
        funnels["third"] = funnel_gaps(third)
        yield sites.base_urls, before, second, hits, after_second, third, funnels


def test_new_articles_arrive(three_crawls):
    base, before, second, *_ = three_crawls
    catalog = load_catalog(2)
    new_watched = {
        a.url(base) for a in catalog.articles if a.edition_changes == "new" and a.artists
    }
    new_unwatched = {
        a.url(base) for a in catalog.articles if a.edition_changes == "new" and not a.artists
    }
    urls = {r["url"] for r in second.query("select url from articles")}
    assert new_watched <= urls and not (new_watched & set(before))
    assert len(new_watched) == 3
    drops = {r["url"]: r["reason"] for r in second.query("select url, reason from drops")}
    assert {u: drops.get(u) for u in new_unwatched} == dict.fromkeys(new_unwatched, "no_artist")
    run = second.run(2)
    assert run["articles_new"] == 3


def test_each_runs_funnel_adds_up_per_publisher(three_crawls):
    # New, edited, removed and unchanged pages: every count of each run's funnel is
    # accounted for (tests/crawling.py: funnel_gaps).
    assert three_crawls[-1] == {"first": {}, "second": {}, "third": {}}


def test_edited_articles_become_revisions(three_crawls):
    base, before, second, *_ = three_crawls
    catalog = load_catalog(2)
    edited = {a.canonical_url(base): a for a in catalog.articles if a.edition_changes == "edited"}
    assert len(edited) == 3
    rows = {r["canonical_url"]: r for r in second.query("select * from articles")}
    for url, truth in edited.items():
        row = rows[url]
        assert row["revision_count"] == 1, url
        assert row["title"] == truth.title or row["body"] != before[url]["body"]
        (revision,) = second.query("select * from revisions where article_id = ?", (row["id"],))
        assert revision["content_hash"] == before[url]["content_hash"]
        assert revision["body"] == before[url]["body"] and revision["title"] == before[url]["title"]
        assert json.loads(revision["changed_fields"]), url
        assert revision["seen_until"] == row["fetched_at"]
    assert second.run(2)["articles_updated"] == 3
    assert second.scalar("select count(*) from revisions") == 3


def test_only_new_or_changed_article_pages_are_fetched(three_crawls):
    base, before, second, hits, *_ = three_crawls
    catalog = load_catalog(2)
    allowed = {
        a.path
        for a in catalog.articles
        if a.edition_changes in ("new", "edited") or a.status != 200 or a.robots_disallowed
    }
    article_paths = {a.path for a in catalog.articles}
    fetched_articles = {
        path for counter in hits.values() for path in counter if path in article_paths
    }
    assert fetched_articles <= allowed
    assert {a.path for a in catalog.articles if a.edition_changes == "edited"} <= fetched_articles


def test_nothing_doubled_and_a_rerun_changes_nothing(three_crawls):
    after_second, third = three_crawls[4:6]
    counts = {
        t: third.scalar(f"select count(*) from {t}") for t in ("articles", "revisions", "mentions")
    }
    assert counts == after_second
    assert counts["articles"] == 46 + 3
    assert third.scalar("select count(distinct canonical_url) from articles") == counts["articles"]
    run = third.run(3)
    assert (run["articles_new"], run["articles_updated"]) == (0, 0)
