"""End to end: the real `news` spider crawls the demo publishers into a temporary archive.

Expected numbers come twice: from the demo catalogue (the ground truth a careful human
reader recorded for every page) and as literal counts, so a change to either shows up.
"""

from __future__ import annotations

import json
from urllib.parse import urlsplit

import pytest
from crawling import evidence, funnel_gaps, scrapy_crawl


def expected_archive(catalog, base_urls):
    """canonical URL → true artists, for every page a polite crawl should archive."""
    return {
        a.canonical_url(base_urls): set(a.artists)
        for a in catalog.articles
        if a.archivable and a.artists and a.syndicated_from is None
    }


@pytest.fixture(scope="module")
def first_and_second_crawl(tmp_path_factory, demo_sites):
    folder = tmp_path_factory.mktemp("demo-crawl")
    sources = demo_sites.write_sources(folder / "sources.yml")
    artists = demo_sites.write_artists(folder / "artists.yml")
    db = folder / "archive.db"
    demo_sites.reset_hits()
    first = scrapy_crawl(db=db, sources=sources, artists=artists)
    funnels = {"first": funnel_gaps(first)}
    first_hits = {source: dict(counter) for source, counter in demo_sites.hits.items()}
    snapshot = {
        t: first.scalar(f"select count(*) from {t}")
        for t in ("articles", "mentions", "drops", "revisions")
    }
    demo_sites.reset_hits()
    second = scrapy_crawl(db=db, sources=sources, artists=artists)
    funnels["second"] = funnel_gaps(second)
    second_hits = {source: dict(counter) for source, counter in demo_sites.hits.items()}
    return first, snapshot, first_hits, second, second_hits, funnels


def test_every_watched_article_archived_once_with_its_artists(
    first_and_second_crawl, demo_sites, demo_catalog
):
    first, *_ = first_and_second_crawl
    expected = expected_archive(demo_catalog, demo_sites.base_urls)
    rows = first.query("select id, canonical_url, artists from articles")
    got = {r["canonical_url"]: set(json.loads(r["artists"])) for r in rows}
    assert len(rows) == len(got)  # one row per canonical URL
    assert set(got) == set(expected)
    mismatched = {url: (got[url], expected[url]) for url in expected if got[url] != expected[url]}
    assert not mismatched
    assert len(rows) == 46


def test_drops_explain_everything_else(first_and_second_crawl, demo_sites, demo_catalog):
    first, *_ = first_and_second_crawl
    base = demo_sites.base_urls
    drops = {r["url"]: r for r in first.query("select * from drops")}
    reasons: dict[str, int] = {}
    for row in drops.values():
        reasons[row["reason"]] = reasons.get(row["reason"], 0) + 1
    no_artist = {a.url(base) for a in demo_catalog.articles if a.archivable and not a.artists}
    assert {u for u, r in drops.items() if r["reason"] == "no_artist"} == no_artist
    robots = {a.url(base) for a in demo_catalog.articles if a.robots_disallowed and a.channels}
    assert {u for u, r in drops.items() if r["reason"] == "robots"} == robots
    broken = {
        a.url(base): a.status
        for a in demo_catalog.articles
        if a.status != 200 and a.channels and not a.robots_disallowed
    }
    assert {u: r["status"] for u, r in drops.items() if r["reason"] == "http_status"} == broken
    copies = {a.url(base) for a in demo_catalog.articles if a.syndicated_from and a.archivable}
    assert {u for u, r in drops.items() if r["reason"] == "duplicate"} == copies
    off_pattern = {
        p.url(base) if hasattr(p, "url") else base[p.source_id].rstrip("/") + p.path
        for p in demo_catalog.pages
    }
    assert {u for u, r in drops.items() if r["reason"] == "off_pattern"} <= off_pattern
    assert reasons == {
        "no_artist": 34,
        "robots": 3,
        "http_status": 2,
        "duplicate": 1,
        "off_pattern": reasons.get("off_pattern", 0),
    }
    assert reasons["off_pattern"] >= 1
    # Every catalogued URL a channel lists is either archived or in the ledger.
    archived = {r["url"] for r in first.query("select url from articles")}
    listed = {a.url(base) for a in demo_catalog.articles if a.channels}
    assert listed <= archived | set(drops)


def test_seed_article_found_by_full_text_search(first_and_second_crawl):
    first, *_ = first_and_second_crawl
    rows = first.query(
        "select a.title, a.artists from articles_fts join articles a on a.id = articles_fts.rowid"
        " where articles_fts match 'duet'"
    )
    seed = [r for r in rows if r["title"] == "Britney Spears Prepping Duet With Lady Gaga"]
    assert len(seed) == 1
    assert set(json.loads(seed[0]["artists"])) == {"Britney Spears", "Lady Gaga"}
    saliences = first.query(
        "select m.artist_id, m.salience, m.count from mentions m join articles a on a.id = m.article_id"
        " where a.title = 'Britney Spears Prepping Duet With Lady Gaga' order by m.artist_id"
    )
    assert [s["artist_id"] for s in saliences] == ["britney-spears", "lady-gaga"]
    assert all(s["salience"] >= 0.5 for s in saliences)


def test_run_row_counts_the_funnel(first_and_second_crawl):
    first, *_ = first_and_second_crawl
    run = first.run(1)
    assert run["finish_reason"] == "finished"
    assert run["articles_new"] == 46 and run["articles_updated"] == 0
    assert run["pages_skipped"] == 0
    assert run["dropped"] >= 40
    per_source = first.query("select * from run_sources where run_id = 1 order by source_id")
    assert [r["source_id"] for r in per_source] == [
        "dailygossip",
        "popwire",
        "showbizbulletin",
        "stagescreen",
    ]
    assert sum(r["archived"] for r in per_source) == 46


def test_each_runs_funnel_adds_up_per_publisher(first_and_second_crawl):
    # stats prints these counts; a researcher reads them as a funnel that adds up: each
    # candidate requested, skipped or dropped, each request answered or dropped, each
    # answer archived or dropped, each drop a row (tests/crawling.py: funnel_gaps).
    *_, funnels = first_and_second_crawl
    assert funnels == {"first": {}, "second": {}}


def test_article_rows_carry_provenance_evidence_and_warc_pointer(first_and_second_crawl):
    first, *_ = first_and_second_crawl
    rows = first.query("select * from articles")
    for row in rows:
        assert json.loads(row["provenance"]), row["url"]
        assert evidence(row).get("channels"), row["url"]
        assert row["warc_file"] and row["warc_offset"] is not None
        assert row["extractor_version"]
        assert (
            row["published_month"] == (row["published_at"] or "")[:7] or row["published_at"] is None
        )


def test_second_run_adds_nothing_and_fetches_no_archived_page(
    first_and_second_crawl, demo_sites, demo_catalog
):
    first, snapshot, first_hits, second, second_hits, _ = first_and_second_crawl
    after = {
        t: second.scalar(f"select count(*) from {t}")
        for t in ("articles", "mentions", "drops", "revisions")
    }
    assert after == snapshot
    run = second.run(2)
    assert run["articles_new"] == 0 and run["articles_updated"] == 0
    assert run["pages_skipped"] > 0
    # Only pages that failed last time are requested again: the 404, the 500, and the
    # robots-disallowed ones (robots.txt may have changed; the middleware decides).
    retried = [
        a for a in demo_catalog.articles if a.channels and (a.status != 200 or a.robots_disallowed)
    ]
    assert run["requested"] == len(retried) == 5
    archived = set()
    for row in second.query("select source_id, url from articles"):
        parts = urlsplit(row["url"])
        archived.add((row["source_id"], parts.path + (f"?{parts.query}" if parts.query else "")))
    refetched = [
        (source_id, path)
        for source_id, counter in second_hits.items()
        for path in counter
        if (source_id, path) in archived
    ]
    assert refetched == []
    # the first run did fetch them, so the check above can fail
    assert sum(first_hits[s].get(p, 0) for s, p in archived) >= 46


def test_the_article_page_marks_exactly_what_was_counted(first_and_second_crawl):
    # Weak aliases ("Spears" beside "Britney"), all-caps headline aliases ("RIRI"): the
    # page marks each counted mention, from the places the tagger stored.
    import re

    from archive_fixtures import SyncClient

    from newscrawl.serve import build_datasette

    first, *_ = first_and_second_crawl
    client = SyncClient(build_datasette(first.db))
    database = first.db.stem
    counts: dict[int, dict[str, int]] = {}
    for row in first.query("select article_id, artist_id, count from mentions"):
        counts.setdefault(row["article_id"], {})[row["artist_id"]] = row["count"]
    weak_marked = 0
    for article_id, expected in counts.items():
        page = client.get(f"/-/article/{database}/{article_id}")
        assert page.status_code == 200
        marked: dict[str, int] = {}
        for artist_id, text in re.findall(
            r'<mark [^>]*data-artist="([^"]+)"[^>]*>([^<]*)<', page.text
        ):
            marked[artist_id] = marked.get(artist_id, 0) + 1
            weak_marked += text in ("Spears", "Gaga", "Styles", "Swift", "Brit")
        assert marked == expected, article_id
    assert weak_marked > 0
    client.close()


def test_a_crawl_opens_no_way_in(first_and_second_crawl):
    # Neither Scrapy's telnet console nor its RemoteControl endpoint (which runs Python
    # code sent to it over HTTP; enabled by Scrapy's defaults since 2.19) runs in a crawl.
    first = first_and_second_crawl[0]
    enabled = first.output.split("Enabled extensions:", 1)[1].split("]", 1)[0]
    assert "scrapy.extensions.corestats.CoreStats" in enabled
    assert "TelnetConsole" not in enabled and "RemoteControl" not in enabled, enabled
