"""A hostile publisher on a real local port, in the spirit of Scrapy's tests/mockserver.

>>> with HostilePublisher() as site:                  # doctest: +SKIP
...     site.write_sources(tmp / "sources.yml"); site.write_artists(tmp / "artists.yml")

One publisher ("hostile") served by a :class:`~http.server.ThreadingHTTPServer` on
127.0.0.1, port 0, in a daemon thread of the test process. Its sitemap and listings link
to every kind of page a crawler meets on the worst of the web: errors that go away on a
retry and errors that do not, hanging and trickling responses, dropped connections and
truncated bodies, redirect loops, oversized pages and a gzip bomb, mislabelled charsets,
binary data sold as HTML, empty pages, huge DOMs, broken JSON-LD, impossible dates,
never-ending listings and calendars, and one article under many session-id URLs.

:data:`CASES` says, for every article path, what a correct crawl does with it; the
tests compare the archive with it. The server counts requests per path (``hits``) and
records every User-Agent it was sent.
"""

from __future__ import annotations

import contextlib
import gzip
import json
import os
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from functools import lru_cache
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import psutil

MAX_LISTING_PAGES = 4
"""``max_listing_pages`` of the hostile source: the bound on its never-ending listings."""
HUGE_PAGE_BYTES = 9 * 1024 * 1024
"""The big page a crawl must download, extract (truncated) and archive."""
OVERSIZE_BYTES = 12 * 1024 * 1024
"""Over Scrapy's ``DOWNLOAD_MAXSIZE`` (10 MiB in newscrawl.settings)."""
BOMB_BYTES = 1024 * 1024 * 1024
"""What the gzip bomb decompresses to (it is about 1 MB on the wire)."""
HUGE_DOM_ELEMENTS = 200_000
ROOT = Path(__file__).resolve().parents[1]
SLOW_SECONDS = 20
"""How long a hanging or trickling response lasts at most (well over the test timeout)."""

ARTISTS_YAML = """\
artists:
  - name: Lady Gaga
    aliases: [Gaga, Stefani Germanotta]
    case_sensitive: [Gaga]
  - name: Britney Spears
    aliases: [Britney]
    weak_aliases: [Spears]
"""

# Text in the scripts of the mislabelled pages; each must come out readable.
SENTENCES = {
    "cp1252": "Lady Gaga’s “Mayhem” tour opened at the Café Olé in Zürich — naïve fans sang every word.",
    "shift_jis": "Lady Gaga が東京ドームで新しいアルバムの曲を初披露し、ファンは大喜びでした。",
    "gb18030": "Lady Gaga 在上海举行了新专辑的首场演出，门票在几分钟内就被抢购一空。",
    "utf-8": "Lady Gaga’s “Mayhem” encore at the Olympiastadion: Zürich, Malmö and Kraków sold out.",
}


@dataclass(frozen=True)
class Case:
    """What a correct crawl does with one article path."""

    path: str
    outcome: str
    """``archived``, or the ``drops`` reason."""
    stage: str | None = None
    """The ``drops`` stage (None when archived)."""
    status: int | None = None
    """``drops.status`` for http_status."""
    detail: str | None = None
    """A prefix of ``drops.detail`` (the failure kind for fetch errors)."""
    listed: bool = True
    """Listed in the sitemap (trap articles are found only on their listings)."""


CASES: tuple[Case, ...] = (
    Case("/news/plain-article", "archived"),
    Case("/news/retry-then-ok", "archived"),
    Case("/news/moved", "archived"),  # 301 to /news/moved-here; archived under that URL
    Case("/news/cp1252-as-utf8", "archived"),
    Case("/news/no-charset-cp1252", "archived"),
    Case("/news/sjis-as-utf8", "archived"),
    Case("/news/gb18030-as-utf8", "archived"),
    Case("/news/utf8-as-cp1252", "archived"),
    Case("/news/utf8-as-shift-jis", "archived"),
    Case("/news/bad-jsonld", "archived"),
    Case("/news/date-2999", "archived"),
    Case("/news/date-1970", "archived"),
    Case("/news/huge-page", "archived"),
    Case("/news/huge-dom", "archived"),
    Case("/news/deep-dom", "not_article", "extract", None, None),  # deeper than libxml2 parses
    Case("/news/session-story", "archived"),
    Case("/news/gone", "http_status", "fetch", 404, "HTTP 404"),
    Case("/news/always-503", "http_status", "fetch", 503, "HTTP 503"),
    Case("/news/odd-status", "http_status", "fetch", 599, "HTTP 599"),
    Case("/news/redirect-nowhere", "http_status", "fetch", 302, "HTTP 302"),
    Case("/news/hang", "fetch_error", "fetch", None, "timeout:"),
    Case("/news/slow-body", "fetch_error", "fetch", None, "timeout:"),
    Case("/news/dropped-connection", "fetch_error", "fetch", None, "connection_lost:"),
    Case("/news/truncated", "fetch_error", "fetch", None, "truncated:"),
    Case("/news/redirect-loop", "redirect_loop", "fetch", None, None),
    Case("/news/redirect-chain", "redirect_loop", "fetch", None, None),
    Case("/news/oversized", "too_large", "fetch", None, None),
    Case("/news/oversized-chunked", "too_large", "fetch", None, None),
    Case("/news/gzip-bomb", "too_large", "fetch", None, None),
    Case("/news/binary-as-html", "not_html", "extract", None, None),
    Case("/news/empty", "empty", "extract", None, None),
    Case("/news/stub", "not_article", "extract", None, None),
    Case("/news/nobody-watched", "no_artist", "tag", None, None),
    Case("/private/members-only", "robots", "fetch", None, None),
    *(
        Case(f"/news/trap-page-{n}", "archived", listed=False)
        for n in range(1, MAX_LISTING_PAGES + 1)
    ),
    *(
        Case(f"/news/calendar-2026-{month:02d}", "archived", listed=False)
        for month in range(1, MAX_LISTING_PAGES + 1)
    ),
)
SESSION_VARIANTS = (
    "/news/session-story;jsessionid=0F1E2D3C4B5A",
    # phpBB-style session ids: 32 hex digits (a short sid is an article id elsewhere).
    "/news/session-story;jsessionid=99AA88BB77CC?sid=9f86d081884c7d659a2feaa0c55ad015",
    "/news/session-story?sid=A1B2C3D4E5F60718293A4B5C6D7E8F90",
    "/news/session-story?PHPSESSID=deadbeef&utm_source=feed",
    "/news/session-story?sessionid=42",
)
"""One article under many session-id URLs: the crawl must fetch it once."""


# --- page bodies --------------------------------------------------------------------


def _paragraphs(slug: str) -> list[str]:
    # Unique per page, so that no two pages are duplicates of each other.
    return [
        f"Lady Gaga opened the {slug} show with a new arrangement of an old favourite, "
        "and the crowd of several thousand fans sang along from the first chorus to the last.",
        f"The {slug} report notes that the set ran for almost three hours, with two costume "
        "changes, a piano interlude and a surprise duet that nobody in the arena expected.",
        f"Promoters said tickets for the {slug} dates sold out within minutes, and a second "
        "run of concerts is planned for the spring, with dates to be announced next month.",
    ]


def article_html(
    slug: str,
    *,
    title: str | None = None,
    paragraphs: list[str] | None = None,
    head: str = "",
    after: str = "",
    charset: str | None = "utf-8",
) -> str:
    """An ordinary news article page (``after`` is appended after the article)."""
    title = title or f"Lady Gaga live: the {slug.replace('-', ' ')} story"
    paras = paragraphs if paragraphs is not None else _paragraphs(slug)
    meta = f'<meta charset="{charset}">' if charset else ""
    body = "".join(f"<p>{p}</p>" for p in paras)
    return (
        f"<!DOCTYPE html><html lang='en'><head>{meta}<title>{title}</title>{head}</head>"
        f"<body><header><a href='/'>Hostile Herald</a></header><main><article>"
        f"<h1>{title}</h1><p class='byline'>By Ada Reporter</p>{body}</article></main>"
        f"{after}<footer>&copy; Hostile Herald</footer></body></html>"
    )


@lru_cache(maxsize=1)
def huge_page() -> bytes:
    """A 9 MiB article: the story first, then megabytes of inline app state."""
    page = article_html("huge-page", after="<script>window.__STATE__ = '").encode()
    tail = b"';</script></body></html>"
    filler = b"0123456789abcdef" * ((HUGE_PAGE_BYTES - len(page) - len(tail)) // 16 + 1)
    return (page + filler)[: HUGE_PAGE_BYTES - len(tail)] + tail


@lru_cache(maxsize=1)
def huge_dom_page() -> bytes:
    """An article followed by 200,000 sibling elements."""
    siblings = "<span class='tag'>x</span>" * HUGE_DOM_ELEMENTS
    return article_html("huge-dom", after=f"<div class='tags'>{siblings}</div>").encode()


@lru_cache(maxsize=1)
def deep_dom_page() -> bytes:
    """An article wrapped in 50,000 nested elements."""
    depth = 50_000
    html = article_html("deep-dom")
    start, end = html.index("<main>"), html.index("</main>") + len("</main>")
    return (
        html[:start] + "<div>" * depth + html[start:end] + "</div>" * depth + html[end:]
    ).encode()


BOMB_MEMBER_BYTES = 16 * 1024 * 1024


@lru_cache(maxsize=1)
def gzip_bomb_member() -> bytes:
    """One gzip member: 16 MiB of spaces in about 16 KB."""
    return gzip.compress(b" " * BOMB_MEMBER_BYTES, compresslevel=9, mtime=0)


def gzip_bomb() -> bytes:
    """Gzip data of about 1 MB that inflates to :data:`BOMB_BYTES` of spaces.

    A gzip stream may hold many members one after another (RFC 1952); a reader inflates
    them all. Repeating one member is as hostile as one huge member and costs nothing
    to build.
    """
    return gzip_bomb_member() * (BOMB_BYTES // BOMB_MEMBER_BYTES)


PNG = (
    b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00"
    + bytes(range(256)) * 8
)


def _charset_page(slug: str, sentence: str, *, meta: str | None) -> str:
    paras = [sentence * 2, *_paragraphs(slug)[:2]]
    return article_html(slug, title=f"Lady Gaga abroad: {slug}", paragraphs=paras, charset=meta)


# --- the server ---------------------------------------------------------------------


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "HostileHerald/1.0"
    timeout = 30
    site: HostilePublisher

    def log_message(self, format: str, *args) -> None:  # quiet
        pass

    def do_GET(self) -> None:
        site = self.site
        site.record(self.path, self.headers.get("User-Agent", ""))
        try:
            site.route(self)
        except (BrokenPipeError, ConnectionResetError, ConnectionAbortedError):
            self.close_connection = True

    # -- response helpers --------------------------------------------------------------

    def send(
        self,
        status: int,
        body: bytes | str = b"",
        content_type: str = "text/html; charset=utf-8",
        headers: dict[str, str] | None = None,
    ) -> None:
        if isinstance(body, str):
            body = body.encode("utf-8")
        self.send_response(status)
        if content_type:
            self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(body)

    def redirect(self, location: str, status: int = 301) -> None:
        self.send(status, b"", headers={"Location": location})


class _Server(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request, client_address) -> None:
        # Clients hanging up on a hanging or oversized response are the point here.
        pass


class HostilePublisher:
    """The hostile publisher, served on 127.0.0.1 (``port=0``: any free port)."""

    def __init__(self, host: str = "127.0.0.1", port: int = 0) -> None:
        self.host = host
        self.port = port
        self.hits: Counter[str] = Counter()
        """Requests served, by path with query."""
        self.user_agents: Counter[str] = Counter()
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None

    # -- lifecycle -----------------------------------------------------------------------

    def start(self) -> HostilePublisher:
        handler = type("HostileHandler", (_Handler,), {"site": self})
        self._server = _Server((self.host, self.port), handler)
        self._thread = threading.Thread(
            target=self._server.serve_forever,
            kwargs={"poll_interval": 0.1},
            name="hostile-publisher",
            daemon=True,
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()  # hanging and trickling handlers give up
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)
        self._server = self._thread = None

    def __enter__(self) -> HostilePublisher:
        return self.start()

    def __exit__(self, *exc_info) -> None:
        self.stop()

    @property
    def origin(self) -> str:
        assert self._server is not None, "not started"
        return f"http://{self.host}:{self._server.server_address[1]}"

    def url(self, path: str) -> str:
        return self.origin + path

    def record(self, target: str, user_agent: str) -> None:
        with self._lock:
            self.hits[target] += 1
            self.user_agents[user_agent] += 1

    def hits_on(self, path: str) -> int:
        """Requests for ``path`` with any path parameters or query."""
        with self._lock:
            return sum(
                n for target, n in self.hits.items() if target.split("?")[0].split(";")[0] == path
            )

    # -- config --------------------------------------------------------------------------

    def sources_yaml(self, *, max_pages: int = 200) -> str:
        host = urlsplit(self.origin).netloc
        return (
            "sources:\n"
            "  - id: hostile\n"
            "    name: The Hostile Herald\n"
            f"    homepage: {self.origin}/\n"
            f"    allowed_domains: ['{host}']\n"
            f"    sitemaps: ['{self.origin}/sitemap.xml', '{self.origin}/sitemaps/chain-1.xml']\n"
            f"    listings: ['{self.origin}/listing?page=1', '{self.origin}/calendar/2026/01/']\n"
            f"    article_url: '^{self.origin}/(news|private)/'\n"
            f"    max_pages: {max_pages}\n"
            f"    max_listing_pages: {MAX_LISTING_PAGES}\n"
        )

    def write_sources(self, path: str | Path, **options) -> Path:
        path = Path(path)
        path.write_text(self.sources_yaml(**options), encoding="utf-8")
        return path

    def write_artists(self, path: str | Path) -> Path:
        path = Path(path)
        path.write_text(ARTISTS_YAML, encoding="utf-8")
        return path

    # -- routing -------------------------------------------------------------------------

    def route(self, h: _Handler) -> None:
        parts = urlsplit(h.path)
        path = parts.path.split(";")[0]
        query = parse_qs(parts.query)
        if path == "/robots.txt":
            return h.send(200, "User-agent: *\nDisallow: /private/\n", "text/plain")
        if path == "/sitemap.xml":
            return h.send(200, self._sitemap(), "application/xml")
        if path.startswith("/sitemaps/chain-"):
            return self._sitemap_chain(h, path)
        if path == "/listing":
            return self._listing(h, int((query.get("page") or ["1"])[0]))
        if path.startswith("/calendar/"):
            return self._calendar(h, path)
        if path.startswith("/news/") or path.startswith("/private/"):
            return self._article(h, path)
        return h.send(404, "<h1>Not found</h1>")

    def _sitemap(self) -> str:
        urls = [c.path for c in CASES if c.listed]
        urls += list(SESSION_VARIANTS)
        entries = "".join(
            f"<url><loc>{self.url(u).replace('&', '&amp;')}</loc></url>" for u in urls
        )
        return (
            '<?xml version="1.0" encoding="UTF-8"?>'
            f'<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">{entries}</urlset>'
        )

    def _sitemap_chain(self, h: _Handler, path: str) -> None:
        # A sitemap index whose only child is the next index, forever (capped at 200 so
        # that an unbounded crawler fails the test instead of hanging it).
        n = int(path.rsplit("-", 1)[1].split(".")[0])
        if n > 200:
            return h.send(404, "")
        body = (
            '<?xml version="1.0" encoding="UTF-8"?>'
            '<sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">'
            f"<sitemap><loc>{self.url(f'/sitemaps/chain-{n + 1}.xml')}</loc></sitemap>"
            "</sitemapindex>"
        )
        h.send(200, body, "application/xml")

    def _listing(self, h: _Handler, page: int) -> None:
        # Every page lists a new article and links to the next page: never ends.
        links = [f"/news/trap-page-{page}", *SESSION_VARIANTS[:2], "/about", "/"]
        items = "".join(f"<li><a href='{u}'>{u}</a></li>" for u in links)
        body = (
            f"<html><head><title>Latest, page {page}</title></head><body><ul>{items}</ul>"
            f"<a href='/listing?page={page + 1}'>Next page</a></body></html>"
        )
        h.send(200, body)

    def _calendar(self, h: _Handler, path: str) -> None:
        # /calendar/YYYY/MM/: one article a month and a "next month" link, forever.
        try:
            year, month = (int(x) for x in path.strip("/").split("/")[1:3])
        except ValueError:
            return h.send(404, "")
        nxt = (year + month // 12, month % 12 + 1)
        prev = (year - (month == 1), (month - 2) % 12 + 1)
        body = (
            f"<html><head><title>Archive {year}-{month:02d}</title>"
            f"<link rel='next' href='/calendar/{nxt[0]}/{nxt[1]:02d}/'></head><body>"
            f"<a href='/news/calendar-{year}-{month:02d}'>Story of the month</a>"
            f"<a href='/calendar/{prev[0]}/{prev[1]:02d}/'>«</a>"
            f"<a href='/calendar/{nxt[0]}/{nxt[1]:02d}/'>»</a></body></html>"
        )
        h.send(200, body)

    def _article(self, h: _Handler, path: str) -> None:
        slug = path.rsplit("/", 1)[1]
        if slug == "retry-then-ok":
            if self.hits_on(path) == 1:
                return h.send(503, "<h1>Busy</h1>", headers={"Retry-After": "0"})
            return h.send(200, article_html(slug))
        if slug == "always-503":
            return h.send(503, "<h1>Busy</h1>")
        if slug == "odd-status":
            return h.send(599, "<h1>Network read timeout</h1>")
        if slug == "redirect-nowhere":
            return h.send(302, "<h1>Moved, but not saying where</h1>")
        if slug == "gone":
            return h.send(404, "<h1>Not found</h1>")
        if slug == "moved":
            return h.redirect("/news/moved-here")
        if slug == "redirect-loop":
            return h.redirect("/news/redirect-loop-b", 302)
        if slug == "redirect-loop-b":
            return h.redirect("/news/redirect-loop", 302)
        if slug.startswith("redirect-chain"):
            n = int(slug.rsplit("-", 1)[1]) if slug[-1].isdigit() else 0
            return h.redirect(f"/news/redirect-chain-{n + 1}", 302)
        if slug == "hang":
            self._stop.wait(SLOW_SECONDS)
            h.close_connection = True
            return None
        if slug == "slow-body":
            h.send_response(200)
            h.send_header("Content-Type", "text/html; charset=utf-8")
            h.send_header("Content-Length", "100000")
            h.end_headers()
            deadline = time.monotonic() + SLOW_SECONDS
            while time.monotonic() < deadline and not self._stop.is_set():
                h.wfile.write(b"<p>.</p>")
                h.wfile.flush()
                self._stop.wait(0.5)
            h.close_connection = True
            return None
        if slug == "dropped-connection":
            h.close_connection = True  # read the request, answer nothing, hang up
            return None
        if slug == "truncated":
            body = article_html(slug).encode()
            h.send_response(200)
            h.send_header("Content-Type", "text/html; charset=utf-8")
            h.send_header("Content-Length", str(len(body) * 4))
            h.end_headers()
            h.wfile.write(body)
            h.wfile.flush()
            h.close_connection = True
            return None
        if slug == "oversized":
            h.send_response(200)
            h.send_header("Content-Type", "text/html; charset=utf-8")
            h.send_header("Content-Length", str(OVERSIZE_BYTES))
            h.end_headers()
            self._stream(h, OVERSIZE_BYTES)
            return None
        if slug == "oversized-chunked":
            h.send_response(200)
            h.send_header("Content-Type", "text/html; charset=utf-8")
            h.send_header("Transfer-Encoding", "chunked")
            h.end_headers()
            self._stream(h, OVERSIZE_BYTES, chunked=True)
            return None
        if slug == "gzip-bomb":
            return h.send(200, gzip_bomb(), headers={"Content-Encoding": "gzip"})
        if slug == "huge-page":
            return h.send(200, huge_page())
        if slug == "huge-dom":
            return h.send(200, huge_dom_page())
        if slug == "deep-dom":
            return h.send(200, deep_dom_page())
        if slug == "binary-as-html":
            return h.send(200, PNG, "text/html; charset=utf-8")
        if slug == "empty":
            return h.send(200, b"")
        if slug == "stub":
            return h.send(200, article_html(slug, paragraphs=["Lady Gaga. More soon."]))
        if slug == "nobody-watched":
            paras = [p.replace("Lady Gaga", "The orchestra") for p in _paragraphs(slug)]
            return h.send(200, article_html(slug, title="A night at the opera", paragraphs=paras))
        if slug == "bad-jsonld":
            ld = '<script type="application/ld+json">{"@type": "NewsArticle", "headline": "Broken, </script>'
            ld += '<script type="application/ld+json">[{"@context": "https://schema.org", "author": {"@id": </script>'
            return h.send(200, article_html(slug, head=ld))
        if slug in ("date-2999", "date-1970"):
            moment = "2999-12-31T23:59:59Z" if slug == "date-2999" else "1970-01-01T00:00:00Z"
            ld = json.dumps(
                {"@type": "NewsArticle", "datePublished": moment, "dateModified": moment}
            )
            head = (
                f'<script type="application/ld+json">{ld}</script>'
                f'<meta property="article:published_time" content="{moment}">'
            )
            return h.send(200, article_html(slug, head=head))
        if slug == "cp1252-as-utf8":
            page = _charset_page(slug, SENTENCES["cp1252"], meta="utf-8")
            return h.send(200, page.encode("cp1252"), "text/html; charset=utf-8")
        if slug == "no-charset-cp1252":
            page = _charset_page(slug, SENTENCES["cp1252"], meta=None)
            return h.send(200, page.encode("cp1252"), "text/html")
        if slug == "sjis-as-utf8":
            page = _charset_page(slug, SENTENCES["shift_jis"], meta="utf-8")
            return h.send(200, page.encode("shift_jis"), "text/html; charset=utf-8")
        if slug == "gb18030-as-utf8":
            page = _charset_page(slug, SENTENCES["gb18030"], meta="utf-8")
            return h.send(200, page.encode("gb18030"), "text/html; charset=utf-8")
        if slug == "utf8-as-cp1252":
            page = _charset_page(slug, SENTENCES["utf-8"], meta="windows-1252")
            return h.send(200, page.encode("utf-8"), "text/html; charset=windows-1252")
        if slug == "utf8-as-shift-jis":
            page = _charset_page(slug, SENTENCES["utf-8"], meta="shift_jis")
            return h.send(200, page.encode("utf-8"), "text/html; charset=shift_jis")
        if slug.startswith(("plain-article", "moved-here", "session-story", "trap-page-")) or (
            slug.startswith("calendar-") or path.startswith("/private/")
        ):
            return h.send(200, article_html(slug))
        return h.send(404, "<h1>Not found</h1>")

    def _stream(self, h: _Handler, size: int, *, chunked: bool = False) -> None:
        block = b"<p>" + b"x" * (64 * 1024 - 7) + b"</p>"
        sent = 0
        while sent < size and not self._stop.is_set():
            if chunked:
                h.wfile.write(f"{len(block):x}\r\n".encode() + block + b"\r\n")
            else:
                h.wfile.write(block[: size - sent])
            sent += len(block)
        if chunked:
            h.wfile.write(b"0\r\n\r\n")
        h.wfile.flush()


# --- crawls as processes that can be measured and killed -----------------------------


def crawl_command(
    *,
    db: Path,
    sources: Path,
    artists: Path,
    settings: dict[str, str] | None = None,
    spider_args: dict[str, str] | None = None,
) -> list[str]:
    """``scrapy crawl news`` with the test suite's fast local settings (see crawling.py)."""
    from crawling import FAST

    command = [sys.executable, "-m", "scrapy", "crawl", "news"]
    for name, value in (spider_args or {}).items():
        command += ["-a", f"{name}={value}"]
    merged = {
        **FAST,
        "NEWSCRAWL_DB": str(db),
        "NEWSCRAWL_SOURCES": str(sources),
        "NEWSCRAWL_ARTISTS": str(artists),
        "NEWSCRAWL_EXTRACT_WORKERS": "2",
        **(settings or {}),
    }
    for name, value in merged.items():
        command += ["-s", f"{name}={value}"]
    return command


def _peak_rss(pid: int) -> int:
    """The high-water mark of a process's resident memory (Linux ``VmHWM``), in bytes."""
    try:
        with open(f"/proc/{pid}/status", encoding="ascii") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) * 1024
    except (OSError, ValueError):
        pass
    try:
        return psutil.Process(pid).memory_info().rss
    except psutil.Error:
        return 0


class CrawlProcess:
    """A crawl in a subprocess whose peak memory (its own and its workers') is watched.

    Output goes to ``log`` (a file, so a chatty crawl never blocks on a full pipe).
    """

    def __init__(self, command: list[str], *, log: Path) -> None:
        self.command = command
        self.log = log
        self.peaks: dict[int, int] = {}
        """Peak RSS in bytes by pid: the crawl process and every descendant seen."""
        self.started = self.ended = 0.0
        self._proc: subprocess.Popen | None = None
        self._watcher: threading.Thread | None = None

    def start(self) -> CrawlProcess:
        env = {**os.environ, "PYTHONWARNINGS": "ignore"}
        with open(self.log, "wb") as out:
            self._proc = subprocess.Popen(
                self.command, cwd=ROOT, stdout=out, stderr=subprocess.STDOUT, env=env
            )
        self.started = time.monotonic()
        self._watcher = threading.Thread(target=self._watch, daemon=True)
        self._watcher.start()
        return self

    def _watch(self) -> None:
        proc = self._proc
        while proc.poll() is None:
            try:
                family = [proc.pid, *(c.pid for c in psutil.Process(proc.pid).children(True))]
            except psutil.Error:
                family = [proc.pid]
            for pid in family:
                peak = _peak_rss(pid)
                if peak > self.peaks.get(pid, 0):
                    self.peaks[pid] = peak
            time.sleep(0.05)

    @property
    def pid(self) -> int:
        return self._proc.pid

    @property
    def main_peak(self) -> int:
        """Peak RSS of the crawl process itself."""
        return self.peaks.get(self.pid, 0)

    @property
    def worker_peak(self) -> int:
        """Largest peak RSS of any child process (extraction workers, forkserver)."""
        return max((v for k, v in self.peaks.items() if k != self.pid), default=0)

    def poll(self) -> int | None:
        return self._proc.poll()

    def signal(self, signum: int) -> None:
        self._proc.send_signal(signum)

    def wait(self, timeout: float = 300) -> int:
        try:
            code = self._proc.wait(timeout)
        except subprocess.TimeoutExpired:
            self._proc.kill()
            self._proc.wait()
            raise AssertionError(
                f"crawl still running after {timeout} s:\n{self.output[-3000:]}"
            ) from None
        self.ended = time.monotonic()
        if self._watcher is not None:
            self._watcher.join(timeout=5)
        return code

    @property
    def seconds(self) -> float:
        return (self.ended or time.monotonic()) - self.started

    @property
    def output(self) -> str:
        return self.log.read_text(encoding="utf-8", errors="replace")


@contextlib.contextmanager
def serving(db: Path, *, log: Path, args: tuple[str, ...] = ()) -> Iterator[ServedArchive]:
    """``newscrawl serve DB`` as a real server process (its output in ``log``)."""
    from archive_fixtures import free_port, wait_for_http

    port = free_port()
    with open(log, "wb") as out:
        process = subprocess.Popen(
            [sys.executable, "-m", "newscrawl", "serve", str(db), "--port", str(port), *args],
            cwd=ROOT,
            stdout=out,
            stderr=subprocess.STDOUT,
            env={**os.environ, "PYTHONWARNINGS": "ignore"},
        )
    served = ServedArchive(f"http://127.0.0.1:{port}", process, log)
    try:
        wait_for_http(f"{served.base}/-/versions.json", process=process)
        yield served
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


@dataclass
class ServedArchive:
    base: str
    process: subprocess.Popen
    log: Path

    def get(self, path: str, *, method: str = "GET", data: bytes | None = None) -> HttpAnswer:
        """One request; HTTP errors are answers too."""
        request = urllib.request.Request(self.base + path, data=data, method=method)
        try:
            with urllib.request.urlopen(request, timeout=60) as response:
                body = response.read().decode("utf-8", "replace")
                return HttpAnswer(response.status, response.headers, body)
        except urllib.error.HTTPError as error:
            return HttpAnswer(error.code, error.headers, error.read().decode("utf-8", "replace"))

    @property
    def output(self) -> str:
        return self.log.read_text(encoding="utf-8", errors="replace")


@dataclass
class HttpAnswer:
    status: int
    headers: Any
    text: str
