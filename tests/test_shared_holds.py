"""Redis mode: a publisher's Retry-After holds every worker, not only the one it answered.

Real redis-server, real Redis-mode `scrapy crawl news` workers and `newscrawl ingest`,
and a local publisher that records when each request arrived; the asserts are on those
times against the wait the publisher asked for (behaviour, not speed)."""

from __future__ import annotations

import json
import sqlite3
import time
from http.server import BaseHTTPRequestHandler

import pytest
import yaml
from crawling import assert_paced, serve_locally
from test_retry_after import article_requests, entry, fresh_site
from test_scale_redis import Worker, ingest, wait_for

from newscrawl.scale.holds import holds_key
from newscrawl.scale.redis_queue import RedisKeys

HOLDS = holds_key(RedisKeys("news"))


@pytest.fixture
def busy():
    site = fresh_site("Busy")
    with serve_locally(site) as host:
        site.host = host
        yield site


@pytest.fixture(autouse=True)
def no_leftover_workers():
    yield
    for worker in Worker.started:
        if worker.process.poll() is None:
            worker.kill()
    Worker.started.clear()


def drain(redis_url, db):
    result = ingest(redis_url, db, "--idle-exit", "0.5")
    assert result.returncode == 0, result.stderr
    return sqlite3.connect(db)


def config(tmp_path, site, articles: int):
    site.articles = articles
    sources = tmp_path / "sources.yml"
    sources.write_text("sources:\n" + entry(site, "busy"))
    artists = tmp_path / "artists.yml"
    artists.write_text("artists:\n  - name: Lady Gaga\n")
    return sources, artists


def test_a_hold_left_by_another_worker_holds_this_one(tmp_path, busy, redis_url, redis_client):
    """Another worker was told to wait 5 s and slowed that publisher to one request every
    0.5 s (the hash as it writes it): this worker sends nothing to it until then, says
    why, then fetches everything at no more than that pace."""
    now = redis_client.time()
    until = now[0] + now[1] / 1e6 + 5
    reason = "HTTP 429 (Retry-After 5 s)"
    redis_client.hset(
        HOLDS,
        "busy",
        json.dumps(
            {"until": until, "refuse": False, "reason": reason, "worker": "w1:1", "delay": 0.5}
        ),
    )
    worker = Worker("w2", redis_url, tmp_path, config(tmp_path, busy, 3))
    worker.wait()
    sent = [(t, path) for t, path in busy.log if path != "/robots.txt"]
    assert sent, "the worker fetched nothing"
    assert all(t >= until for t, _ in sent), [round(t - until, 2) for t, _ in sent]
    assert_paced([t for t, _ in sent], [0.5] * (len(sent) - 1))
    assert "another worker (w1:1) was told HTTP 429 (Retry-After 5 s)" in worker.output
    assert len(article_requests(busy)) == 3
    conn = drain(redis_url, tmp_path / "archive.db")
    assert conn.execute("select count(*) from articles").fetchone() == (3,)


def test_a_wait_beyond_the_cap_left_by_another_worker_drops_the_pages(
    tmp_path, busy, redis_url, redis_client
):
    """Another worker was told to wait longer than NEWSCRAWL_MAX_RETRY_AFTER: this worker
    requests nothing from that publisher and its pages become ``throttled`` drops."""
    now = redis_client.time()
    hold = {
        "until": now[0] + 3600,
        "refuse": True,
        "reason": "HTTP 429 with Retry-After: 3600",
        "worker": "w1:1",
    }
    redis_client.hset(HOLDS, "busy", json.dumps(hold))
    told = "not requested: another worker was told HTTP 429 with Retry-After: 3600"
    # A crawl of the source: its sitemap is not requested (a discovery page that fails is
    # a warning, as in a local crawl).
    worker = Worker("w2", redis_url, tmp_path, config(tmp_path, busy, 3))
    worker.wait()
    assert f"sitemap.xml failed: {told}" in worker.output
    # Named pages (-a urls=...): each is a fetch / throttled drop, fetched by a later run.
    pages = [f"http://{busy.host}/news/{n}.html" for n in (1, 2)]
    named = Worker(
        "w3", redis_url, tmp_path, config(tmp_path, busy, 3), spider_args={"urls": ",".join(pages)}
    )
    named.wait()
    assert [path for _, path in busy.log if path != "/robots.txt"] == []
    conn = drain(redis_url, tmp_path / "archive.db")
    drops = conn.execute("select url, stage, reason, detail from drops order by url").fetchall()
    assert drops == [(url, "fetch", "throttled", told) for url in pages]


def test_a_hold_written_while_a_worker_runs_reaches_it_within_a_poll(
    tmp_path, busy, redis_url, redis_client
):
    """A worker is fetching a publisher when another worker writes a 4 s hold for it:
    from one poll after the write until the hold ends, this worker sends it nothing;
    afterwards every page is archived once. (Two workers sharing a queue cannot be made
    to both work on one publisher reliably: an idle one may finish at once.)"""
    busy.pause = 0.3  # one page at a time: the crawl takes seconds
    worker = Worker(
        "w2",
        redis_url,
        tmp_path,
        config(tmp_path, busy, 20),
        settings={"NEWSCRAWL_REDIS_HOLD_POLL": "0.2"},
    )
    wait_for(lambda: len(article_requests(busy)) >= 2, what="the worker fetching articles")
    now = redis_client.time()
    until = now[0] + now[1] / 1e6 + 4
    hold = {"until": until, "refuse": False, "reason": "HTTP 429", "worker": "w1:1", "delay": 0}
    redis_client.hset(HOLDS, "busy", json.dumps(hold))
    written = time.time()
    worker.wait()
    window = [round(t - written, 2) for t, _ in article_requests(busy) if written + 1 <= t < until]
    assert window == [], window
    assert "another worker (w1:1) was told HTTP 429" in worker.output
    conn = drain(redis_url, tmp_path / "archive.db")
    assert conn.execute(
        "select count(*), count(distinct canonical_url) from articles"
    ).fetchone() == (20, 20)
    assert conn.execute("select count(*) from drops").fetchone() == (0,)


def test_the_answered_worker_writes_the_hold(tmp_path, busy, redis_url, redis_client):
    """The worker that got the 429 puts the hold in the hash, on Redis's clock."""
    busy.answers = [(429, "1")]
    before = redis_client.time()
    worker = Worker("w1", redis_url, tmp_path, config(tmp_path, busy, 2))
    worker.wait()
    hold = json.loads(redis_client.hget(HOLDS, "busy"))
    assert (
        hold["refuse"] is False and "429" in hold["reason"] and "Retry-After 1 s" in hold["reason"]
    )
    assert hold["worker"].endswith(f":{worker.process.pid}")
    assert before[0] + 1 <= hold["until"] <= time.time() + 1


def test_a_429_asking_for_no_wait_shares_the_slower_pace(tmp_path, busy, redis_url, redis_client):
    """A 429 with ``Retry-After: 0`` holds nothing but slows the publisher down for the
    rest of the run (NEWSCRAWL_THROTTLED_MIN_DELAY, 1 s): the answered worker writes that
    pace into the hash too, kept for an hour. Before, no wait meant nothing was shared."""
    busy.answers = [(429, "0")]
    before = redis_client.time()
    Worker("w1", redis_url, tmp_path, config(tmp_path, busy, 2)).wait()
    hold = json.loads(redis_client.hget(HOLDS, "busy"))
    assert hold["delay"] == 1 and hold["refuse"] is False and "429" in hold["reason"], hold
    assert hold["until"] < before[0] + 60 <= before[0] + 3000 < hold["keep"], hold


def test_a_pace_left_by_another_worker_outlasts_its_hold(tmp_path, busy, redis_url, redis_client):
    """Another worker was told to wait, and to slow down to one request every 0.5 s; the
    wait is over, the pace is not: this worker fetches that publisher no faster. Before,
    a hold that had ended was skipped, pace and all."""
    now = redis_client.time()
    hold = {
        "until": now[0] - 5,
        "keep": now[0] + 3600,
        "refuse": False,
        "reason": "HTTP 429 (Retry-After 0 s)",
        "worker": "w1:1",
        "delay": 0.5,
    }
    redis_client.hset(HOLDS, "busy", json.dumps(hold))
    worker = Worker("w2", redis_url, tmp_path, config(tmp_path, busy, 4))
    worker.wait()
    sent = [t for t, path in busy.log if path != "/robots.txt"]
    assert len(sent) >= 5
    assert_paced(sent, [0.5] * (len(sent) - 1))  # without the pace they all go out at once
    assert "at most one request every 0.5 s" in worker.output
    assert len(article_requests(busy)) == 4


def test_pages_given_up_for_a_long_wait_are_fetched_by_a_later_run(
    tmp_path, busy, redis_url, redis_client
):
    """The publisher asks for an hour: the run gives its pages up (``throttled`` drops,
    "fetched again by the next run"). They were in the "seen" set, so every later run
    skipped them as fetched and they were never archived."""
    busy.answers = [(429, "3600")]
    site = config(tmp_path, busy, 3)
    Worker("w1", redis_url, tmp_path, site).wait()
    assert len(article_requests(busy)) == 1  # the answered one; the others unsent
    conn = drain(redis_url, tmp_path / "archive.db")
    reasons = conn.execute("select reason, count(*) from drops group by reason").fetchall()
    assert reasons == [("throttled", 3)]
    conn.close()
    redis_client.delete(HOLDS)  # the hour has passed
    Worker("w2", redis_url, tmp_path, site).wait()
    assert len(article_requests(busy)) == 4
    conn = drain(redis_url, tmp_path / "archive.db")
    assert conn.execute("select count(*) from articles").fetchone() == (3,)
    assert conn.execute("select count(*) from drops").fetchone() == (0,)


def test_pages_of_a_host_whose_robots_txt_could_not_be_read_are_fetched_by_a_later_run(
    tmp_path, redis_url
):
    """A publisher's sitemap on one host lists articles on another, whose robots.txt
    answers 503 this run: its pages are ``robots`` drops, "and the next run tries
    again". They were in the "seen" set, so no later run ever fetched them (before
    robots.txt that cannot be read blocked the host, they were fetched)."""
    articles = tmp_path / "articles"
    for n in (1, 2):
        story = (
            f"<html><head><title>Lady Gaga story {n}</title></head><body><article>"
            f"<h1>Lady Gaga story {n}</h1>"
            + "".join(f"<p>Paragraph {i}: Lady Gaga rehearsed the show.</p>" for i in range(8))
            + "</article></body></html>"
        )
        (articles / "news").mkdir(parents=True, exist_ok=True)
        (articles / "news" / f"{n}.html").write_text(story)

    class Pages(BaseHTTPRequestHandler):
        robots_status = 503
        hits: list[str] = []

        def do_GET(self):  # noqa: N802 - the http.server API
            cls = type(self)
            cls.hits.append(self.path)
            if self.path == "/robots.txt":
                status, body = cls.robots_status, b"User-agent: *\nAllow: /\n"
            else:
                status, body = 200, (articles / self.path.lstrip("/")).read_bytes()
            self.send_response(status)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass

    class Sitemaps(BaseHTTPRequestHandler):
        pages_host = ""

        def do_GET(self):  # noqa: N802 - the http.server API
            if self.path == "/robots.txt":
                body = b"User-agent: *\nAllow: /\n"
            else:
                urls = "".join(
                    f"<url><loc>http://{type(self).pages_host}/news/{n}.html</loc></url>"
                    for n in (1, 2)
                )
                xmlns = "http://www.sitemaps.org/schemas/sitemap/0.9"
                body = f'<urlset xmlns="{xmlns}">{urls}</urlset>'.encode()
            self.send_response(200)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass

    with serve_locally(Pages) as pages, serve_locally(Sitemaps) as sitemaps:
        Sitemaps.pages_host = pages
        source = {
            "id": "split",
            "name": "split",
            "homepage": f"http://{pages}/",
            "allowed_domains": [pages, sitemaps],
            "sitemaps": [f"http://{sitemaps}/sitemap.xml"],
        }
        sources = tmp_path / "sources.yml"
        sources.write_text(yaml.safe_dump({"sources": [source]}))
        artists = tmp_path / "artists.yml"
        artists.write_text("artists:\n  - name: Lady Gaga\n")
        once = {"RETRY_TIMES": "0"}
        Worker("w1", redis_url, tmp_path, (sources, artists), settings=once).wait()
        assert Pages.hits == ["/robots.txt"]
        conn = drain(redis_url, tmp_path / "archive.db")
        details = [d for (d,) in conn.execute("select detail from drops where reason = 'robots'")]
        assert len(details) == 2 and all("could not be read" in d for d in details), details
        conn.close()
        Pages.robots_status = 200
        Worker("w2", redis_url, tmp_path, (sources, artists), settings=once).wait()
    conn = drain(redis_url, tmp_path / "archive.db")
    assert conn.execute("select count(*) from articles").fetchone() == (2,)
    assert conn.execute("select count(*) from drops").fetchone() == (0,)
