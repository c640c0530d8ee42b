"""Hostile publishers: a real crawl of tests/hostile_server.py, the worst of the web.

One crawl (module fixture) of a publisher whose sitemap and listings lead to errors,
hangs, dropped connections, truncated and oversized bodies, a gzip bomb, redirect loops,
mislabelled charsets, binary data, empty pages, huge DOMs, broken JSON-LD, impossible
dates, never-ending listings, calendars and sitemap indexes, and session-id URLs. The
crawl must finish (exit 0) in bounded memory, archive every good page once, and leave a
``drops`` row with a precise reason for every bad one.
"""

from __future__ import annotations

import gzip
import json
import sqlite3

import pytest
from crawling import funnel_gaps
from hostile_server import (
    BOMB_BYTES,
    BOMB_MEMBER_BYTES,
    CASES,
    HUGE_PAGE_BYTES,
    MAX_LISTING_PAGES,
    SENTENCES,
    SESSION_VARIANTS,
    CrawlProcess,
    HostilePublisher,
    crawl_command,
    gzip_bomb,
    gzip_bomb_member,
)

from newscrawl import settings as project_settings
from newscrawl.channel_pages import MAX_SITEMAP_DEPTH

# Long enough for the 9 MiB page to arrive on a loaded machine (at 2 s it timed out and
# was fetched again under the load of a parallel test run), far below the 20 s that
# /news/hang and /news/slow-body stall (SLOW_SECONDS).
DOWNLOAD_TIMEOUT = 5
# The back-off after a 503 without Retry-After (doubled per retry; the last answer holds
# the slot too): the default 2 s held this crawl 2 + 4 + 8 s for /news/always-503. Only
# the number of retries is checked here; the waits are tested in test_retry_after.py.
RETRY_BACKOFF = 0.25
MEMORY_BOUND = 600 * 1024 * 1024
ARCHIVED = [c for c in CASES if c.outcome == "archived"]
DROPPED = [c for c in CASES if c.outcome != "archived"]
# Where an archived case ends up when the page redirects.
FINAL_PATH = {"/news/moved": "/news/moved-here"}


class HostileCrawl:
    def __init__(self, site: HostilePublisher, process: CrawlProcess, code: int, db) -> None:
        self.site = site
        self.process = process
        self.code = code
        self.db = db

    def query(self, sql: str, params: tuple = ()) -> list[dict]:
        conn = sqlite3.connect(self.db)
        conn.row_factory = sqlite3.Row
        try:
            return [dict(r) for r in conn.execute(sql, params)]
        finally:
            conn.close()

    def article(self, path: str) -> dict | None:
        rows = self.query("select * from articles where url = ?", (self.site.url(path),))
        return rows[0] if rows else None

    def drop(self, path: str) -> dict | None:
        rows = self.query("select * from drops where url = ?", (self.site.url(path),))
        return rows[0] if rows else None


@pytest.fixture(scope="module")
def crawl(tmp_path_factory):
    folder = tmp_path_factory.mktemp("hostile")
    with HostilePublisher() as site:
        sources = site.write_sources(folder / "sources.yml")
        artists = site.write_artists(folder / "artists.yml")
        command = crawl_command(
            db=folder / "archive.db",
            sources=sources,
            artists=artists,
            settings={
                "DOWNLOAD_TIMEOUT": str(DOWNLOAD_TIMEOUT),
                "NEWSCRAWL_RETRY_BACKOFF": str(RETRY_BACKOFF),
            },
        )
        process = CrawlProcess(command, log=folder / "crawl.log").start()
        # The limit only stops a crawl that never ends (a trap the crawler fails to
        # bound: listings, calendars, sitemap chains); how fast it ends is not checked.
        # The crawl takes ~10 s on a quiet machine, but its extraction workers run at
        # niceness 10 (newscrawl/pipelines.py) and get little CPU while other processes
        # keep the cores busy: with four busy loops beside it, 25 s at niceness 0 and
        # past the former 180 s limit at 10 (the whole module errored in a loaded run).
        code = process.wait(timeout=900)
        yield HostileCrawl(site, process, code, folder / "archive.db")


def test_crawl_finishes_cleanly(crawl):
    assert crawl.code == 0, crawl.process.output[-4000:]
    assert "Traceback" not in crawl.process.output, crawl.process.output[-6000:]
    (run,) = crawl.query("select * from crawl_runs")
    assert run["finish_reason"] == "finished"
    print(f"hostile crawl: {crawl.process.seconds:.1f} s")


def test_the_funnel_adds_up(crawl):
    # Timeouts, redirect loops, oversized downloads, HTTP errors, a redirect to an
    # archived article and unreadable pages: each is counted once in the run's funnel
    # (tests/crawling.py: funnel_gaps).
    assert funnel_gaps(crawl) == {}


def test_memory_stays_bounded(crawl):
    # The crawl met a 9 MiB page, a 200,000-element DOM, 12 MiB bodies and a gzip bomb.
    main, worker = crawl.process.main_peak, crawl.process.worker_peak
    print(
        f"peak RSS: crawl process {main / 2**20:.0f} MiB, largest worker {worker / 2**20:.0f} MiB"
    )
    assert 0 < main < MEMORY_BOUND
    assert 0 < worker < MEMORY_BOUND


@pytest.mark.parametrize("case", DROPPED, ids=[c.path for c in DROPPED])
def test_every_bad_page_is_a_drop_with_a_precise_reason(crawl, case):
    row = crawl.drop(case.path)
    assert row is not None, f"{case.path}: no drops row"
    assert (row["stage"], row["reason"]) == (case.stage, case.outcome), row
    assert row["status"] == case.status, row
    if case.detail:
        assert (row["detail"] or "").startswith(case.detail), row
    assert row["source_id"] == "hostile"
    assert crawl.article(case.path) is None


@pytest.mark.parametrize("case", ARCHIVED, ids=[c.path for c in ARCHIVED])
def test_every_good_page_is_archived_once(crawl, case):
    path = FINAL_PATH.get(case.path, case.path)
    row = crawl.article(path)
    assert row is not None, f"{case.path}: not archived; drop: {crawl.drop(case.path)}"
    assert row["title"] and row["body"] and row["word_count"] >= 40
    assert json.loads(row["artists"]) == ["Lady Gaga"]
    assert "\ufffd" not in row["body"] + row["title"]
    if path == case.path:
        assert crawl.drop(case.path) is None
    else:  # the ledger records where the asked-for URL led, so no later run refetches it
        drop = crawl.drop(case.path)
        assert (drop["stage"], drop["reason"]) == ("fetch", "redirected")
        assert drop["detail"] == f"redirects to {crawl.site.url(path)}"


def test_nothing_else_in_the_archive_or_the_ledger(crawl):
    urls = {r["url"] for r in crawl.query("select url from articles")}
    assert urls == {crawl.site.url(FINAL_PATH.get(c.path, c.path)) for c in ARCHIVED}
    dropped = {r["url"] for r in crawl.query("select url from drops")}
    assert dropped == {crawl.site.url(c.path) for c in DROPPED} | {
        crawl.site.url(path) for path in FINAL_PATH
    }
    (count,) = crawl.query("select count(*) n, count(distinct canonical_url) d from articles")
    assert count["n"] == count["d"] == len(ARCHIVED)


def test_retries_then_gives_up(crawl):
    retries = project_settings.RETRY_TIMES
    assert crawl.site.hits_on("/news/retry-then-ok") == 2
    assert crawl.site.hits_on("/news/always-503") == 1 + retries
    assert crawl.site.hits_on("/news/hang") == 1 + retries


def test_redirects_followed_and_loops_cut(crawl):
    assert crawl.site.hits_on("/news/moved") == crawl.site.hits_on("/news/moved-here") == 1
    # The loop is noticed when it comes back to a URL it has been to: two requests.
    assert crawl.site.hits_on("/news/redirect-loop") == 1
    assert crawl.site.hits_on("/news/redirect-loop-b") == 1
    assert "redirect-loop-b" in crawl.drop("/news/redirect-loop")["detail"]
    chain = sum(n for t, n in crawl.site.hits.items() if t.startswith("/news/redirect-chain"))
    assert chain == 21  # the first request and REDIRECT_MAX_TIMES (20) redirects


@pytest.mark.parametrize(
    ("path", "sentence"),
    [
        ("/news/cp1252-as-utf8", SENTENCES["cp1252"]),
        ("/news/no-charset-cp1252", SENTENCES["cp1252"]),
        ("/news/sjis-as-utf8", SENTENCES["shift_jis"]),
        ("/news/gb18030-as-utf8", SENTENCES["gb18030"]),
        ("/news/utf8-as-cp1252", SENTENCES["utf-8"]),
        ("/news/utf8-as-shift-jis", SENTENCES["utf-8"]),
    ],
)
def test_mislabelled_charsets_come_out_readable(crawl, path, sentence):
    row = crawl.article(path)
    assert sentence in row["body"], row["body"][:300]
    assert "Ã" not in row["body"] and "â€" not in row["body"]  # no mojibake


def test_impossible_dates_are_not_believed(crawl):
    for path in ("/news/date-2999", "/news/date-1970"):
        row = crawl.article(path)
        assert row["published_at"] is None and row["modified_at"] is None, row["published_at"]
        assert row["published_month"] is None


def test_broken_json_ld_falls_back_to_the_page(crawl):
    row = crawl.article("/news/bad-jsonld")
    assert row["title"] == "Lady Gaga live: the bad jsonld story"
    assert json.loads(row["authors"]) == ["Ada Reporter"]


def test_huge_pages_are_archived_from_their_top(crawl):
    for path in ("/news/huge-page", "/news/huge-dom"):
        row = crawl.article(path)
        assert json.loads(row["provenance"]).get("truncated") is True, path
        assert row["word_count"] < 200  # the story, not the megabytes after it
    assert crawl.site.hits_on("/news/huge-page") == 1


def test_gzip_bomb_really_is_one():
    member = gzip_bomb_member()
    assert len(gzip.decompress(member)) == BOMB_MEMBER_BYTES
    bomb = gzip_bomb()
    assert bomb == member * (BOMB_BYTES // BOMB_MEMBER_BYTES)
    assert len(bomb) < 2 * 1024 * 1024 < HUGE_PAGE_BYTES < BOMB_BYTES


def test_never_ending_listings_are_bounded(crawl):
    listing = sum(n for t, n in crawl.site.hits.items() if t.startswith("/listing"))
    calendar = sum(n for t, n in crawl.site.hits.items() if t.startswith("/calendar/"))
    sitemaps = sum(n for t, n in crawl.site.hits.items() if t.startswith("/sitemaps/chain-"))
    assert listing == calendar == MAX_LISTING_PAGES
    assert sitemaps == MAX_SITEMAP_DEPTH
    assert all(n == 1 for t, n in crawl.site.hits.items() if t.startswith("/listing"))


def test_session_id_variants_fetched_once(crawl):
    assert len(SESSION_VARIANTS) >= 5
    assert crawl.site.hits_on("/news/session-story") == 1
    assert [t for t in crawl.site.hits if t.startswith("/news/session-story")] == [
        "/news/session-story"
    ]
    rows = crawl.query("select url from articles where url like '%session-story%'")
    assert rows == [{"url": crawl.site.url("/news/session-story")}]


def test_user_agent_is_honest(crawl):
    agents = set(crawl.site.user_agents)
    assert agents == {project_settings.USER_AGENT}
    (agent,) = agents
    assert agent.startswith("newscrawl/") and "+https://" in agent


def test_robots_txt_asked_first_and_obeyed(crawl):
    assert crawl.site.hits["/robots.txt"] == 1
    assert crawl.site.hits_on("/private/members-only") == 0
