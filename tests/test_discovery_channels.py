"""Each discovery channel on its own, against the demo catalogue: a crawl restricted to
one channel finds exactly the articles that channel lists, with the channel's evidence."""

from __future__ import annotations

import json

import pytest
import yaml
from crawling import evidence, scrapy_crawl, serve_locally, tiny_site

from newscrawl.refresh import parse_time

CHANNEL_KEYS = {
    "sitemaps": {"sitemap", "news-sitemap"},
    "feeds": {"rss", "atom"},
    "listings": {"listing"},
    "artist_pages": {"artist-page"},
}
ALL_KEYS = ("sitemaps", "feeds", "listings", "artist_pages")


def only(key: str, sources_path, out_path):
    data = yaml.safe_load(sources_path.read_text())
    kept = []
    for source in data["sources"]:
        if not source.get(key):
            continue
        for other in ALL_KEYS:
            if other != key:
                source.pop(other, None)
        kept.append(source)
    out_path.write_text(yaml.safe_dump({"sources": kept}, sort_keys=False))
    return out_path


@pytest.mark.parametrize("key", ALL_KEYS)
def test_one_channel(key, tmp_path, demo_sites, demo_catalog, demo_config):
    sources, artists = demo_config
    restricted = only(key, sources, tmp_path / f"{key}.yml")
    result = scrapy_crawl(db=tmp_path / "a.db", sources=restricted, artists=artists)
    base = demo_sites.base_urls
    listed = {a.url(base): a for a in demo_catalog.articles if a.channels & CHANNEL_KEYS[key]}
    assert listed, key
    archived = {r["url"]: r for r in result.query("select * from articles")}
    dropped = {r["url"]: r["reason"] for r in result.query("select url, reason from drops")}
    # every listed article page ends archived or in the ledger, and nothing unlisted is archived
    assert set(listed) <= set(archived) | set(dropped)
    assert set(archived) <= set(listed)
    for url, truth in listed.items():
        if truth.archivable and truth.artists and not truth.syndicated_from:
            assert url in archived, url
        elif truth.robots_disallowed:
            assert dropped[url] == "robots"
        elif truth.status != 200:
            assert dropped[url] == "http_status"
    for row in archived.values():
        seen = evidence(row)
        assert set(seen["channels"]) & CHANNEL_KEYS[key], seen
        channel = seen["channel"]
        if channel == "news-sitemap":
            assert seen["published"] and seen["title"] and seen["keywords"], seen
        elif channel == "sitemap":
            assert seen.get("lastmod"), seen
        elif channel == "rss":
            assert seen["published"] and seen["categories"], seen
        elif channel == "atom":
            assert seen["published"] and seen["updated"] and seen["author"], seen
        else:
            assert seen["via"].startswith("http"), seen


def test_artist_pages_filled_for_every_watched_artist(tmp_path, demo_sites, demo_config):
    sources, artists = demo_config
    restricted = only("artist_pages", sources, tmp_path / "ap.yml")
    demo_sites.reset_hits()
    scrapy_crawl(
        db=tmp_path / "a.db",
        sources=restricted,
        artists=artists,
        spider_args={"artists": "Lady Gaga,Beyoncé"},
    )
    popwire = demo_sites.hits["popwire"]
    stage = demo_sites.hits["stagescreen"]
    assert popwire["/tag/lady-gaga/"] == 1 and popwire["/tag/beyonce/"] == 1
    assert stage["/search?q=Lady+Gaga"] == 1 and stage["/search?q=Beyonc%C3%A9"] == 1
    assert not any("taylor-swift" in p for p in popwire)  # only the selected artists


def test_since_skips_older_dated_entries(tmp_path, demo_config, demo_sites, demo_catalog):
    sources, artists = demo_config
    restricted = only("feeds", sources, tmp_path / "feeds.yml")
    result = scrapy_crawl(
        db=tmp_path / "a.db",
        sources=restricted,
        artists=artists,
        spider_args={"since": "2026-06-01"},
    )
    published = [r["published_at"][:10] for r in result.query("select published_at from articles")]
    assert published and all(p >= "2026-06-01" for p in published)
    before = result.query("select url, detail from drops where reason = 'before_since'")
    assert before and all("2026-06-01" in r["detail"] for r in before)
    base = demo_sites.base_urls
    old_in_feeds = {
        a.url(base)
        for a in demo_catalog.articles
        if a.channels & {"rss", "atom"}
        and a.published_dt
        and a.published_dt.date().isoformat() < "2026-06-01"
    }
    assert {r["url"] for r in before} == old_in_feeds


def test_since_also_drops_pages_only_undated_channels_led_to(tmp_path, demo_config):
    # Every channel: listings and artist pages lead to pages no dated channel vouches
    # for before the fetch; their own publication date decides after extraction.
    sources, artists = demo_config
    since = parse_time("2026-06-01")
    result = scrapy_crawl(
        db=tmp_path / "a.db", sources=sources, artists=artists, spider_args={"since": "2026-06-01"}
    )
    published = [parse_time(r["published_at"]) for r in result.query("select * from articles")]
    assert published and all(moment >= since for moment in published if moment)
    late = result.query(
        "select url, detail from drops where stage = 'extract' and reason = 'before_since'"
    )
    assert late and all(r["detail"].endswith("before 2026-06-01") for r in late)
    assert not {r["url"] for r in late} & {
        r["url"] for r in result.query("select url from articles")
    }


def test_limit_to_sources_and_artists(tmp_path, demo_config):
    sources, artists = demo_config
    result = scrapy_crawl(
        db=tmp_path / "a.db",
        sources=sources,
        artists=artists,
        spider_args={"sources": "stagescreen", "artists": "Taylor Swift"},
    )
    rows = result.query("select source_id, artists from articles")
    assert rows and {r["source_id"] for r in rows} == {"stagescreen"}
    assert all(json.loads(r["artists"]) == ["Taylor Swift"] for r in rows)
    assert json.loads(result.run()["args"]) == {"sources": "stagescreen", "artists": "Taylor Swift"}
    # The run records every newscrawl setting in force, defaults and overrides alike.
    recorded = json.loads(result.run()["settings"])
    assert recorded["NEWSCRAWL_EXTRACT_WORKERS"] == "2"  # -s by the test
    assert recorded["NEWSCRAWL_INCREMENTAL"] is True and recorded["NEWSCRAWL_MIN_WORDS"] == 40
    assert recorded["NEWSCRAWL_DB"] == str(tmp_path / "a.db") and "USER_AGENT" in recorded


def test_direct_urls(tmp_path, demo_config, demo_sites, demo_catalog):
    sources, artists = demo_config
    seed = next(
        a for a in demo_catalog.articles if a.title == "Britney Spears Prepping Duet With Lady Gaga"
    )
    url = seed.url(demo_sites.base_urls) + "?utm_source=newsletter#top"
    result = scrapy_crawl(
        db=tmp_path / "a.db", sources=sources, artists=artists, spider_args={"urls": url}
    )
    rows = result.query("select url, canonical_url from articles")
    assert rows == [
        {"url": seed.url(demo_sites.base_urls), "canonical_url": seed.url(demo_sites.base_urls)}
    ]


def test_budget_caps_article_fetches_per_source(tmp_path, demo_config, demo_sites):
    sources, artists = demo_config
    data = yaml.safe_load(sources.read_text())
    for source in data["sources"]:
        source["max_pages"] = 3
    capped = tmp_path / "capped.yml"
    capped.write_text(yaml.safe_dump(data, sort_keys=False))
    demo_sites.reset_hits()
    result = scrapy_crawl(db=tmp_path / "a.db", sources=capped, artists=artists)
    per_source = {r["source_id"]: r for r in result.query("select * from run_sources")}
    assert all(r["requested"] == 3 for r in per_source.values()), per_source
    budget = result.query("select source_id, detail from drops where reason = 'budget'")
    assert budget and all(r["detail"] == "max_pages 3 reached" for r in budget)
    assert {r["source_id"] for r in budget} == set(per_source)


def test_offsite_and_off_pattern_urls_from_a_sitemap_are_ledger_rows(
    tmp_path, demo_config, demo_sites
):
    from scrapy.utils.test import get_crawler

    from newscrawl.session import CrawlSession
    from newscrawl.spiders.news import NewsSpider

    sources, artists = demo_config
    settings = {
        "NEWSCRAWL_DB": str(tmp_path / "a.db"),
        "NEWSCRAWL_SOURCES": str(sources),
        "NEWSCRAWL_ARTISTS": str(artists),
    }
    crawler = get_crawler(NewsSpider, settings)
    spider = crawler.spider = crawler._create_spider()
    session = CrawlSession.of(crawler)
    popwire = spider.by_id["popwire"]
    base = demo_sites.base_urls["popwire"]
    cases = {
        "https://elsewhere.example/2026/01/a/": ("dropped", "offsite"),
        base + "about/": ("dropped", "off_pattern"),
        base + "2026/01/a-new-story/?utm_source=x": ("requested", None),
    }
    for url, (outcome, _) in cases.items():
        assert (
            spider.consider(popwire, url, {"channel": "sitemap"}, report_off_pattern=True)[0]
            == outcome
        )
    # seen again from a listing: decided once, not reported twice
    assert (
        spider.consider(popwire, base + "about/", {"channel": "listing"}, report_off_pattern=False)[
            0
        ]
        == "dropped"
    )
    session.close("finished")
    import sqlite3

    with sqlite3.connect(tmp_path / "a.db") as conn:
        drops = dict(conn.execute("select url, reason from drops"))
    assert drops == {
        "https://elsewhere.example/2026/01/a/": "offsite",
        base + "about/": "off_pattern",
    }


def test_robots_txt_holds_for_every_request_waiting_for_it(
    tmp_path, demo_config, demo_sites, demo_catalog
):
    """Several requests to a host whose robots.txt is still downloading are all checked
    (Scrapy 2.19 hands the parser only to the first; newscrawl's middleware fixes it)."""
    sources, artists = demo_config
    premium = [a.url(demo_sites.base_urls) for a in demo_catalog.articles if a.robots_disallowed]
    assert len(premium) == 3
    demo_sites.reset_hits()
    result = scrapy_crawl(
        db=tmp_path / "a.db",
        sources=sources,
        artists=artists,
        spider_args={"urls": ",".join(premium)},
    )
    assert result.scalar("select count(*) from articles") == 0
    assert result.query("select url, reason from drops order by url") == [
        {"url": u, "reason": "robots"} for u in sorted(premium)
    ]
    assert not any(
        demo_sites.hits["dailygossip"][a.path] for a in demo_catalog.articles if a.robots_disallowed
    )


STORY_WORDS = " ".join(["Lady Gaga announced a new album on Friday night."] * 12)


def story(title: str) -> str:
    return (
        f"<html><head><title>{title}</title></head><body><article><h1>{title}</h1>"
        f"<p>{STORY_WORDS}</p></article></body></html>"
    )


def crawl_tiny_site(tmp_path, pages, **source):
    """Crawl :func:`crawling.tiny_site` serving ``pages``; returns (base URL, result)."""
    with tiny_site(tmp_path, pages, **source) as (base, sources, artists):
        return base, scrapy_crawl(db=tmp_path / "a.db", sources=sources, artists=artists)


def test_a_url_that_is_also_a_discovery_page_is_accounted_for(tmp_path):
    # A home page listed in the site's own sitemap is requested as the listing and as an
    # article candidate: the scheduler drops the second request, which must leave a row.
    base, result = crawl_tiny_site(
        tmp_path,
        {
            "/": '<a href="{base}/2026/story/">Story</a>',
            "/2026/story/": story("Lady Gaga album"),
            "/sitemap.xml": '<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">'
            "<url><loc>{base}/</loc></url><url><loc>{base}/2026/story/</loc></url></urlset>",
        },
        listings=["{base}/"],
        sitemaps=["{base}/sitemap.xml"],
    )
    archived = {r["url"] for r in result.query("select url from articles")}
    dropped = {r["url"]: (r["stage"], r["reason"]) for r in result.query("select * from drops")}
    assert archived == {f"{base}/2026/story/"}
    run = result.run()
    # Every requested article candidate is an article or a ledger row.
    assert run["requested"] == len(archived) + len(dropped)
    assert f"{base}/" in dropped


def test_a_listing_page_already_requested_as_an_article_is_still_followed(tmp_path):
    # The sitemap lists the listing's second page among its URLs, so it is requested as
    # an article candidate first; the listing's next-page link to it must still be
    # followed (the duplicate filter refused it), or the stories only listed from page 2
    # on are never found.
    base, result = crawl_tiny_site(
        tmp_path,
        {
            "/news/": '<a href="{base}/2026/first/">First</a>'
            '<a rel="next" href="{base}/news/page/2/">Older</a>',
            "/news/page/2/": '<a href="{base}/2026/second/">Second</a>',
            "/2026/first/": story("Lady Gaga album"),
            "/2026/second/": story("Lady Gaga tour"),
            "/sitemap.xml": '<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">'
            "<url><loc>{base}/news/page/2/</loc></url></urlset>",
        },
        listings=["{base}/news/"],
        sitemaps=["{base}/sitemap.xml"],
    )
    archived = {r["url"] for r in result.query("select url from articles")}
    dropped = {r["url"] for r in result.query("select url from drops")}
    assert archived == {f"{base}/2026/first/", f"{base}/2026/second/"}
    assert dropped == {f"{base}/news/page/2/"}  # not an article: a not_article drop


def test_a_robots_txt_that_fails_with_a_server_error_disallows_the_host(tmp_path):
    # RFC 9309: robots.txt answered 5xx means "assume complete disallow" (Scrapy alone
    # would allow everything).
    import http.server

    hits: list[str] = []

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self):  # noqa: N802 - the http.server API
            hits.append(self.path)
            if self.path == "/robots.txt":
                self.send_response(503)
                self.end_headers()
                return
            if self.path == "/":
                body = b'<a href="/2026/story/">Story</a>'
            else:
                body = story("Lady Gaga album").encode()
            self.send_response(200)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass

    with serve_locally(Handler) as host:
        sources = tmp_path / "sources.yml"
        sources.write_text(
            yaml.safe_dump(
                {
                    "sources": [
                        {
                            "id": "flaky",
                            "name": "Flaky",
                            "homepage": f"http://{host}/",
                            "allowed_domains": [host],
                            "listings": [f"http://{host}/"],
                        }
                    ]
                }
            )
        )
        artists = tmp_path / "artists.yml"
        artists.write_text("artists:\n  - name: Lady Gaga\n")
        result = scrapy_crawl(
            db=tmp_path / "a.db",
            sources=sources,
            artists=artists,
            settings={"RETRY_TIMES": "1"},
        )
    assert set(hits) == {"/robots.txt"}  # nothing else was fetched
    assert result.query("select count(*) n from articles") == [{"n": 0}]
    assert {r["reason"] for r in result.query("select reason from drops")} <= {"robots"}


def test_a_sitemap_larger_than_an_article_page_is_read(tmp_path):
    # sitemaps.org allows 50 MB uncompressed; DOWNLOAD_MAXSIZE (10 MB) is sized for
    # article pages. A sitemap between the two must be read to its last entry.
    from newscrawl.settings import DOWNLOAD_MAXSIZE

    padding = "<!-- an entry-sized comment, as a large sitemap has many -->\n"
    sitemap = (
        '<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">'
        + padding * (DOWNLOAD_MAXSIZE // len(padding) + 1000)
        + "<url><loc>{base}/2026/story/</loc></url></urlset>"
    )
    assert DOWNLOAD_MAXSIZE < len(sitemap) < 50 * 1024 * 1024
    base, result = crawl_tiny_site(
        tmp_path,
        {"/2026/story/": story("Lady Gaga album"), "/sitemap.xml": sitemap},
        sitemaps=["{base}/sitemap.xml"],
    )
    archived = {r["url"] for r in result.query("select url from articles")}
    assert archived == {f"{base}/2026/story/"}
