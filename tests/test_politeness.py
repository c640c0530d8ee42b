"""Politeness towards a publisher's server, as the server sees it: how many requests it
has in flight at once, which robots.txt group applies to us. Real crawls of a small
local site; no timing asserts (the server counts, it does not time)."""

from __future__ import annotations

import threading
import time
from http.server import BaseHTTPRequestHandler

import pytest
from crawling import scrapy_crawl, serve_locally

PARAGRAPHS = "".join(
    f"<p>Paragraph {i}: Lady Gaga rehearsed the new show for the tour, said the crew.</p>"
    for i in range(8)
)
ARTICLE = (
    "<html lang='en'><head><title>Lady Gaga story {n}</title></head><body><article>"
    "<h1>Lady Gaga story {n}</h1>{paragraphs}</article></body></html>"
)
ARTISTS = "artists:\n  - name: Lady Gaga\n    aliases: [Gaga]\n"


class Site(BaseHTTPRequestHandler):
    """Sitemaps /sitemap-<x>.xml list /news/<x><n>.html (n = 1..6); an article takes a
    moment to answer, so requests sent together overlap; the server records the most
    it had in flight at once."""

    robots = "User-agent: *\nDisallow: /private/\n"
    article_pause = 0.3
    lock = threading.Lock()
    in_flight = 0
    most_in_flight = 0
    paths: list[str] = []

    def do_GET(self):  # noqa: N802 - http.server's naming
        cls = type(self)
        with cls.lock:
            cls.paths.append(self.path)
            cls.in_flight += 1
            cls.most_in_flight = max(cls.most_in_flight, cls.in_flight)
        try:
            self._answer()
        finally:
            with cls.lock:
                cls.in_flight -= 1

    def _answer(self):
        host = self.headers["Host"]
        if self.path == "/robots.txt":
            self._send(self.robots.encode(), "text/plain")
        elif self.path.startswith("/sitemap-"):
            name = self.path.removeprefix("/sitemap-").removesuffix(".xml")
            urls = "".join(
                f"<url><loc>http://{host}/news/{name}{n}.html</loc></url>" for n in range(1, 7)
            )
            xmlns = "http://www.sitemaps.org/schemas/sitemap/0.9"
            self._send(f'<urlset xmlns="{xmlns}">{urls}</urlset>'.encode(), "application/xml")
        elif self.path.startswith("/news/"):
            time.sleep(self.article_pause)
            n = self.path.rsplit("/", 1)[-1].removesuffix(".html")
            body = ARTICLE.format(n=n, paragraphs=PARAGRAPHS).encode()
            self._send(body, "text/html; charset=utf-8")
        else:
            self.send_error(404)

    def _send(self, body: bytes, kind: str) -> None:
        self.send_response(200)
        self.send_header("Content-Type", kind)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


@pytest.fixture
def site():
    Site.robots = "User-agent: *\nDisallow: /private/\n"
    Site.in_flight = Site.most_in_flight = 0
    Site.paths = []
    with serve_locally(Site) as host:
        yield host


def source_entry(site: str, source_id: str, sitemap: str, extra: str = "") -> str:
    return (
        f"  - id: {source_id}\n"
        f"    name: {source_id}\n"
        f"    homepage: http://{site}/\n"
        f'    allowed_domains: ["{site}"]\n'
        f'    sitemaps: ["http://{site}/sitemap-{sitemap}.xml"]\n'
        f"{extra}"
    )


def crawl(tmp_path, entries: str, **settings: str):
    sources = tmp_path / "sources.yml"
    sources.write_text("sources:\n" + entries)
    artists = tmp_path / "artists.yml"
    artists.write_text(ARTISTS)
    return scrapy_crawl(db=tmp_path / "a.db", sources=sources, artists=artists, settings=settings)


def test_source_concurrency_holds_without_a_delay(tmp_path, site):
    """``download_delay: 0`` with ``concurrency: 2``: at most 2 requests in flight. (In
    Scrapy 2.19 under the asyncio reactor a slot without a delay sent every queued
    request at once: 6 articles, 6 in flight.)"""
    entries = source_entry(site, "quick", "a", "    download_delay: 0\n    concurrency: 2\n")
    result = crawl(tmp_path, entries)
    assert result.scalar("select count(*) from articles") == 6
    assert Site.most_in_flight <= 2, Site.most_in_flight


def test_a_source_paced_by_the_operator_keeps_its_pace_after_robots_txt(tmp_path, site):
    """``download_delay: 0`` with ``concurrency: 2``, with the project's defaults for
    everyone else (AutoThrottle on, ``DOWNLOAD_DELAY`` 1 s): both places are used. robots.txt goes through the source's slot, and
    AutoThrottle, adjusting that slot on robots.txt's answer, gave it its 1 s least delay:
    one page at a time (this is what made the demo crawl take a minute)."""
    entries = source_entry(site, "quick", "a", "    download_delay: 0\n    concurrency: 2\n")
    result = crawl(tmp_path, entries, AUTOTHROTTLE_ENABLED="1", DOWNLOAD_DELAY="1")
    assert result.scalar("select count(*) from articles") == 6
    assert Site.most_in_flight == 2, Site.most_in_flight


def test_robots_group_is_chosen_by_our_product_token(tmp_path, site):
    """RFC 9309 2.2.1: the group is the one naming our product token (``newscrawl``),
    else ``*``. A group for another robot named by a word of our User-Agent's comment
    ("research archive of entertainment news") is not ours: it disallowed everything."""
    Site.robots = "User-agent: *\nAllow: /\n\nUser-agent: research\nDisallow: /\n"
    result = crawl(tmp_path, source_entry(site, "open", "a"))
    assert result.scalar("select count(*) from articles") == 6
    assert result.scalar("select count(*) from drops") == 0


def test_robots_group_naming_newscrawl_applies(tmp_path, site):
    Site.robots = (
        "User-agent: *\nDisallow: /\n\nUser-agent: NewsCrawl\nDisallow: /news/a1.html\nAllow: /\n"
    )
    result = crawl(tmp_path, source_entry(site, "ours", "a"))
    assert result.scalar("select count(*) from articles") == 5
    drops = result.query("select url, stage, reason from drops")
    assert [(d["url"].rsplit("/", 1)[-1], d["stage"], d["reason"]) for d in drops] == [
        ("a1.html", "fetch", "robots")
    ]


def test_sources_sharing_a_host_share_its_limits(tmp_path, site):
    """Two sources on one host, ``concurrency: 1`` each: the host has at most one request
    in flight. (Each source had its own download slot, so the host saw the sum: 2, and
    a robots.txt ``Crawl-delay`` was kept once per source, not once per host.)"""
    entries = source_entry(
        site, "news-desk", "a", "    download_delay: 0\n    concurrency: 1\n"
    ) + source_entry(site, "music-desk", "b", "    concurrency: 3\n")
    result = crawl(tmp_path, entries)
    assert result.scalar("select count(*) from articles") == 12
    assert Site.most_in_flight == 1


def test_download_slots_group_sources_by_host():
    from newscrawl.sources import Source, download_slots

    def source(id_, domains, **politeness):
        return Source(
            id=id_, name=id_, homepage=f"https://{domains[0]}/", allowed_domains=domains,
            sitemaps=[f"https://{domains[0]}/sitemap.xml"], **politeness,
        )  # fmt: skip

    slot_of, slots = download_slots(
        [
            source("a", ["example.com"], download_delay=2.0),
            source("b", ["www.example.com"], download_delay=0.5, concurrency=4),
            source("c", ["other.org"], concurrency=3),
            source("d", ["127.0.0.1:8101"]),
            source("e", ["127.0.0.1:8102", "blog.other.org"]),
        ]
    )
    assert slot_of == {"a": "a+b", "b": "a+b", "c": "c+e", "d": "d", "e": "c+e"}
    assert slots == {"a+b": {"delay": 2.0, "concurrency": 4}, "c+e": {"concurrency": 3}}
