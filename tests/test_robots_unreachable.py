"""A robots.txt the crawl cannot get disallows the host for the run (RFC 9309 2.3.1.4):
a timeout, a connection closed without an answer, 429 Too Many Requests. Scrapy alone
allowed everything (and logged the timeout as an ERROR with a traceback)."""

from __future__ import annotations

import threading
from http.server import BaseHTTPRequestHandler

import pytest
import yaml
from crawling import scrapy_crawl, serve_locally

STORY = (
    "<html lang='en'><head><title>Lady Gaga album</title></head><body><article>"
    "<h1>Lady Gaga album</h1>"
    + "".join(f"<p>Paragraph {i}: Lady Gaga recorded the album in a week.</p>" for i in range(8))
    + "</article></body></html>"
)


class Site(BaseHTTPRequestHandler):
    """A home page linking to one story; /robots.txt answers as ``robots`` says:
    ``stall`` (no answer until ``release`` is set), ``close`` (the connection is closed
    without an answer), ``429``, or ``ok``."""

    robots = "ok"
    release = threading.Event()
    hits: list[str] = []

    def do_GET(self):  # noqa: N802 - the http.server API
        cls = type(self)
        cls.hits.append(self.path)
        if self.path == "/robots.txt" and cls.robots != "ok":
            if cls.robots == "stall":
                cls.release.wait(30)
            elif cls.robots == "429":
                self.send_response(429)
                self.send_header("Content-Length", "0")
                self.end_headers()
            self.close_connection = True
            return
        if self.path == "/robots.txt":
            body = b"User-agent: *\nAllow: /\n"
        elif self.path == "/":
            body = b'<a href="/2026/story/">Story</a>'
        else:
            body = STORY.encode()
        self.send_response(200)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


@pytest.fixture
def site():
    Site.hits = []
    Site.release = threading.Event()
    with serve_locally(Site) as host:
        try:
            yield host
        finally:
            Site.release.set()  # let a stalled handler end before the server stops


def crawl(tmp_path, host):
    """Fetch the story with ``-a urls`` (so a disallowed page is a drop of its own)."""
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
                        "listings": [f"http://{host}/"],  # not crawled: -a urls
                    }
                ]
            }
        )
    )
    artists = tmp_path / "artists.yml"
    artists.write_text("artists:\n  - name: Lady Gaga\n")
    return scrapy_crawl(
        db=tmp_path / "a.db",
        sources=sources,
        artists=artists,
        spider_args={"urls": f"http://{host}/2026/story/"},
        settings={"DOWNLOAD_TIMEOUT": "1", "RETRY_TIMES": "1", "NEWSCRAWL_RETRY_BACKOFF": "0"},
        timeout=120,
    )


@pytest.mark.parametrize(
    ("robots", "why"),
    [("stall", "TimeoutError"), ("close", "Error"), ("429", "HTTP 429")],
)
def test_an_unreachable_robots_txt_disallows_the_host_for_the_run(tmp_path, site, robots, why):
    Site.robots = robots
    result = crawl(tmp_path, site)  # no traceback, exit 0 (scrapy_crawl checks)
    assert set(Site.hits) == {"/robots.txt"}  # nothing else was fetched
    assert result.scalar("select count(*) from articles") == 0
    (drop,) = result.query("select stage, reason, detail from drops")
    assert (drop["stage"], drop["reason"]) == ("fetch", "robots")
    assert "could not be read" in drop["detail"] and why in drop["detail"], drop
    # A warning says so; Scrapy logged "Error downloading" with a traceback.
    assert "robots.txt of" in result.output and "Error downloading" not in result.output

    # The next run, with a readable robots.txt, fetches the page.
    Site.robots = "ok"
    again = crawl(tmp_path, site)
    assert again.scalar("select count(*) from articles") == 1
    assert again.scalar("select count(*) from drops") == 0
