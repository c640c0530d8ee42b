"""AMP and trailing-slash spellings of an article URL are requested once, as the
article's own URL, instead of being fetched and merged with it afterwards."""

from __future__ import annotations

import pytest
from crawling import named_sites, scrapy_crawl
from test_sitemap_hosts import story, urlset

from newscrawl.sources import parse_sources
from newscrawl.url_variants import other_slash, plain_variant, request_spelling

HOME = "http://www.tiny.test"


def amp(title: str, canonical: str) -> str:
    return story(title).replace(
        "<head>", f'<head><link rel="canonical" href="{canonical}"><html amp>', 1
    )


@pytest.mark.parametrize(
    ("url", "plain"),
    [
        ("https://www.x.com/story/x/amp/", "https://www.x.com/story/x/"),
        ("https://www.x.com/story/x/amp", "https://www.x.com/story/x"),
        ("https://www.x.com/story/x.amp.html", "https://www.x.com/story/x.html"),
        ("https://www.x.com/story/x.amp", "https://www.x.com/story/x"),
        ("https://www.x.com/amp/story/x", "https://www.x.com/story/x"),
        ("https://www.x.com/story/x?outputType=amp", "https://www.x.com/story/x"),
        ("https://www.x.com/story/x/?amp=1&id=3", "https://www.x.com/story/x/?id=3"),
        ("https://www.x.com/story/x/?amp", "https://www.x.com/story/x/"),
        ("https://amp.x.com/story/x/", "https://www.x.com/story/x/"),
        # Not AMP markers: left alone.
        ("https://www.x.com/amp/", "https://www.x.com/amp/"),
        ("https://www.x.com/story/ampere/", "https://www.x.com/story/ampere/"),
        ("https://www.x.com/story/x.amplified.html", "https://www.x.com/story/x.amplified.html"),
        ("https://www.x.com/story/x?amp=0", "https://www.x.com/story/x?amp=0"),
        ("https://www.x.com/a//b?q=a%20b", "https://www.x.com/a//b?q=a%20b"),
    ],
)
def test_plain_variant(url, plain):
    assert plain_variant(url, homepage="https://www.x.com/") == plain


def test_other_slash():
    assert other_slash("https://x.com/a") == "https://x.com/a/"
    assert other_slash("https://x.com/a/?q=1") == "https://x.com/a?q=1"
    assert other_slash("https://x.com/") is None
    assert other_slash("https://x.com/a.html") is None


def test_a_spelling_off_the_article_pattern_is_not_requested():
    (source,) = parse_sources(
        '{"sources": [{"id": "x", "name": "X", "homepage": "https://x.com/",'
        ' "allowed_domains": ["x.com"], "listings": ["https://x.com/"],'
        ' "article_url": "/story/[a-z-]+/amp/$"}]}'
    )
    # The AMP page is the only article URL the pattern allows: it stays.
    url = "https://x.com/story/x/amp/"
    assert request_spelling(url, source, decided={}, archived=None) == url


def crawl(tmp_path, pages, name="a.db", **source):
    with named_sites(tmp_path, pages, **source) as (hits, sources, artists, env):
        result = scrapy_crawl(db=tmp_path / name, sources=sources, artists=artists, env=env)
    return hits, result


SITE = {
    f"{HOME}/news/": f'<a href="{HOME}/2026/one/amp/">One</a>'
    f'<a href="{HOME}/2026/two?outputType=amp">Two</a>'
    f'<a href="http://amp.tiny.test/2026/three/">Three</a>'
    f'<a href="{HOME}/2026/four">Four</a>',
    f"{HOME}/sitemap.xml": urlset(f"{HOME}/2026/one/", f"{HOME}/2026/four/"),
    f"{HOME}/2026/one/": story("Lady Gaga album"),
    f"{HOME}/2026/one/amp/": amp("Lady Gaga album", f"{HOME}/2026/one/"),
    f"{HOME}/2026/two": story("Lady Gaga tour"),
    f"{HOME}/2026/two?outputType=amp": amp("Lady Gaga tour", f"{HOME}/2026/two"),
    f"{HOME}/2026/three/": story("Lady Gaga award"),
    "http://amp.tiny.test/2026/three/": amp("Lady Gaga award", f"{HOME}/2026/three/"),
    f"{HOME}/2026/four/": story("Lady Gaga duet"),
    f"{HOME}/2026/four": story("Lady Gaga duet"),
}
SOURCE = {
    "allowed_domains": ["tiny.test"],
    "listings": [f"{HOME}/news/"],
    "sitemaps": [f"{HOME}/sitemap.xml"],
    "article_url": "/2026/",
}


def test_amp_and_slash_spellings_are_requested_once_as_the_article(tmp_path):
    hits, result = crawl(tmp_path, SITE, **SOURCE)
    articles = {r["url"] for r in result.query("select url from articles")}
    # /2026/four/ (sitemap) and /2026/four (listing): whichever channel is read first
    # names the one request.
    four = articles - {f"{HOME}/2026/{s}" for s in ("one/", "two", "three/")}
    assert len(articles) == 4 and four <= {f"{HOME}/2026/four/", f"{HOME}/2026/four"}
    fetched = [h for h in hits if "/2026/" in h]
    assert sorted(fetched) == sorted(articles)  # no AMP page, no second spelling
    assert result.query("select url, reason from drops") == []
    run = result.run()
    assert run["requested"] == 4
    listed = result.query(
        "select json_extract(discovery, '$.listed_as') listed from articles where url = ?",
        (f"{HOME}/2026/one/",),
    )
    assert listed == [{"listed": f"{HOME}/2026/one/amp/"}]


def test_a_second_run_fetches_no_spelling_of_an_archived_article(tmp_path):
    crawl(tmp_path, SITE, **SOURCE)
    # Next hour the sitemap is gone and the listing links the other spellings only.
    site = {**SITE, f"{HOME}/news/": SITE[f"{HOME}/news/"] + f'<a href="{HOME}/2026/one">1</a>'}
    del site[f"{HOME}/sitemap.xml"]
    hits, result = crawl(tmp_path, site, **SOURCE)
    assert [h for h in hits if "/2026/" in h] == []
    assert result.scalar("select count(*) from articles") == 4
    assert result.query("select url from drops") == []


def test_an_amp_page_whose_plain_url_is_missing_is_fetched_as_listed(tmp_path):
    hits, result = crawl(
        tmp_path,
        {
            f"{HOME}/news/": f'<a href="{HOME}/2026/only-amp/amp/">AMP only</a>',
            f"{HOME}/2026/only-amp/amp/": amp("Lady Gaga album", f"{HOME}/2026/only-amp/amp/"),
        },
        allowed_domains=["tiny.test"],
        listings=[f"{HOME}/news/"],
        article_url="/2026/",
    )
    assert [h for h in hits if "/2026/" in h] == [
        f"{HOME}/2026/only-amp/",
        f"{HOME}/2026/only-amp/amp/",
    ]
    assert [r["url"] for r in result.query("select url from articles")] == [
        f"{HOME}/2026/only-amp/amp/"
    ]
    assert result.query("select url from drops") == []
    run = result.run()
    assert (run["requested"], run["pages_fetched"]) == (1, 1)


def test_a_refetch_asks_for_the_spelling_the_article_was_fetched_from(tmp_path):
    # The AMP page names its plain URL as canonical, but the plain URL answers 404: the
    # first run archived the AMP page (url /amp/, canonical_url the plain URL). A refetch
    # found the archived row by its canonical URL and asked for the plain URL, whose 404
    # was a "removed" drop: the living article was never refreshed again.
    plain, listed = f"{HOME}/2026/only-amp/", f"{HOME}/2026/only-amp/amp/"
    site = {
        f"{HOME}/sitemap.xml": urlset(listed),
        listed: amp("Lady Gaga album", plain),
    }
    source = {"allowed_domains": ["tiny.test"], "sitemaps": [f"{HOME}/sitemap.xml"]}
    crawl(tmp_path, site, article_url="/2026/", **source)
    # The sitemap says the page changed since: it is due for a refetch.
    changed = f"<loc>{listed}</loc><lastmod>2099-01-01T00:00:00Z</lastmod>"
    site[f"{HOME}/sitemap.xml"] = urlset(listed).replace(f"<loc>{listed}</loc>", changed)
    hits, result = crawl(tmp_path, site, article_url="/2026/", **source)
    assert [h for h in hits if "/2026/" in h] == [listed]
    assert result.query("select url, canonical_url from articles") == [
        {"url": listed, "canonical_url": plain}
    ]
    assert result.query("select url, reason from drops") == []

    # Later the site drops AMP (the AMP URL answers 404) and serves the story at its
    # plain URL: the refetch finds it there instead of taking it for removed.
    changed = changed.replace("2099-01-01", "2099-06-01")
    site = {
        f"{HOME}/sitemap.xml": urlset(listed).replace(f"<loc>{listed}</loc>", changed),
        plain: story("Lady Gaga album, updated"),
    }
    hits, result = crawl(tmp_path, site, article_url="/2026/", **source)
    assert [h for h in hits if "/2026/" in h] == [listed, plain]
    assert result.query("select url, canonical_url, title from articles") == [
        {"url": plain, "canonical_url": plain, "title": "Lady Gaga album, updated"}
    ]
    assert result.query("select url, reason from drops") == []


def test_redis_mode_a_second_run_fetches_no_slash_spelling_of_a_fetched_article(
    tmp_path, redis_url
):
    # A worker cannot ask the archive; the shared "seen" set stands in for it. The
    # spelling a worker requested last run was not looked for there, so the other
    # spelling was fetched on every run and dropped as a duplicate by the ingester.
    sitemap = {f"{HOME}/sitemap.xml": urlset(f"{HOME}/2026/four/")}
    listing = {f"{HOME}/news/": f'<a href="{HOME}/2026/four">Four</a>'}
    pages = {f"{HOME}/2026/four/": story("Lady Gaga duet"), f"{HOME}/2026/four": story("x")}
    settings = {
        "NEWSCRAWL_REDIS_URL": redis_url,
        "NEWSCRAWL_DB": str(tmp_path / "no-such-folder" / "worker.db"),
    }
    for channel, source in (
        (sitemap, {"sitemaps": [f"{HOME}/sitemap.xml"]}),
        (listing, {"listings": [f"{HOME}/news/"]}),
    ):
        with named_sites(tmp_path, {**channel, **pages}, article_url="/2026/", **source) as (
            hits,
            sources,
            artists,
            env,
        ):
            scrapy_crawl(
                db=tmp_path / "unused.db",
                sources=sources,
                artists=artists,
                env=env,
                settings=settings,
            )
        if channel is sitemap:
            assert [h for h in hits if "/2026/" in h] == [f"{HOME}/2026/four/"]
    assert [h for h in hits if "/2026/" in h] == []


def test_an_amp_page_whose_plain_url_is_a_soft_404_is_fetched_as_listed(tmp_path):
    # A site that answers a URL it does not have with a "page not found" page and status
    # 200: the plain URL of a story it serves only as AMP was dropped as soft_404 after
    # extraction, and the AMP page the listing named was never fetched, on every run.
    plain, listed = f"{HOME}/2026/only-amp/", f"{HOME}/2026/only-amp/amp/"
    not_found = (
        "<html><head><title>Tiny</title></head><body><h1>Tiny</h1>"
        "<p>The page you requested could not be found.</p>"
        f"<p>{'Latest stories about Lady Gaga and more. ' * 20}</p></body></html>"
    )
    hits, result = crawl(
        tmp_path,
        {
            f"{HOME}/news/": f'<a href="{listed}">AMP only</a>',
            plain: not_found,
            listed: amp("Lady Gaga album", listed),
        },
        allowed_domains=["tiny.test"],
        listings=[f"{HOME}/news/"],
        article_url="/2026/",
    )
    assert [h for h in hits if "/2026/" in h] == [plain, listed]
    assert [r["url"] for r in result.query("select url from articles")] == [listed]
    # The plain URL is what it is: a soft 404, in the ledger.
    assert result.query("select url, reason from drops") == [{"url": plain, "reason": "soft_404"}]
