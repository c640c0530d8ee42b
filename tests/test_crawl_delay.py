"""robots.txt Crawl-delay is obeyed per source, even with AutoThrottle and no DOWNLOAD_DELAY."""

from __future__ import annotations

import time
from http.server import BaseHTTPRequestHandler

import pytest
from crawling import assert_paced, scrapy_crawl, serve_locally

ARTICLE = """<html lang="en"><head><title>Lady Gaga story {n}</title>
<meta property="og:title" content="Lady Gaga story {n}">
<meta property="article:published_time" content="2026-03-0{n}T10:00:00+00:00"></head>
<body><article><h1>Lady Gaga story {n}</h1><p class="byline">By Ann Lee</p>
{paragraphs}</article></body></html>"""


class Site(BaseHTTPRequestHandler):
    delay = "1"
    log: list[tuple[float, str]] = []

    def do_GET(self):  # noqa: N802 - http.server's naming
        self.log.append((time.monotonic(), self.path))
        if self.path == "/robots.txt":
            body = f"User-agent: *\nCrawl-delay: {self.delay}\nDisallow: /private/\n".encode()
            kind = "text/plain"
        elif self.path == "/sitemap.xml":
            urls = "".join(
                f"<url><loc>http://{self.headers['Host']}/news/{n}.html</loc></url>"
                for n in range(1, 5)
            )
            body = f'<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">{urls}</urlset>'.encode()
            kind = "application/xml"
        elif self.path.startswith("/news/"):
            n = self.path.split("/")[-1].split(".")[0]
            paragraphs = "".join(
                f"<p>Paragraph {i}: Lady Gaga rehearsed the new show for the tour, said the crew.</p>"
                for i in range(8)
            )
            body = ARTICLE.format(n=n, paragraphs=paragraphs).encode()
            kind = "text/html; charset=utf-8"
        else:
            self.send_error(404)
            return
        self.send_response(200)
        self.send_header("Content-Type", kind)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


@pytest.fixture
def site():
    Site.log = []
    with serve_locally(Site) as host:
        yield host


def crawl_slow_site(tmp_path, site, *, extra: str = "", settings: dict[str, str]):
    """Crawl the site's sitemap as one source (``extra``: more of its sources.yml entry)."""
    sources = tmp_path / "sources.yml"
    sources.write_text(
        "sources:\n"
        "  - id: slowsite\n"
        "    name: Slow Site\n"
        f"    homepage: http://{site}/\n"
        f'    allowed_domains: ["{site}"]\n'
        f'    sitemaps: ["http://{site}/sitemap.xml"]\n' + extra
    )
    artists = tmp_path / "artists.yml"
    artists.write_text("artists:\n  - name: Lady Gaga\n    aliases: [Gaga]\n")
    return scrapy_crawl(db=tmp_path / "a.db", sources=sources, artists=artists, settings=settings)


def test_crawl_delay_spaces_the_requests(tmp_path, site):
    result = crawl_slow_site(
        tmp_path, site, extra="    concurrency: 8\n", settings={"AUTOTHROTTLE_ENABLED": "1"}
    )
    assert result.scalar("select count(*) from articles") == 4
    times = [t for t, path in Site.log if path.startswith(("/news/", "/sitemap"))]
    assert len(times) == 5
    assert_paced(times, [1.0] * 4)  # Crawl-delay: 1, no jitter
    assert (
        '"newscrawl/crawl_delay/slowsite": 1.0' in result.output
        or "crawl_delay/slowsite" in result.output
    )


def test_a_capped_crawl_delay_is_logged_once_not_per_request(tmp_path, site, monkeypatch):
    # Before the fix the warning came with every request to the site: one line per page
    # for as long as a crawl of such a publisher ran.
    monkeypatch.setattr(Site, "delay", "30")
    result = crawl_slow_site(tmp_path, site, settings={"NEWSCRAWL_MAX_CRAWL_DELAY": "0.2"})
    assert result.scalar("select count(*) from articles") == 4
    assert result.output.count("robots.txt asks for Crawl-delay 30") == 1, result.output
