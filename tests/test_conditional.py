"""Conditional refetches against a real local publisher that honours If-None-Match and
If-Modified-Since and records the headers of every request it gets.

Crawl 1 archives five pages; the sitemap then says every page changed (a new
``lastmod``), so crawl 2 refetches them all: the pages with validators are asked
conditionally, the unchanged ones answer 304, one edited page answers 200 with a new
ETag, one page sends an ETag but ignores it, one sends no validators at all. Crawl 3 has
nothing to refetch. The WARC files, replayed into the same archive and into an empty
one, tell the same story."""

from __future__ import annotations

import json
import sqlite3
import subprocess
import sys
import time
from datetime import UTC, datetime
from email.utils import format_datetime, parsedate_to_datetime
from http.server import BaseHTTPRequestHandler
from pathlib import Path

import pytest
import yaml
from crawling import ROOT, scrapy_crawl, serve_locally
from warcio.archiveiterator import ArchiveIterator

WORDS = (
    "The singer announced the new shows on Monday morning after weeks of rumours among"
    " fans who had tracked every hint on social media and in interviews with her band"
    " and crew members across three continents this year."
)
LAST_MODIFIED = format_datetime(datetime(2026, 1, 5, 10, 0, tzinfo=UTC), usegmt=True)


def story(title: str, version: int = 1) -> bytes:
    return (
        f"<html><head><title>{title}</title></head><body><article><h1>{title}</h1>"
        f"<p>Lady Gaga news, version {version}. {WORDS}</p><p>{WORDS}</p></article>"
        "</body></html>"
    ).encode()


class Publisher:
    """What the site serves: path -> (body, ETag or None, Last-Modified or None, honours
    validators?), the sitemap's lastmod, and every request's headers."""

    def __init__(self) -> None:
        self.lastmod = "2026-01-06"
        self.pages = {
            "/2026/etag/": (story("Lady Gaga etag story"), '"etag-v1"', None, True),
            "/2026/lastmod/": (story("Lady Gaga dated story"), None, LAST_MODIFIED, True),
            "/2026/plain/": (story("Lady Gaga plain story"), None, None, True),
            "/2026/ignores/": (story("Lady Gaga stubborn story"), '"ignored"', None, False),
            "/2026/edited/": (story("Lady Gaga edited story"), 'W/"edit-1"', None, True),
        }
        self.requests: list[tuple[str, dict[str, str]]] = []
        self.redirects: dict[str, str] = {}
        # Paths whose server judges by If-Modified-Since alone (ignores If-None-Match),
        # and paths whose 304 sends the ETag weakened (as nginx does for gzip).
        self.dates_only: set[str] = set()
        self.weakens: set[str] = set()

    def edit(self) -> None:
        self.pages["/2026/edited/"] = (story("Lady Gaga edited story", 2), 'W/"edit-2"', None, True)

    def seen(self, path: str) -> list[dict[str, str]]:
        return [headers for p, headers in self.requests if p == path]

    def handler(self) -> type[BaseHTTPRequestHandler]:
        publisher = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):  # noqa: N802 - the http.server API
                publisher.requests.append(
                    (self.path, {k.lower(): v for k, v in self.headers.items()})
                )
                if self.path == "/robots.txt":
                    return self.reply(200, b"User-agent: *\nAllow: /\n", "text/plain")
                if self.path == "/sitemap.xml":
                    host = self.headers["Host"]
                    entries = "".join(
                        f"<url><loc>http://{host}{path}</loc><lastmod>{publisher.lastmod}"
                        "</lastmod></url>"
                        for path in publisher.pages
                        if path not in publisher.redirects.values()
                    )
                    body = (
                        '<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">'
                        f"{entries}</urlset>"
                    ).encode()
                    return self.reply(200, body, "application/xml")
                if self.path in publisher.redirects:
                    return self.reply(301, b"", None, {"Location": publisher.redirects[self.path]})
                if self.path not in publisher.pages:
                    return self.reply(404, b"gone", "text/plain")
                body, etag, last_modified, honours = publisher.pages[self.path]
                validators = {"ETag": etag, "Last-Modified": last_modified}
                if honours and self.not_modified(etag, last_modified):
                    if self.path in publisher.weakens:
                        validators["ETag"] = f"W/{etag}"
                    return self.reply(304, b"", None, validators)
                return self.reply(200, body, "text/html; charset=utf-8", validators)

            def not_modified(self, etag, last_modified) -> bool:
                # RFC 9110 13.2.2: If-None-Match first (weak comparison), else
                # If-Modified-Since.
                asked = self.headers.get("If-None-Match")
                if asked is not None and self.path not in publisher.dates_only:
                    tags = {t.strip().removeprefix("W/") for t in asked.split(",")}
                    return etag is not None and etag.removeprefix("W/") in tags
                since = self.headers.get("If-Modified-Since")
                if since and last_modified:
                    return parsedate_to_datetime(last_modified) <= parsedate_to_datetime(since)
                return False

            def reply(self, status, body, content_type, headers=None):
                self.send_response(status)
                if content_type:
                    self.send_header("Content-Type", content_type)
                for name, value in (headers or {}).items():
                    if value:
                        self.send_header(name, value)
                if status != 304:
                    self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args):
                pass

        return Handler


def articles(db: Path) -> dict[str, dict]:
    conn = sqlite3.connect(db)
    conn.row_factory = sqlite3.Row
    try:
        rows = [dict(r) for r in conn.execute("select * from articles")]
        # (.get: the archive of a newscrawl without validators has no such columns.)
        return {
            r["url"].split("/", 3)[3]: {
                **r,
                "etag": r.get("etag"),
                "last_modified": r.get("last_modified"),
            }
            for r in rows
        }
    finally:
        conn.close()


def warc_records(folder: Path) -> list[dict]:
    found = []
    for path in sorted(folder.glob("*.warc.gz")):
        with open(path, "rb") as stream:
            for record in ArchiveIterator(stream):
                if record.rec_type in ("response", "revisit"):
                    found.append(
                        {
                            "type": record.rec_type,
                            "url": record.rec_headers.get_header("WARC-Target-URI"),
                            "profile": record.rec_headers.get_header("WARC-Profile"),
                            "refers_to": record.rec_headers.get_header("WARC-Refers-To-Target-URI"),
                            "status": record.http_headers.get_statuscode(),
                        }
                    )
    return found


def reextract(db: Path, warc: Path, sources: Path, artists: Path) -> str:
    proc = subprocess.run(
        [sys.executable, "-m", "newscrawl", "reextract", "--db", str(db), "--warc-dir", str(warc)]
        + ["--sources", str(sources), "--artists", str(artists)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert "Traceback" not in proc.stderr, proc.stderr[-3000:]
    return proc.stderr


def after_the_second_of(fetched: dict[str, dict]) -> None:
    """Wait (at most 2 s) until the clock is past the second of every ``fetched_at`` in
    ``fetched``: the column holds whole seconds, so a refetch within the same second as
    the first crawl's could not show that the last fetch moved forward."""
    latest = max(datetime.fromisoformat(row["fetched_at"]) for row in fetched.values())
    deadline = time.monotonic() + 2
    while datetime.now(UTC).replace(microsecond=0) <= latest and time.monotonic() < deadline:
        time.sleep(0.02)


def write_config(folder: Path, host: str) -> tuple[Path, Path]:
    """sources.yml (the publisher on ``host``, read through its sitemap) and artists.yml."""
    sources = folder / "sources.yml"
    source = {
        "id": "cond",
        "name": "Conditional",
        "homepage": f"http://{host}/",
        "allowed_domains": [host],
        "sitemaps": [f"http://{host}/sitemap.xml"],
        "article_url": "/2026/",
    }
    sources.write_text(yaml.safe_dump({"sources": [source]}))
    artists = folder / "artists.yml"
    artists.write_text("artists:\n  - name: Lady Gaga\n")
    return sources, artists


@pytest.fixture(scope="module")
def crawls(tmp_path_factory):
    folder = tmp_path_factory.mktemp("conditional")
    db = folder / "archive.db"
    publisher = Publisher()
    with serve_locally(publisher.handler()) as host:
        sources, artists = write_config(folder, host)
        first = scrapy_crawl(db=db, sources=sources, artists=artists)
        after_first = articles(db)
        after_the_second_of(after_first)
        # The sitemap says every page changed; only one did.
        publisher.lastmod = "2026-01-07"
        publisher.edit()
        publisher.requests.clear()
        second = scrapy_crawl(db=db, sources=sources, artists=artists)
        after_second = articles(db)
        asked = {path: publisher.seen(path) for path in publisher.pages}
        publisher.requests.clear()
        third = scrapy_crawl(db=db, sources=sources, artists=artists)
        third_asked = {path: publisher.seen(path) for path in publisher.pages}
    yield {
        "folder": folder,
        "db": db,
        "sources": sources,
        "artists": artists,
        "first": first,
        "second": second,
        "third": third,
        "after_first": after_first,
        "after_second": after_second,
        "asked": asked,
        "third_asked": third_asked,
    }


def test_the_first_crawl_stores_each_pages_validators(crawls):
    rows = crawls["after_first"]
    assert {path: (r["etag"], r["last_modified"]) for path, r in rows.items()} == {
        "2026/etag/": ('"etag-v1"', None),
        "2026/lastmod/": (None, LAST_MODIFIED),
        "2026/plain/": (None, None),
        "2026/ignores/": ('"ignored"', None),
        "2026/edited/": ('W/"edit-1"', None),
    }


def test_a_refetch_sends_the_archived_validators(crawls):
    asked = crawls["asked"]
    sent = {
        path: (headers[0].get("if-none-match"), headers[0].get("if-modified-since"))
        for path, headers in asked.items()
        if len(headers) == 1
    }
    assert sent == {
        "/2026/etag/": ('"etag-v1"', None),
        "/2026/lastmod/": (None, LAST_MODIFIED),
        "/2026/plain/": (None, None),  # no validators: fetched as before
        "/2026/ignores/": ('"ignored"', None),
        "/2026/edited/": ('W/"edit-1"', None),
    }


def test_a_304_is_an_unchanged_refetch_not_a_drop_nor_a_revision(crawls):
    second, before, after = crawls["second"], crawls["after_first"], crawls["after_second"]
    run = second.run(2)
    # etag and lastmod answered 304; plain and ignores 200 with the same content.
    assert (run["pages_fetched"], run["articles_new"], run["articles_updated"]) == (5, 0, 1)
    assert (run["articles_unchanged"], run["dropped"]) == (4, 0)
    assert json.loads(run["stats"]).get("newscrawl/not_modified") == 2
    assert second.query("select url, reason from drops") == []
    assert second.scalar("select count(*) from articles") == 5
    assert second.scalar("select count(*) from revisions") == 1
    sources = second.query("select archived, dropped, fetched from run_sources where run_id = 2")
    assert sources == [{"archived": 5, "dropped": 0, "fetched": 5}]
    for path in ("2026/etag/", "2026/lastmod/"):
        old, new = before[path], after[path]
        # The last fetch moves forward, with the channel's new date; the content and
        # the WARC record it came from stay.
        assert new["fetched_at"] > old["fetched_at"]
        assert json.loads(new["discovery"])["lastmod"] == "2026-01-07"
        assert new["run_id"] == 2
        assert (new["content_hash"], new["changed_at"], new["revision_count"]) == (
            old["content_hash"],
            old["changed_at"],
            0,
        )
        assert (new["warc_file"], new["warc_offset"]) == (old["warc_file"], old["warc_offset"])
        assert (new["etag"], new["last_modified"]) == (old["etag"], old["last_modified"])
    # Not fetched again until the channel's date moves again.
    third = crawls["third"].run(3)
    assert (third["pages_fetched"], third["pages_skipped"]) == (0, 5)
    assert all(not headers for headers in crawls["third_asked"].values())


def test_a_changed_page_answers_200_and_is_stored_as_an_update(crawls):
    before, after = crawls["after_first"], crawls["after_second"]
    edited = after["2026/edited/"]
    assert edited["etag"] == 'W/"edit-2"'
    assert edited["revision_count"] == 1
    assert edited["content_hash"] != before["2026/edited/"]["content_hash"]
    assert after["2026/ignores/"]["content_hash"] == before["2026/ignores/"]["content_hash"]


def test_the_warc_records_a_304_as_a_revisit(crawls):
    records = warc_records(crawls["folder"] / "warc")
    revisits = [r for r in records if r["type"] == "revisit"]
    assert sorted(r["url"].split("/", 3)[3] for r in revisits) == ["2026/etag/", "2026/lastmod/"]
    for record in revisits:
        assert record["profile"].endswith("/revisit/server-not-modified")
        assert record["refers_to"] == record["url"]
        assert record["status"] == "304"
    # Five responses in crawl 1, three 200s in crawl 2.
    assert sum(r["type"] == "response" for r in records) == 8


def test_reextract_keeps_what_the_304s_recorded(crawls, tmp_path):
    db, folder = crawls["db"], crawls["folder"]
    before = articles(db)
    reextract(db, folder / "warc", crawls["sources"], crawls["artists"])
    after = articles(db)
    keys = ("content_hash", "fetched_at", "etag", "last_modified", "revision_count", "discovery")
    assert {p: [r[k] for k in keys] for p, r in after.items()} == {
        p: [r[k] for k in keys] for p, r in before.items()
    }
    conn = sqlite3.connect(db)
    try:
        assert conn.execute("select count(*) from revisions").fetchone()[0] == 1
        assert conn.execute("select count(*) from drops").fetchone()[0] == 0
        # Every record is one the archive holds: the revisits change nothing either
        # (the 304s' fetch times were never set back by their responses' replay).
        unchanged = "select articles_unchanged from crawl_runs order by id desc limit 1"
        assert conn.execute(unchanged).fetchone()[0] == 0
    finally:
        conn.close()
    # Rebuilt from the WARC files alone: the same articles, fetched when the crawl last
    # fetched them (the 304s included), and the one revision.
    rebuilt = tmp_path / "rebuilt.db"
    reextract(rebuilt, folder / "warc", crawls["sources"], crawls["artists"])
    again = articles(rebuilt)
    assert {p: [r[k] for k in keys] for p, r in again.items()} == {
        p: [r[k] for k in keys] for p, r in before.items()
    }
    for path in ("2026/etag/", "2026/lastmod/"):
        # Extracted from crawl 1's response, last fetched (a 304) by crawl 2.
        first = crawls["after_first"][path]
        assert (again[path]["warc_file"], again[path]["warc_offset"]) == (
            first["warc_file"],
            first["warc_offset"],
        )
        assert again[path]["fetched_at"] == crawls["after_second"][path]["fetched_at"]
    conn = sqlite3.connect(rebuilt)
    try:
        assert conn.execute("select count(*) from revisions").fetchone()[0] == 1
        assert conn.execute("select count(*) from drops").fetchone()[0] == 0
    finally:
        conn.close()


def test_the_http_cache_does_not_answer_or_keep_a_conditional_request(tmp_path):
    # Scrapy's HTTP cache, if an operator turns it on: its RFC 2616 policy revalidates
    # with the validators of the page it kept and turns the publisher's 304 into that
    # page (a 200: the refetch looked like a full one); its default policy would keep
    # an empty 304 as the page. The switch off sends no validators at all.
    publisher = Publisher()
    db = tmp_path / "archive.db"
    cache = {
        "HTTPCACHE_ENABLED": "1",
        "HTTPCACHE_DIR": str(tmp_path / "httpcache"),
        "HTTPCACHE_POLICY": "scrapy.extensions.httpcache.RFC2616Policy",
    }
    with serve_locally(publisher.handler()) as host:
        sources, artists = write_config(tmp_path, host)
        scrapy_crawl(db=db, sources=sources, artists=artists, settings=cache)
        publisher.lastmod = "2026-01-07"
        publisher.requests.clear()
        second = scrapy_crawl(db=db, sources=sources, artists=artists, settings=cache)
        asked = publisher.seen("/2026/etag/")
        publisher.lastmod = "2026-01-08"
        publisher.requests.clear()
        off = {"NEWSCRAWL_CONDITIONAL_REQUESTS": "0"}
        third = scrapy_crawl(db=db, sources=sources, artists=artists, settings=off)
        asked_when_off = [h for p, h in publisher.requests if p.startswith("/2026/")]
    assert [h.get("if-none-match") for h in asked] == ['"etag-v1"']
    run = second.run(2)
    assert (run["pages_fetched"], run["articles_unchanged"], run["dropped"]) == (5, 5, 0)
    assert json.loads(run["stats"]).get("newscrawl/not_modified") == 3
    # Switched off: every page in full.
    assert len(asked_when_off) == 5
    assert not any("if-none-match" in h or "if-modified-since" in h for h in asked_when_off)
    run = third.run(3)
    assert (run["pages_fetched"], run["articles_unchanged"], run["dropped"]) == (5, 5, 0)
    assert json.loads(run["stats"]).get("newscrawl/not_modified") is None


def test_a_304_from_the_url_a_page_moved_to_is_not_taken_for_the_archived_page(tmp_path):
    # The archived page now redirects to a new URL, which answers the old page's
    # If-Modified-Since with 304: that says nothing about the archived page, which is
    # fetched again in full and archived as usual, never a drop.
    publisher = Publisher()
    publisher.pages = {"/2026/lastmod/": publisher.pages["/2026/lastmod/"]}
    db = tmp_path / "archive.db"
    with serve_locally(publisher.handler()) as host:
        sources, artists = write_config(tmp_path, host)
        scrapy_crawl(db=db, sources=sources, artists=artists)
        publisher.lastmod = "2026-01-07"
        moved = story("Lady Gaga story that moved")
        publisher.pages["/2026/moved-here/"] = (moved, None, LAST_MODIFIED, True)
        publisher.redirects["/2026/lastmod/"] = "/2026/moved-here/"
        publisher.requests.clear()
        second = scrapy_crawl(db=db, sources=sources, artists=artists)
    asked = [(p, h.get("if-modified-since")) for p, h in publisher.requests if "2026" in p]
    assert asked == [
        ("/2026/lastmod/", LAST_MODIFIED),
        ("/2026/moved-here/", LAST_MODIFIED),
        ("/2026/lastmod/", None),
        ("/2026/moved-here/", None),
    ]
    run = second.run(2)
    # One page requested, fetched (once: the 304 was not it) and archived.
    assert (run["requested"], run["pages_fetched"], run["articles_new"]) == (1, 1, 1)
    assert run["dropped"] == 0
    urls = {r["url"].split("/", 3)[3] for r in second.query("select url from articles")}
    assert "2026/moved-here/" in urls
    ledger = second.query("select url, reason from drops")
    assert [(r["url"].split("/", 3)[3], r["reason"]) for r in ledger] == [
        ("2026/lastmod/", "redirected")
    ]


def test_a_304_naming_another_etag_is_not_taken_for_the_archived_version(tmp_path):
    # A server that judges by date alone: the page was edited (a new ETag) but its
    # Last-Modified did not move, so it answers 304 with the new version's ETag. That
    # 304 is about another version than the archived one (RFC 9111 4.3.4): the page is
    # fetched again in full and the edit archived, where recording the new ETag beside
    # the old content made every later refetch a 304 and the edit was never archived.
    # A 304 that only weakens the ETag sent (W/, as nginx does) confirms the page.
    publisher = Publisher()
    dated = story("Lady Gaga twice dated story")
    publisher.pages = {
        "/2026/both/": (dated, '"both-1"', LAST_MODIFIED, True),
        "/2026/weakened/": (story("Lady Gaga gzip story"), '"gz-1"', None, True),
    }
    publisher.dates_only = {"/2026/both/"}
    publisher.weakens = {"/2026/weakened/"}
    db = tmp_path / "archive.db"
    with serve_locally(publisher.handler()) as host:
        sources, artists = write_config(tmp_path, host)
        scrapy_crawl(db=db, sources=sources, artists=artists)
        before = articles(db)
        after_the_second_of(before)
        publisher.lastmod = "2026-01-07"
        edited = story("Lady Gaga twice dated story", 2)
        publisher.pages["/2026/both/"] = (edited, '"both-2"', LAST_MODIFIED, True)
        publisher.requests.clear()
        second = scrapy_crawl(db=db, sources=sources, artists=artists)
        asked = {path: publisher.seen(path) for path in publisher.pages}
    sent = [(h.get("if-none-match"), h.get("if-modified-since")) for h in asked["/2026/both/"]]
    assert sent == [('"both-1"', LAST_MODIFIED), (None, None)]
    assert len(asked["/2026/weakened/"]) == 1
    run = second.run(2)
    assert (run["requested"], run["pages_fetched"], run["dropped"]) == (2, 2, 0)
    assert (run["articles_updated"], run["articles_unchanged"]) == (1, 1)
    stats = json.loads(run["stats"])
    assert stats.get("newscrawl/not_modified") == 1
    assert stats.get("newscrawl/not_modified_other_version") == 1
    after = articles(db)
    both = after["2026/both/"]
    assert (both["etag"], both["revision_count"]) == ('"both-2"', 1)
    assert both["content_hash"] != before["2026/both/"]["content_hash"]
    weakened = after["2026/weakened/"]
    assert weakened["revision_count"] == 0
    assert weakened["fetched_at"] > before["2026/weakened/"]["fetched_at"]


@pytest.mark.parametrize("conditional", [True, False])
def test_a_source_can_be_refetched_without_validators(tmp_path, conditional):
    # A publisher (or its CDN) whose ETag stays put when the page is edited answers the
    # refetch 304, so the edit is never archived. `conditional_requests: false` on the
    # source refetches its pages in full; the default keeps sending the validators.
    publisher = Publisher()
    publisher.pages = {"/2026/sticky/": (story("Lady Gaga sticky story"), '"sticky"', None, True)}
    db = tmp_path / "archive.db"
    with serve_locally(publisher.handler()) as host:
        sources, artists = write_config(tmp_path, host)
        config = yaml.safe_load(sources.read_text())
        config["sources"][0]["conditional_requests"] = conditional
        sources.write_text(yaml.safe_dump(config))
        scrapy_crawl(db=db, sources=sources, artists=artists)
        publisher.lastmod = "2026-01-07"
        edited = story("Lady Gaga sticky story", 2)
        publisher.pages["/2026/sticky/"] = (edited, '"sticky"', None, True)
        publisher.requests.clear()
        second = scrapy_crawl(db=db, sources=sources, artists=artists)
    sent = [h.get("if-none-match") for h in publisher.seen("/2026/sticky/")]
    run = second.run(2)
    if conditional:
        assert sent == ['"sticky"']
        assert (run["articles_updated"], run["articles_unchanged"]) == (0, 1)
    else:
        assert sent == [None]
        assert (run["articles_updated"], run["articles_unchanged"]) == (1, 0)
        assert "version 2" in second.scalar("select body from articles")
