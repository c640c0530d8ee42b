"""Sources whose sitemaps are the ones their robots.txt names (``sitemaps:
[https://host/robots.txt]``, as Scrapy's SitemapSpider takes it), against publishers
with host names a local proxy answers for (crawling.named_sites)."""

from __future__ import annotations

from test_sitemap_hosts import crawl, index, story, urlset

from newscrawl.discovery import parse_robots_sitemaps


def test_sitemaps_named_in_robots_txt_are_read_from_the_robots_txt_fetched_once(tmp_path):
    # `sitemaps: [.../robots.txt]`, as Scrapy's SitemapSpider takes it: the Sitemap:
    # lines are the sitemaps, read from the robots.txt the crawl fetches to obey it.
    # Sitemaps.org lets robots.txt name a sitemap on another host (a CDN).
    hits, result = crawl(
        tmp_path,
        {
            "http://www.tiny.test/robots.txt": "User-agent: *\nDisallow: /private/\n"
            "Sitemap: /news-sitemap.xml\nSitemap: http://sitemaps.cdn-host.test/tiny/all.xml\n",
            "http://www.tiny.test/news-sitemap.xml": urlset("http://www.tiny.test/2026/one/"),
            "http://sitemaps.cdn-host.test/tiny/all.xml": index(
                "http://sitemaps.cdn-host.test/tiny/posts.xml"
            ),
            "http://sitemaps.cdn-host.test/tiny/posts.xml": urlset(
                "http://www.tiny.test/2026/two/", "http://www.tiny.test/private/three/"
            ),
            "http://www.tiny.test/2026/one/": story("Lady Gaga album"),
            "http://www.tiny.test/2026/two/": story("Lady Gaga tour"),
            "http://www.tiny.test/private/three/": story("Lady Gaga secret"),
        },
        sitemaps=["http://www.tiny.test/robots.txt"],
    )
    archived = {r["url"] for r in result.query("select url from articles")}
    assert archived == {"http://www.tiny.test/2026/one/", "http://www.tiny.test/2026/two/"}
    assert hits.count("http://www.tiny.test/robots.txt") == 1
    drops = {r["url"]: r["reason"] for r in result.query("select url, reason from drops")}
    assert drops == {"http://www.tiny.test/private/three/": "robots"}


def test_a_robots_txt_without_sitemap_lines_is_a_warning(tmp_path):
    hits, result = crawl(
        tmp_path,
        {"http://www.tiny.test/robots.txt": "User-agent: *\nAllow: /\n"},
        sitemaps=["http://www.tiny.test/robots.txt"],
    )
    assert "robots.txt http://www.tiny.test/robots.txt names no sitemaps" in result.output
    assert hits == ["http://www.tiny.test/robots.txt"]


def test_robots_txt_sitemap_lines():
    body = (
        b"User-agent: *\nDisallow: /x\n\nsitemap: /a.xml\n"
        b"Sitemap: https://cdn.example.com/s.xml.gz # ours\nSitemap:\n"
    )
    assert parse_robots_sitemaps(body, "https://www.example.com/robots.txt") == [
        "https://www.example.com/a.xml",
        "https://cdn.example.com/s.xml.gz",
    ]
    assert parse_robots_sitemaps(b"\xff\xfe garbage", "https://example.com/robots.txt") == []
