"""Child sitemaps on other hosts than the source's own: an index whose children are
served from a CDN or the bare domain.

The publishers here have host names (www.tiny.test, cdn.tiny.test) that a local HTTP
proxy answers for (crawling.named_sites), so the crawl is a real one, offline."""

from __future__ import annotations

import json

import pytest
from crawling import named_sites, scrapy_crawl

from newscrawl.sitemap_hosts import child_sitemap_refusal, registrable_domain
from newscrawl.sources import parse_sources

WORDS = " ".join(["Lady Gaga announced a new album on Friday night."] * 12)
URLSET = '<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">{}</urlset>'
INDEX = '<sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">{}</sitemapindex>'


def story(title: str) -> str:
    return (
        f"<html><head><title>{title}</title></head><body><article><h1>{title}</h1>"
        f"<p>{WORDS}</p></article></body></html>"
    )


def urlset(*urls: str) -> str:
    return URLSET.format("".join(f"<url><loc>{u}</loc></url>" for u in urls))


def index(*urls: str) -> str:
    return INDEX.format("".join(f"<sitemap><loc>{u}</loc></sitemap>" for u in urls))


def crawl(tmp_path, pages, **source):
    with named_sites(tmp_path, pages, **source) as (hits, sources, artists, env):
        result = scrapy_crawl(db=tmp_path / "a.db", sources=sources, artists=artists, env=env)
    return hits, result


def test_child_sitemaps_on_the_publishers_other_hosts_are_followed(tmp_path):
    # The index is on www.; its children live on the publisher's CDN and on the bare
    # domain (both under tiny.test), and one on a host of nobody's: it is skipped, and
    # the crawl says so (they were all skipped silently).
    hits, result = crawl(
        tmp_path,
        {
            "http://www.tiny.test/sitemap_index.xml": index(
                "http://cdn.tiny.test/sitemaps/posts-1.xml",
                "http://tiny.test/sitemaps/posts-2.xml",
                "http://cdn.elsewhere.test/sitemaps/posts-3.xml",
            ),
            "http://cdn.tiny.test/sitemaps/posts-1.xml": urlset("http://www.tiny.test/2026/one/"),
            "http://tiny.test/sitemaps/posts-2.xml": urlset("http://www.tiny.test/2026/two/"),
            "http://cdn.elsewhere.test/sitemaps/posts-3.xml": urlset(
                "http://www.tiny.test/2026/three/"
            ),
            "http://www.tiny.test/2026/one/": story("Lady Gaga album"),
            "http://www.tiny.test/2026/two/": story("Lady Gaga tour"),
            "http://www.tiny.test/2026/three/": story("Lady Gaga award"),
        },
        sitemaps=["http://www.tiny.test/sitemap_index.xml"],
    )
    archived = {r["url"] for r in result.query("select url from articles")}
    assert archived == {"http://www.tiny.test/2026/one/", "http://www.tiny.test/2026/two/"}
    assert not [h for h in hits if "elsewhere" in h]
    stats = json.loads(result.run()["stats"])
    assert stats["newscrawl/sitemap_offsite"] == 1
    assert (
        "Child sitemap http://cdn.elsewhere.test/sitemaps/posts-3.xml of"
        " http://www.tiny.test/sitemap_index.xml not followed" in result.output
    )


@pytest.mark.parametrize(
    ("host", "site"),
    [
        ("www.popwire.com", "popwire.com"),
        ("cdn.static.popwire.co.uk", "popwire.co.uk"),
        ("popwire.com", "popwire.com"),
        ("tiny.github.io", "tiny.github.io"),  # a private suffix: one site per user
        ("cdn.tiny.test", "tiny.test"),  # not on the list: its last label is the suffix
        ("127.0.0.1", "127.0.0.1"),
        ("localhost", "localhost"),
        ("WWW.Popwire.COM.", "popwire.com"),
    ],
)
def test_registrable_domain(host, site):
    assert registrable_domain(host) == site


def source(**fields):
    entry = {
        "id": "pw",
        "name": "PopWire",
        "homepage": "https://www.popwire.com/",
        "allowed_domains": ["www.popwire.com"],
        "sitemaps": ["https://www.popwire.com/sitemap.xml"],
        **fields,
    }
    return parse_sources(json.dumps({"sources": [entry]}))[0]


def test_which_child_sitemaps_are_followed():
    pw = source()
    index_url = "https://www.popwire.com/sitemap.xml"
    for child in (
        "https://www.popwire.com/s/1.xml",
        "https://cdn.popwire.com/s/2.xml",
        "https://popwire.com/s/3.xml",
    ):
        assert child_sitemap_refusal(child, index_url, pw) is None, child
    # Another publisher's site, even on a shared hosting suffix, is not the publisher's.
    why = child_sitemap_refusal("https://cdn.other.com/s.xml", index_url, pw)
    assert why and "cdn.other.com" in why
    github = source(
        homepage="https://tiny.github.io/",
        allowed_domains=["tiny.github.io"],
        sitemaps=["https://tiny.github.io/sitemap.xml"],
    )
    assert child_sitemap_refusal(
        "https://other.github.io/s.xml", "https://tiny.github.io/sitemap.xml", github
    )
    # A sitemap named by the publisher's robots.txt on a CDN host: its own children on
    # that host are followed (sitemaps.org: an index lists sitemaps on its own site).
    assert (
        child_sitemap_refusal(
            "https://sitemaps.cdn.net/pw/2.xml", "https://sitemaps.cdn.net/pw/index.xml", pw
        )
        is None
    )
    # Local sites differ by port: an IP address has no subdomains.
    local = source(
        homepage="http://127.0.0.1:8101/",
        allowed_domains=["127.0.0.1:8101"],
        sitemaps=["http://127.0.0.1:8101/sitemap.xml"],
    )
    assert child_sitemap_refusal(
        "http://127.0.0.1:8102/s.xml", "http://127.0.0.1:8101/sitemap.xml", local
    )
