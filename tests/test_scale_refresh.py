"""Refreshes in Redis mode: `newscrawl refresh` reads the archive and queues the due
refetches; real `scrapy crawl news` workers fetch them from a real redis-server; a real
`newscrawl ingest` stores the outcomes.

The publisher (a local server that honours If-None-Match and records every request)
serves three stories dated two days ago. Run 1 archives two of them; the third answers
500. Then one story is edited, the failing one recovers, and the archive is made to say
the two stories were fetched ten minutes after publication (their 1d step has passed
since). Before refreshes existed, a second worker run fetched none of them: every URL
was in the shared "seen" set.
"""

from __future__ import annotations

import json
import sqlite3
import subprocess
import sys
from datetime import UTC, datetime, timedelta, timezone
from http.server import BaseHTTPRequestHandler

import pytest
import yaml
from crawling import ROOT, funnel_gaps, serve_locally
from scrapy_redis import picklecompat
from test_scale_redis import ENV, Worker, ingest, no_leftover_workers, rows  # noqa: F401

from newscrawl.refresh import RefreshPolicy, parse_ladder, parse_time
from newscrawl.scale.redis_queue import RedisKeys
from newscrawl.scale.refresh_queue import claim_key, due_pages, retry_pause, schedule_refreshes

WORDS = (
    "The singer announced the new shows on Monday morning after weeks of rumours among"
    " fans who had tracked every hint on social media and in interviews with her band"
    " and crew members across three continents this year."
)
PUBLISHED = (datetime.now(UTC) - timedelta(days=2)).replace(microsecond=0)
STORIES = ("/2026/edited/", "/2026/same/", "/2026/flaky/")


def story(title: str, version: int = 1) -> bytes:
    return (
        f'<html><head><title>{title}</title><meta property="article:published_time"'
        f' content="{PUBLISHED.isoformat()}"></head><body><article><h1>{title}</h1>'
        f"<p>Lady Gaga news, version {version}. {WORDS}</p><p>{WORDS}</p></article>"
        "</body></html>"
    ).encode()


class Publisher:
    """path -> (status, body, ETag); every request's path, headers and answer."""

    def __init__(self) -> None:
        self.pages = {
            "/2026/edited/": (200, story("Lady Gaga edited story"), '"edit-1"'),
            "/2026/same/": (200, story("Lady Gaga same story"), '"same-1"'),
            "/2026/flaky/": (500, b"try later", None),
        }
        self.requests: list[tuple[str, dict[str, str], int]] = []
        self.lastmods: dict[str, str] = {}  # the sitemap's <lastmod> per path, if any

    def change(self) -> None:
        """The edit, and the recovery of the failing page."""
        self.pages["/2026/edited/"] = (200, story("Lady Gaga edited story", 2), '"edit-2"')
        self.pages["/2026/flaky/"] = (200, story("Lady Gaga flaky story"), '"flaky-1"')

    def asked(self, path: str) -> list[tuple[dict[str, str], int]]:
        return [(headers, status) for p, headers, status in self.requests if p == path]

    def handler(self) -> type[BaseHTTPRequestHandler]:
        publisher = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):  # noqa: N802 - the http.server API
                if self.path == "/robots.txt":
                    return self.reply(200, b"User-agent: *\nAllow: /\n", "text/plain")
                if self.path == "/sitemap.xml":
                    host = self.headers["Host"]
                    entries = "".join(
                        f"<url><loc>http://{host}{p}</loc>"
                        + (
                            f"<lastmod>{publisher.lastmods[p]}</lastmod>"
                            if p in publisher.lastmods
                            else ""
                        )
                        + "</url>"
                        for p in STORIES
                    )
                    body = (
                        '<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">'
                        f"{entries}</urlset>"
                    ).encode()
                    return self.reply(200, body, "application/xml")
                status, body, etag = publisher.pages.get(self.path, (404, b"gone", None))
                asked = self.headers.get("If-None-Match")
                if status == 200 and etag and asked == etag:
                    status, body = 304, b""
                publisher.requests.append(
                    (self.path, {k.lower(): v for k, v in self.headers.items()}, status)
                )
                if status == 301:  # a moved story: its body is the new path
                    self.send_response(301)
                    self.send_header("Location", body.decode())
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                    return
                self.reply(status, body, "text/html; charset=utf-8", etag)

            def reply(self, status, body, content_type, etag=None):
                self.send_response(status)
                if status != 304:
                    self.send_header("Content-Type", content_type)
                    self.send_header("Content-Length", str(len(body)))
                if etag:
                    self.send_header("ETag", etag)
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args):
                pass

        return Handler


class Archive:
    """An archive file as tests/crawling.py's funnel_gaps() reads it."""

    def __init__(self, db):
        self.db = db

    def query(self, sql, params=()):
        return rows(self.db, sql, params)


def write_config(folder, host):
    sources = folder / "sources.yml"
    source = {
        "id": "fresh",
        "name": "Fresh",
        "homepage": f"http://{host}/",
        "allowed_domains": [host],
        "sitemaps": [f"http://{host}/sitemap.xml"],
        "article_url": "/2026/",
    }
    sources.write_text(yaml.safe_dump({"sources": [source]}))
    artists = folder / "artists.yml"
    artists.write_text("artists:\n  - name: Lady Gaga\n")
    return sources, artists


def refresh(redis_url, db, *args) -> subprocess.Popen:
    """Start `newscrawl refresh` (stderr: its summary line)."""
    command = [sys.executable, "-m", "newscrawl", "refresh", "--redis", redis_url]
    return subprocess.Popen(
        [*command, "--db", str(db), *args],
        cwd=ROOT,
        env=ENV,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def queued_by(process: subprocess.Popen) -> int:
    """How many refetches a finished `newscrawl refresh` queued (from its summary)."""
    _, err = process.communicate(timeout=120)
    assert process.returncode == 0, err
    assert "Traceback" not in err, err
    summary = err.strip().splitlines()[-1]
    return int(summary.split(" queued")[0].rsplit(", ", 1)[1])


def first_run_then_time_passes(tmp_path, redis_url, publisher, config):
    """Run 1 and its ingest; then the publisher changes, and the archive says the two
    stories were fetched ten minutes after publication (their 1d step passed since)."""
    Worker("first", redis_url, tmp_path, config).wait()
    db = tmp_path / "archive.db"
    assert ingest(redis_url, db, "--idle-exit", "0.5").returncode == 0
    archived = {r["url"].split("/", 3)[3] for r in rows(db, "select url from articles")}
    assert archived == {"2026/edited/", "2026/same/"}
    (drop,) = rows(db, "select url, reason, status from drops")
    assert drop["url"].endswith("/2026/flaky/") and drop["status"] == 500
    young = (PUBLISHED + timedelta(minutes=10)).isoformat()
    with sqlite3.connect(db) as conn:
        conn.execute("update articles set fetched_at = ?", [young])
        conn.execute("update drops set last_seen_at = ?", [young])  # its retry pause is over
    publisher.change()
    publisher.requests.clear()
    return db


@pytest.fixture
def publisher():
    publisher = Publisher()
    with serve_locally(publisher.handler()) as host:
        publisher.host = host
        yield publisher


def test_due_articles_are_refetched_in_redis_mode(tmp_path, redis_url, redis_client, publisher):
    """The edited story becomes a revision, the unchanged one answers 304 to its ETag
    and counts as unchanged, the page that failed is fetched again and archived; the
    claims are released once the ingester has the outcomes, and nothing is due after."""
    config = write_config(tmp_path, publisher.host)
    db = first_run_then_time_passes(tmp_path, redis_url, publisher, config)
    assert queued_by(refresh(redis_url, db)) == 3
    Worker("second", redis_url, tmp_path, config).wait()
    assert ingest(redis_url, db, "--idle-exit", "0.5").returncode == 0

    (edited_asked,) = publisher.asked("/2026/edited/")
    assert edited_asked[0]["if-none-match"] == '"edit-1"' and edited_asked[1] == 200
    (same_asked,) = publisher.asked("/2026/same/")
    assert same_asked[0]["if-none-match"] == '"same-1"' and same_asked[1] == 304
    (flaky_asked,) = publisher.asked("/2026/flaky/")
    assert flaky_asked[1] == 200

    articles = {
        r["url"].split("/", 3)[3]: r
        for r in rows(db, "select url, body, etag, revision_count, fetched_at from articles")
    }
    assert "version 2" in articles["2026/edited/"]["body"]
    assert articles["2026/edited/"]["etag"] == '"edit-2"'
    assert articles["2026/edited/"]["revision_count"] == 1
    (revision,) = rows(db, "select body from revisions")
    assert "version 1" in revision["body"]
    same = articles["2026/same/"]
    assert same["revision_count"] == 0
    assert same["fetched_at"] > (PUBLISHED + timedelta(minutes=10)).isoformat()
    assert "2026/flaky/" in articles
    assert rows(db, "select * from drops") == []
    second = rows(db, "select * from crawl_runs order by id")[-1]
    assert (second["articles_new"], second["articles_updated"], second["articles_unchanged"]) == (
        1,
        1,
        1,
    )
    assert second["requested"] == second["pages_fetched"] == 3
    # A refetch is a candidate of the run that fetches it: discovered = requested +
    # skipped (the 3 refetches; the sitemap's 3 URLs, in the "seen" set, skipped).
    assert second["discovered"] == 6 and second["pages_skipped"] == 3
    assert funnel_gaps(Archive(db)) == {}

    assert list(redis_client.scan_iter(match="news:refresh:*")) == []
    # Every refetch is in the archive: nothing is due until the next step (7d).
    assert queued_by(refresh(redis_url, db)) == 0
    assert redis_client.zcard("news:requests") == 0


def test_a_due_page_is_queued_once_however_many_schedulers_run(
    tmp_path, redis_url, redis_client, publisher
):
    """Four schedulers at once, then one more while the refetches wait in the queue:
    each due page is queued once and fetched once."""
    config = write_config(tmp_path, publisher.host)
    db = first_run_then_time_passes(tmp_path, redis_url, publisher, config)
    schedulers = [refresh(redis_url, db) for _ in range(4)]
    assert sum(queued_by(s) for s in schedulers) == 3
    assert redis_client.zcard("news:requests") == 3
    assert queued_by(refresh(redis_url, db)) == 0
    Worker("second", redis_url, tmp_path, config).wait()
    # Fetched, not yet ingested: the archive still says they are due, the claims hold.
    assert queued_by(refresh(redis_url, db)) == 0
    assert ingest(redis_url, db, "--idle-exit", "0.5").returncode == 0
    for path in STORIES:
        assert len(publisher.asked(path)) == 1, path
    assert rows(db, "select count(*) n from revisions") == [{"n": 1}]
    assert queued_by(refresh(redis_url, db)) == 0


def test_refetches_spend_the_source_budget(tmp_path, redis_url, redis_client, publisher):
    """A worker run fetches at most the source's max_pages, refetches included, as a
    local crawl does. The refetches over budget are not sent, and their claims are
    released, so the next scheduling step queues them for a later run. Before, a run
    fetched every refetch queued, whatever the budget: all three here."""
    config = write_config(tmp_path, publisher.host)
    db = first_run_then_time_passes(tmp_path, redis_url, publisher, config)
    sources = yaml.safe_load(config[0].read_text())
    sources["sources"][0]["max_pages"] = 1
    config[0].write_text(yaml.safe_dump(sources))

    def refetched() -> list[str]:
        return [path for path, _, _ in publisher.requests if path in STORIES]

    assert queued_by(refresh(redis_url, db)) == 3
    Worker("second", redis_url, tmp_path, config).wait()
    assert len(refetched()) == 1
    assert redis_client.zcard("news:requests") == 0
    assert ingest(redis_url, db, "--idle-exit", "0.5").returncode == 0
    second = rows(db, "select requested, pages_fetched, stats from crawl_runs order by id")[-1]
    assert second["requested"] == second["pages_fetched"] == 1
    assert json.loads(second["stats"])["newscrawl/refetches_over_budget"] == 2

    # The two others are still due, their claims free: queued again, one fetched next run.
    assert queued_by(refresh(redis_url, db)) == 2
    Worker("third", redis_url, tmp_path, config).wait()
    assert len(refetched()) == 2
    assert len(set(refetched())) == 2
    assert ingest(redis_url, db, "--idle-exit", "0.5").returncode == 0
    assert queued_by(refresh(redis_url, db)) == 1


def test_the_ingester_schedules_refetches_when_asked(tmp_path, redis_url, redis_client, publisher):
    """`newscrawl ingest --refresh-every` runs the scheduling step itself: the due pages
    are queued, once, and a worker's outcomes come back through the same ingester. An
    archived story taken off the site meanwhile is a `removed` drop and keeps its
    archived version, as in a local crawl."""
    config = write_config(tmp_path, publisher.host)
    db = first_run_then_time_passes(tmp_path, redis_url, publisher, config)
    publisher.pages["/2026/same/"] = (404, b"gone", None)
    done = ingest(redis_url, db, "--idle-exit", "0.5", "--refresh-every", "1")
    assert done.returncode == 0, done.stderr
    assert redis_client.zcard("news:requests") == 3
    Worker("second", redis_url, tmp_path, config).wait()
    assert ingest(redis_url, db, "--idle-exit", "0.5", "--refresh-every", "1").returncode == 0
    assert redis_client.zcard("news:requests") == 0
    assert rows(db, "select count(*) n from revisions") == [{"n": 1}]
    assert len(rows(db, "select id from articles")) == 3
    (removed,) = rows(db, "select url, reason, status from drops")
    assert removed["url"].endswith("/2026/same/")
    assert (removed["reason"], removed["status"]) == ("removed", 404)


def test_a_refetch_settled_while_the_scheduler_reads_is_not_queued_again(
    tmp_path, redis_url, redis_client, publisher
):
    """The scheduler reads a page as due; before it claims the URL, the ingester commits
    the outcome of the page's previous refetch and releases its claim. The stale read
    must not queue a second refetch."""
    config = write_config(tmp_path, publisher.host)
    db = first_run_then_time_passes(tmp_path, redis_url, publisher, config)
    settled = []

    class SettledMeanwhile(RefreshPolicy):
        def decide(self, known, evidence, *, dropped=None):
            decision = super().decide(known, evidence, dropped=dropped)
            if known is not None and known["url"].endswith("/2026/same/") and not settled:
                # What `newscrawl ingest` does with a 304 right after this read.
                with sqlite3.connect(db) as conn:
                    now = datetime.now(UTC).replace(microsecond=0).isoformat()
                    conn.execute(
                        "update articles set fetched_at = ? where url = ?", [now, known["url"]]
                    )
                settled.append(known["url"])
            return decision

    result = schedule_refreshes(
        redis_client, db, keys=RedisKeys("news"), policy=SettledMeanwhile(parse_ladder("1h,1d,7d"))
    )
    assert settled and (result.due, result.queued) == (3, 2)
    queued = {
        picklecompat.loads(raw)["url"].split("/", 3)[3]
        for raw in redis_client.zrange("news:requests", 0, -1)
    }
    assert queued == {"2026/edited/", "2026/flaky/"}
    assert redis_client.exists(claim_key(RedisKeys("news"), settled[0])) == 0


def test_a_refetch_that_redirects_releases_its_claim(tmp_path, redis_url, redis_client, publisher):
    """A due story moved to a new URL (a 301 on refetch): the article is stored under the
    new URL, and the claim of the URL the refetch was queued for is released like any
    other settled refetch's. Before, the ingester released only the claims of the
    article's own and canonical URLs, so a moved page's claim stayed for its whole
    time to live (a day), blocking the scheduler from it."""
    config = write_config(tmp_path, publisher.host)
    db = first_run_then_time_passes(tmp_path, redis_url, publisher, config)
    publisher.pages["/2026/same/"] = (301, b"/2026/same-moved/", None)
    publisher.pages["/2026/same-moved/"] = (200, story("Lady Gaga same story", 3), '"moved-1"')
    assert queued_by(refresh(redis_url, db)) == 3
    Worker("second", redis_url, tmp_path, config).wait()
    assert ingest(redis_url, db, "--idle-exit", "0.5").returncode == 0

    assert [status for _, status in publisher.asked("/2026/same-moved/")] == [200]
    moved = rows(db, "select url from articles where url like '%/same-moved/'")
    assert len(moved) == 1
    assert list(redis_client.scan_iter(match="news:refresh:*")) == []
    # The old URL is now known to redirect (a ledger row from this fetch): not due again.
    assert queued_by(refresh(redis_url, db)) == 0


def test_a_source_without_conditional_requests_is_refetched_in_full(tmp_path, redis_url, publisher):
    """`conditional_requests: false` in the worker's sources file: the refetch the
    scheduler queued with the archived ETag goes out without it, and is answered in full."""
    config = write_config(tmp_path, publisher.host)
    db = first_run_then_time_passes(tmp_path, redis_url, publisher, config)
    sources, _ = config
    data = yaml.safe_load(sources.read_text())
    data["sources"][0]["conditional_requests"] = False
    sources.write_text(yaml.safe_dump(data))
    assert queued_by(refresh(redis_url, db)) == 3
    Worker("second", redis_url, tmp_path, config).wait()
    (same_asked,) = publisher.asked("/2026/same/")
    assert "if-none-match" not in same_asked[0] and same_asked[1] == 200
    (edited_asked,) = publisher.asked("/2026/edited/")
    assert "if-none-match" not in edited_asked[0] and edited_asked[1] == 200


def test_a_partitioned_node_fetches_only_its_own_sources_refetches(
    tmp_path, redis_url, redis_client, publisher
):
    """Partitioned crawls (docs/scaling.md: each node its own sources and request
    queue). `newscrawl refresh --sources ... --queue ...` queues one node's due pages
    only, onto its queue. A refetch that reaches a node that does not crawl its source
    (a refresh without --sources) is not sent, and its claim is released, so the
    source's own node gets it from its next scheduling step. Before, refresh had no
    --sources, and a node fetched every refetch in its queue, whatever its sources: the
    other node's publisher at this node's pace."""
    config = write_config(tmp_path, publisher.host)
    db = first_run_then_time_passes(tmp_path, redis_url, publisher, config)
    data = yaml.safe_load(config[0].read_text())
    host = publisher.host
    data["sources"].append(
        {
            "id": "other",
            "name": "Other",
            "homepage": f"http://{host}/other/",
            "allowed_domains": [host],
            "sitemaps": [f"http://{host}/other-sitemap.xml"],
            "article_url": "/other/",
        }
    )
    config[0].write_text(yaml.safe_dump(data))

    def refetched() -> list[str]:
        return sorted(path for path, _, _ in publisher.requests if path in STORIES)

    def node(name: str) -> Worker:
        return Worker(
            f"node-{name}",
            redis_url,
            tmp_path,
            config,
            spider_args={"sources": name},
            settings={"SCHEDULER_QUEUE_KEY": f"news:requests:{name}"},
        )

    # The archive has pages of "fresh" only; a name it does not know is a warning.
    unknown = refresh(redis_url, db, "--sources", "other,nope", "--queue", "news:requests:other")
    _, err = unknown.communicate(timeout=120)
    assert unknown.returncode == 0 and "no source 'nope'" in err, err
    assert "0 pages due, 0 queued" in err, err
    assert redis_client.zcard("news:requests:other") == 0

    # Misrouted: every due page onto the queue of the node that crawls "other".
    assert queued_by(refresh(redis_url, db, "--queue", "news:requests:other")) == 3
    other = node("other")
    other.wait()
    assert refetched() == []
    assert "Refetches of fresh not sent: this run crawls only other" in other.output
    assert redis_client.zcard("news:requests:other") == 0
    assert list(redis_client.scan_iter(match="news:refresh:*")) == []

    # Routed: "fresh"'s node gets its own pages on its own queue.
    fresh_queue = ("--sources", "fresh", "--queue", "news:requests:fresh")
    assert queued_by(refresh(redis_url, db, *fresh_queue)) == 3
    node("fresh").wait()
    assert refetched() == sorted(STORIES)
    assert ingest(redis_url, db, "--idle-exit", "0.5").returncode == 0
    assert rows(db, "select count(*) n from revisions") == [{"n": 1}]
    assert queued_by(refresh(redis_url, db, *fresh_queue)) == 0


def test_refresh_of_a_file_that_is_no_archive_is_a_one_line_error(tmp_path, redis_url):
    """`newscrawl refresh --db` naming an SQLite file that is not an archive, or a file
    that is not SQLite at all: one line naming the file, exit code 1, as the other
    commands that read an archive say it. Before, a sqlite3 traceback."""
    other = tmp_path / "other.db"
    with sqlite3.connect(other) as conn:
        conn.execute("create table notes (text)")
    text = tmp_path / "notes.db"
    text.write_text("not a database\n")
    for db, says in ((other, "not a newscrawl archive"), (text, "not an SQLite database")):
        process = refresh(redis_url, db)
        _, err = process.communicate(timeout=120)
        assert process.returncode == 1, err
        assert "Traceback" not in err, err
        (line,) = err.strip().splitlines()
        assert str(db) in line and says in line, line


def test_an_empty_queue_key_is_refused(tmp_path, redis_url, redis_client):
    """`--queue ""` pushed the refetches to a key no worker reads."""
    from newscrawl.store import Archive as Store

    db = tmp_path / "archive.db"
    with Store(db):
        pass
    before = sorted(redis_client.keys("*"))
    for key in ("", "  "):
        process = refresh(redis_url, db, "--queue", key)
        _, err = process.communicate(timeout=120)
        assert process.returncode == 2, err
        assert "--queue" in err and "SCHEDULER_QUEUE_KEY" in err, err
    assert sorted(redis_client.keys("*")) == before


def test_the_age_prefilter_in_sql_misses_no_due_page(tmp_path):
    """`due_pages` lets SQLite pick the articles an age step may make due instead of
    reading every row into Python; the pages it finds must be exactly those the policy
    finds row by row: offsets, RFC 822 and unreadable dates, missing dates, later failed
    fetches, undated articles, retried drops."""
    import random

    import sqlite_utils

    from newscrawl import schema

    db = sqlite_utils.Database(tmp_path / "archive.db")
    schema.apply(db)
    now = datetime(2026, 6, 1, 12, tzinfo=UTC)
    rng = random.Random(7)

    def moment(base: datetime) -> str | None:
        shape = rng.randrange(6)
        if shape == 0:
            return None
        if shape == 1:
            return base.strftime("%a, %d %b %Y %H:%M:%S GMT")  # RFC 822: julianday() null
        if shape == 2:
            return base.astimezone(timezone(timedelta(hours=-7))).isoformat()
        if shape == 3:
            return base.date().isoformat()
        return base.isoformat()

    articles, drops = [], []
    for n in range(600):
        published = now - timedelta(hours=rng.uniform(0, 24 * 40))
        fetched = published + timedelta(hours=rng.uniform(-2, 24 * 12))
        url = f"http://p.example/{n}/"
        articles.append(
            {
                "id": n + 1,
                "url": url,
                "canonical_url": url,
                "source_id": "p",
                "published_at": moment(published),
                "first_seen_at": moment(fetched) if rng.random() < 0.5 else None,
                "fetched_at": moment(fetched) if rng.random() < 0.95 else None,
            }
        )
        if rng.random() < 0.2:
            tried = fetched + timedelta(hours=rng.uniform(0, 24 * 10))
            drops.append(
                {
                    "url": url,
                    "source_id": "p",
                    "stage": "fetch",
                    "reason": rng.choice(["http_status", "fetch_error", "removed"]),
                    "status": rng.choice([None, 500, 404]),
                    "last_seen_at": moment(tried),
                    "first_seen_at": moment(tried),
                }
            )
    for n in range(60):  # pages never archived
        tried = now - timedelta(hours=rng.uniform(0, 24 * 20))
        drops.append(
            {
                "url": f"http://p.example/failed-{n}/",
                "source_id": "p",
                "stage": rng.choice(["fetch", "extract"]),
                "reason": rng.choice(["http_status", "fetch_error", "robots", "no_artist"]),
                "status": rng.choice([None, 500, 410]),
                "last_seen_at": moment(tried),
                "first_seen_at": moment(tried),
            }
        )
    db["articles"].insert_all(articles)
    db["drops"].insert_all(drops)
    conn = sqlite3.connect(tmp_path / "archive.db")
    for ladder in ("1h,1d,7d", "", "2d"):
        policy = RefreshPolicy(parse_ladder(ladder), now=now)
        found = sorted((d.url, d.why) for d in due_pages(conn, policy))
        # Row by row, every article and every retried drop, as the first version did.
        conn.row_factory = sqlite3.Row
        every_drop = {r["url"]: dict(r) for r in conn.execute("select * from drops")}
        expected = []
        for row in conn.execute("select * from articles"):
            decision = policy.decide(dict(row), {}, dropped=every_drop.get(row["url"]))
            if decision.fetch:
                expected.append((row["url"], decision.why))
        held = {r["url"] for r in conn.execute("select url from articles")}
        for url, drop in every_drop.items():
            if url in held or drop["stage"] != "fetch" or drop["status"] in (404, 410):
                continue
            if drop["reason"] not in ("http_status", "fetch_error"):
                continue
            tried = parse_time(drop["last_seen_at"])
            if tried is not None and now - tried < retry_pause(policy):
                continue
            decision = policy.decide(None, {}, dropped=drop)
            if decision.fetch:
                expected.append((url, decision.why))
        conn.row_factory = None
        assert found == sorted(expected), ladder
        assert found, ladder


def test_a_newer_lastmod_in_a_channel_gets_the_page_refetched(
    tmp_path, redis_url, redis_client, publisher
):
    """The sitemap gives each story a lastmod; after run 1 one story is edited and its
    lastmod moves on. A worker finds the URL in the "seen" set and reports the new date
    to the ingester (a `changed` message), which holds the archive: the date is newer
    than the one recorded at the fetch, so it queues a refetch, which the next worker
    run makes a revision. The unchanged story is not fetched again, and dates already
    reported are not reported twice. Before, a channel's lastmod never made a worker
    fetch a page again."""
    for path in STORIES:
        publisher.lastmods[path] = "2026-01-06T10:00:00+00:00"
    config = write_config(tmp_path, publisher.host)
    db = tmp_path / "archive.db"
    Worker("first", redis_url, tmp_path, config).wait()
    # The dates each page was requested with count as known: nothing to report for them.
    assert redis_client.hlen("news:channel_dates") == 3
    assert ingest(redis_url, db, "--idle-exit", "0.5").returncode == 0
    publisher.change()  # the edit (and the failing page recovers: not a channel matter)
    publisher.lastmods["/2026/edited/"] = "2026-01-08T09:00:00+00:00"
    publisher.requests.clear()

    Worker("second", redis_url, tmp_path, config).wait()  # finds the new date
    changed = [
        json.loads(raw)
        for raw in redis_client.lrange("news:items", 0, -1)
        if json.loads(raw)["type"] == "changed"
    ]
    assert [m["url"].split("/", 3)[3] for m in changed] == ["2026/edited/"], changed
    second = ingest(redis_url, db, "--idle-exit", "0.5")
    assert second.returncode == 0 and "1 refetch queued for newer channel dates" in second.stderr
    assert publisher.asked("/2026/edited/") == [] and publisher.asked("/2026/same/") == []
    Worker("third", redis_url, tmp_path, config).wait()  # fetches it
    assert ingest(redis_url, db, "--idle-exit", "0.5").returncode == 0
    Worker("fourth", redis_url, tmp_path, config).wait()  # nothing new to report
    fourth = ingest(redis_url, db, "--idle-exit", "0.5")
    assert fourth.returncode == 0 and "refetches queued" not in fourth.stderr

    (edited_asked,) = publisher.asked("/2026/edited/")
    assert edited_asked[0]["if-none-match"] == '"edit-1"' and edited_asked[1] == 200
    assert publisher.asked("/2026/same/") == []
    edited = rows(
        db, "select body, revision_count, discovery from articles where url like '%/edited/'"
    )[0]
    assert "version 2" in edited["body"] and edited["revision_count"] == 1
    assert "2026-01-08T09:00:00+00:00" in edited["discovery"]
    assert redis_client.llen("news:requests") == 0
    assert not list(redis_client.scan_iter(match="news:refresh:*"))


def test_a_newer_lastmod_reported_while_a_refetch_is_claimed_is_not_lost(
    tmp_path, redis_url, redis_client, publisher
):
    """A refetch of a story is fetched (unchanged then: a 304), and before the ingester
    has its outcome the story is edited and a worker reports the sitemap's newer lastmod.
    The ingester applies both in one batch: the refetch's claim still holds when the
    `changed` message is applied, so no refetch can be queued for it then. The date must
    stay reportable, so that the next worker run reports it again and the edit is
    fetched. Before, the date counted as reported for good and the edit was never
    fetched (the sitemap kept listing the same lastmod)."""
    for path in STORIES:
        publisher.lastmods[path] = "2026-01-06T10:00:00+00:00"
    config = write_config(tmp_path, publisher.host)
    db = tmp_path / "archive.db"
    Worker("first", redis_url, tmp_path, config).wait()
    assert ingest(redis_url, db, "--idle-exit", "0.5").returncode == 0
    young = (PUBLISHED + timedelta(minutes=10)).isoformat()
    with sqlite3.connect(db) as conn:
        conn.execute("update articles set fetched_at = ?", [young])
        conn.execute("update drops set last_seen_at = ?", [young])  # its retry pause is over
    publisher.requests.clear()
    assert queued_by(refresh(redis_url, db)) == 3
    Worker("second", redis_url, tmp_path, config).wait()  # the refetches, not yet ingested
    (edited_asked,) = publisher.asked("/2026/edited/")
    assert edited_asked[1] == 304
    publisher.change()
    publisher.lastmods["/2026/edited/"] = "2026-01-08T09:00:00+00:00"
    Worker("third", redis_url, tmp_path, config).wait()  # reports the new lastmod
    assert ingest(redis_url, db, "--idle-exit", "0.5").returncode == 0

    Worker("fourth", redis_url, tmp_path, config).wait()  # reports it again
    assert ingest(redis_url, db, "--idle-exit", "0.5").returncode == 0
    Worker("fifth", redis_url, tmp_path, config).wait()  # fetches the edit
    assert ingest(redis_url, db, "--idle-exit", "0.5").returncode == 0
    edited = rows(db, "select body, revision_count from articles where url like '%/edited/'")[0]
    assert "version 2" in edited["body"] and edited["revision_count"] == 1
    assert not list(redis_client.scan_iter(match="news:refresh:*"))


def test_channel_dates_are_reported_once_per_kind(redis_url, redis_client):
    """A page listed by a sitemap (lastmod) and a feed (updated) with different dates is
    reported once for each, not again every time the other channel is read."""
    from newscrawl.scale.redis_queue import RedisWriter

    writer = RedisWriter(redis_client, RedisKeys("news"))
    writer.start_run(spider="news")
    url = "http://p.example/2026/story/"
    seen = [
        writer.channel_dates_seen(url, "p", evidence)
        for evidence in (
            {"lastmod": "2026-01-06", "channel": "sitemap"},
            {"updated": "2026-01-05T08:00:00Z", "channel": "feed"},
            {"lastmod": "2026-01-06", "channel": "sitemap"},
            {"updated": "2026-01-05T08:00:00Z", "channel": "feed"},
            {"lastmod": "2026-01-09", "channel": "sitemap"},
            {"channel": "listing"},
        )
    ]
    assert seen == [True, True, False, False, True, False]
    changed = [
        json.loads(raw)["evidence"]
        for raw in redis_client.lrange("news:items", 0, -1)
        if json.loads(raw)["type"] == "changed"
    ]
    assert changed == [
        {"lastmod": "2026-01-06"},
        {"updated": "2026-01-05T08:00:00Z"},
        {"lastmod": "2026-01-09"},
    ]


def test_a_failed_page_waits_before_it_is_queued_again(tmp_path):
    """A page that keeps answering 500 is not queued at every scheduling step (say
    `ingest --refresh-every 60`): it waits the first step of the age ladder, or an hour
    without one, since its last attempt."""
    import sqlite_utils

    from newscrawl import schema

    db = sqlite_utils.Database(tmp_path / "archive.db")
    schema.apply(db)
    now = datetime(2026, 6, 1, 12, tzinfo=UTC)
    for name, minutes in (("recent", 10), ("earlier", 90), ("long-ago", 60 * 30)):
        tried = (now - timedelta(minutes=minutes)).isoformat()
        db["drops"].insert(
            {
                "url": f"http://p.example/{name}/",
                "source_id": "p",
                "stage": "fetch",
                "reason": "http_status",
                "status": 500,
                "first_seen_at": tried,
                "last_seen_at": tried,
            }
        )
    conn = sqlite3.connect(tmp_path / "archive.db")

    def due(ladder: str) -> list[str]:
        policy = RefreshPolicy(parse_ladder(ladder), now=now)
        return sorted(d.url.split("/")[3] for d in due_pages(conn, policy))

    assert due("1h,1d,7d") == ["earlier", "long-ago"]
    assert due("") == ["earlier", "long-ago"]
    assert due("1d") == ["long-ago"]


CHALLENGE = (
    b"<html><head><title>Just a moment...</title></head><body><h1>Just a moment...</h1>"
    b"<p>Checking if the site connection is secure</p></body></html>"
)


def test_a_page_a_bot_check_answered_is_fetched_again_by_the_next_worker_run(
    tmp_path, redis_url, publisher
):
    """A bot check served with status 200 is an extract / blocked drop, fetched again on
    the next run, as a local crawl does. A worker left its URL in the shared "seen" set,
    so no later run fetched it: the story was never archived."""
    config = write_config(tmp_path, publisher.host)
    publisher.pages["/2026/flaky/"] = (200, CHALLENGE, None)
    db = tmp_path / "archive.db"
    Worker("first", redis_url, tmp_path, config).wait()
    assert ingest(redis_url, db, "--idle-exit", "0.5").returncode == 0
    (drop,) = rows(db, "select url, stage, reason from drops")
    assert drop["url"].endswith("/2026/flaky/") and drop["reason"] == "blocked"
    publisher.change()
    Worker("second", redis_url, tmp_path, config).wait()
    assert ingest(redis_url, db, "--idle-exit", "0.5").returncode == 0
    assert [status for _, status in publisher.asked("/2026/flaky/")] == [200, 200]
    titles = {r["title"] for r in rows(db, "select title from articles")}
    assert "Lady Gaga flaky story" in titles
    assert rows(db, "select * from drops") == []
