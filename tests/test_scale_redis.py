"""Redis mode end to end: a real redis-server, real `scrapy crawl news` worker processes
sharing its frontier, and real `newscrawl ingest` processes writing the archive, against
the demo publishers. The archive must match the demo catalogue (like
tests/test_crawl_demo.py) and a single-process crawl of the same sites, whatever is
killed on the way.
"""

from __future__ import annotations

import gzip
import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from urllib.parse import urlsplit

import pytest
from crawling import FAST, ROOT, evidence, scrapy_crawl

from newscrawl.scale.messages import article_from_dict, article_to_dict, decode, encode
from newscrawl.scale.redis_queue import RedisKeys

KEYS = RedisKeys("news")
ENV = {**os.environ, "PYTHONWARNINGS": "ignore"}


@pytest.fixture
def client(redis_client):
    """The Redis client of conftest's fresh redis-server (a shorter name here)."""
    return redis_client


@pytest.fixture(scope="module")
def single_process(tmp_path_factory, demo_sites):
    """The reference: one local crawl of the same sites into SQLite."""
    folder = tmp_path_factory.mktemp("single")
    sources = demo_sites.write_sources(folder / "sources.yml")
    artists = demo_sites.write_artists(folder / "artists.yml")
    return scrapy_crawl(db=folder / "archive.db", sources=sources, artists=artists).db


@pytest.fixture(autouse=True)
def no_leftover_workers():
    """A failed test must not leave crawl processes behind."""
    yield
    for worker in Worker.started:
        if worker.process.poll() is None:
            worker.kill()
    Worker.started.clear()


class Worker:
    """One `scrapy crawl news` process in Redis mode, in its own process group."""

    started: list[Worker] = []

    def __init__(self, name, redis_url, folder, config, *, spider_args=None, settings=None):
        sources, artists = config
        merged = {
            **FAST,
            "NEWSCRAWL_REDIS_URL": redis_url,
            "NEWSCRAWL_SOURCES": str(sources),
            "NEWSCRAWL_ARTISTS": str(artists),
            "NEWSCRAWL_EXTRACT_WORKERS": "1",
            "NEWSCRAWL_WARC_DIR": str(folder / f"warc-{name}"),
            # Workers never need the archive: if one opened it, this file would appear.
            "NEWSCRAWL_DB": str(folder / "no-such-folder" / "worker.db"),
            "NEWSCRAWL_PROGRESS_INTERVAL": "0",
            **(settings or {}),
        }
        command = [sys.executable, "-m", "scrapy", "crawl", "news"]
        for key, value in (spider_args or {}).items():
            command += ["-a", f"{key}={value}"]
        for key, value in merged.items():
            command += ["-s", f"{key}={value}"]
        self.log = folder / f"{name}.log"
        with open(self.log, "wb") as log:
            self.process = subprocess.Popen(
                command,
                cwd=ROOT,
                stdout=log,
                stderr=subprocess.STDOUT,
                env=ENV,
                start_new_session=True,
            )
        Worker.started.append(self)

    @property
    def output(self) -> str:
        return self.log.read_text(errors="replace")

    def wait(self, timeout: float = 120) -> None:
        returncode = self.process.wait(timeout=timeout)
        assert returncode == 0, self.output[-4000:]
        assert "Traceback" not in self.output, self.output[-6000:]

    def kill(self) -> None:
        """SIGKILL the crawl and its extraction processes: no cleanup of any kind."""
        os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait(timeout=30)


def paced(config, folder, *, delay: float, concurrency: int):
    """The demo config with a per-publisher download delay and concurrency."""
    sources, artists = config
    text = sources.read_text()
    paced_text = text.replace("download_delay: 0\n", f"download_delay: {delay}\n").replace(
        "concurrency: 8\n", f"concurrency: {concurrency}\n"
    )
    assert paced_text != text
    path = folder / "paced-sources.yml"
    path.write_text(paced_text)
    return path, artists


def ingest(redis_url, db, *args, faults="", timeout=120):
    """Run `newscrawl ingest` to its end; returns the finished process."""
    command = [sys.executable, "-m", "newscrawl", "ingest", "--redis", redis_url, "--db", str(db)]
    env = {**ENV, "NEWSCRAWL_INGEST_FAULTS": faults}
    return subprocess.run(
        [*command, *args], cwd=ROOT, capture_output=True, text=True, timeout=timeout, env=env
    )


def rows(db, sql, params=()):
    conn = sqlite3.connect(db)
    conn.row_factory = sqlite3.Row
    try:
        return [dict(r) for r in conn.execute(sql, params)]
    finally:
        conn.close()


def wait_for(condition, timeout=60.0, what="condition"):
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.05)


def assert_matches_catalogue(db, demo_sites, catalog):
    """The checks of tests/test_crawl_demo.py: every watched article once, with its
    artists; every other listed URL in the ledger for the catalogued reason."""
    base = demo_sites.base_urls
    expected = {
        a.canonical_url(base): set(a.artists)
        for a in catalog.articles
        if a.archivable and a.artists and a.syndicated_from is None
    }
    articles = rows(db, "select canonical_url, url, artists from articles")
    got = {r["canonical_url"]: set(json.loads(r["artists"])) for r in articles}
    assert len(articles) == len(got) == 46
    assert got == expected
    drops = {r["url"]: r for r in rows(db, "select * from drops")}
    reasons: dict[str, int] = {}
    for row in drops.values():
        reasons[row["reason"]] = reasons.get(row["reason"], 0) + 1
    assert reasons == {
        "no_artist": 34,
        "robots": 3,
        "http_status": 2,
        "duplicate": 1,
        "off_pattern": reasons.get("off_pattern", 0),
    }
    no_artist = {a.url(base) for a in catalog.articles if a.archivable and not a.artists}
    assert {u for u, r in drops.items() if r["reason"] == "no_artist"} == no_artist
    copies = {a.url(base) for a in catalog.articles if a.syndicated_from and a.archivable}
    assert {u for u, r in drops.items() if r["reason"] == "duplicate"} == copies
    listed = {a.url(base) for a in catalog.articles if a.channels}
    assert listed <= {r["url"] for r in articles} | set(drops)


def assert_same_archive(db, reference):
    """Same articles (content, artists, mentions) and the same ledger as ``reference``."""
    article_sql = (
        "select canonical_url, url, source_id, title, published_at, content_hash, artists,"
        " revision_count from articles order by canonical_url"
    )
    assert rows(db, article_sql) == rows(reference, article_sql)
    mention_sql = (
        "select a.canonical_url, m.artist_id, m.count, m.salience from mentions m"
        " join articles a on a.id = m.article_id order by 1, 2"
    )
    assert rows(db, mention_sql) == rows(reference, mention_sql)
    drop_sql = "select url, stage, reason, status from drops order by url"
    assert rows(db, drop_sql) == rows(reference, drop_sql)
    assert rows(db, "select count(*) n from revisions") == rows(
        reference, "select count(*) n from revisions"
    )


def assert_redis_drained(client):
    assert client.llen(KEYS.items) == 0
    assert client.llen(KEYS.processing) == 0
    assert not list(client.scan_iter(match=KEYS.inflight_pattern))
    assert not list(client.scan_iter(match=KEYS.workers_pattern))
    assert not list(client.scan_iter(match="news:requests*"))


def inflight_of(client, worker: Worker) -> int:
    for key in client.scan_iter(match=KEYS.inflight_pattern):
        if f"-{worker.process.pid}-" in key.decode():
            return client.hlen(key) - 1  # minus the ~queue field
    return 0


# -- messages ---------------------------------------------------------------------------


def test_an_article_survives_the_queue_unchanged():
    from newscrawl.items import Article, Mention

    article = Article(
        url="https://pop.example/2026/01/a/",
        canonical_url="https://pop.example/2026/01/a/",
        source_id="pop",
        title="Britney Spears “returns”",
        authors=["Kayla Brennan"],
        tags=["music"],
        body="Britney Spears is back.\n\nMore text.",
        word_count=7,
        is_paywalled=None,
        content_hash="abc",
        provenance={"title": "jsonld", "date_conflicts": [["a", "b"]]},
        discovery={"channels": ["rss"], "title": "x"},
        warc_file="newscrawl-1-run3-99-00000.warc.gz",
        warc_offset=1234,
        mentions=[Mention("Britney Spears", "britney-spears", 2, True, 0, ["…Spears…"], 0.9)],
    )
    message = decode(
        encode(
            {"v": 1, "type": "article", "run": "1-x", "seq": 2, "article": article_to_dict(article)}
        )
    )
    assert article_from_dict(message["article"]) == article


def test_a_redis_password_stays_out_of_logs_and_the_archive():
    from newscrawl.scale.redis_queue import redacted

    assert redacted("redis://:s3cret@queue.lan:6379/0") == "redis://:***@queue.lan:6379/0"
    assert redacted("redis://crawler:s3cret@queue.lan/1") == "redis://crawler:***@queue.lan/1"
    assert redacted("redis://queue.lan:6379/0") == "redis://queue.lan:6379/0"


@pytest.mark.parametrize(
    "raw",
    [
        b"{not json",
        b"[]",
        b'{"v": 2, "type": "article", "run": "1", "seq": 1}',
        b'{"v": 1, "type": "poem", "run": "1", "seq": 1}',
        b'{"v": 1, "type": "drop"}',
    ],
)
def test_an_unreadable_message_is_refused(raw):
    from newscrawl.scale.messages import MessageError

    with pytest.raises(MessageError):
        decode(raw)


# -- workers and ingester ---------------------------------------------------------------


def test_two_workers_and_one_ingester_archive_every_article_once(
    tmp_path, redis_url, client, demo_sites, demo_catalog, demo_config, single_process
):
    demo_sites.reset_hits()
    # Paced, so that neither worker is done before the other has started.
    config = paced(demo_config, tmp_path, delay=0.05, concurrency=2)
    workers = [Worker(name, redis_url, tmp_path, config) for name in ("w1", "w2")]
    # Both workers have started their runs before the ingester counts idle time.
    wait_for(lambda: int(client.get(KEYS.runs) or 0) == 2, what="two worker runs")
    db = tmp_path / "archive.db"
    result = ingest(redis_url, db, "--idle-exit", "3")
    assert result.returncode == 0, result.stderr[-3000:]
    for worker in workers:
        worker.wait()

    assert_matches_catalogue(db, demo_sites, demo_catalog)
    assert_same_archive(db, single_process)
    # One shared "seen" set: each article page fetched once, by one of the two workers.
    for row in rows(db, "select source_id, url from articles"):
        parts = urlsplit(row["url"])
        path = parts.path + (f"?{parts.query}" if parts.query else "")
        assert demo_sites.hits[row["source_id"]][path] == 1, row["url"]
    runs = rows(db, "select * from crawl_runs order by id")
    assert [r["finish_reason"] for r in runs] == ["finished", "finished"]
    assert all(r["pages_fetched"] > 0 for r in runs), "both workers fetched articles"
    assert sum(r["articles_new"] for r in runs) == 46
    assert {r["pid"] for r in runs} == {w.process.pid for w in workers}
    for run in runs:
        recorded = json.loads(run["settings"])
        assert recorded["NEWSCRAWL_REDIS_URL"] == redis_url and recorded["redis_run"]
        assert "NEWSCRAWL_DB" not in recorded  # a worker has no archive
    warc_files = {p.name for p in tmp_path.glob("warc-w*/*.warc.gz")}
    for row in rows(db, "select * from articles"):
        assert evidence(row).get("channels"), row["url"]  # discovery travels with requests
        assert row["warc_file"] in warc_files
    assert not (tmp_path / "no-such-folder").exists()
    assert_redis_drained(client)


def test_partitions_with_their_own_queues_keep_each_publisher_on_its_node(
    tmp_path, redis_url, client, demo_sites, demo_catalog, demo_config
):
    """Nodes crawling disjoint sources with their own request queue (SCHEDULER_QUEUE_KEY)
    share the "seen" set and the item queue: one ingester archives everything, and each
    publisher is fetched only by its node (so its politeness settings hold)."""
    partitions = {
        "eu": ("popwire,stagescreen", "news:requests:eu"),
        "us": ("dailygossip,showbizbulletin", "news:requests:us"),
    }
    workers = [
        Worker(
            name,
            redis_url,
            tmp_path,
            demo_config,
            spider_args={"sources": sources},
            settings={"SCHEDULER_QUEUE_KEY": queue},
        )
        for name, (sources, queue) in partitions.items()
    ]
    wait_for(lambda: int(client.get(KEYS.runs) or 0) == 2, what="two worker runs")
    db = tmp_path / "archive.db"
    result = ingest(redis_url, db, "--idle-exit", "2")
    assert result.returncode == 0, result.stderr[-3000:]
    for worker in workers:
        worker.wait()
    assert_matches_catalogue(db, demo_sites, demo_catalog)
    ports = {
        name: {urlsplit(demo_sites.base_urls[s]).port for s in sources.split(",")}
        for name, (sources, _) in partitions.items()
    }
    for name in partitions:
        fetched = set()
        for warc in (tmp_path / f"warc-{name}").glob("*.warc.gz"):
            with gzip.open(warc, "rb") as records:
                for line in records:
                    if line.startswith(b"WARC-Target-URI:"):
                        fetched.add(urlsplit(line.split(b":", 1)[1].strip().decode()).port)
        assert fetched and fetched <= ports[name], (name, fetched)
    assert_redis_drained(client)


def test_robots_txt_holds_for_every_request_waiting_for_it(
    tmp_path, redis_url, client, demo_sites, demo_config
):
    """Several requests to a host whose robots.txt is still downloading (what a worker
    gets from the shared queue) are all checked against it."""
    demo_sites.reset_hits()
    premium = [demo_sites.url(a) for a in demo_sites.catalog.articles if a.robots_disallowed]
    assert len(premium) == 3
    Worker("w", redis_url, tmp_path, demo_config, spider_args={"urls": ",".join(premium)}).wait()
    db = tmp_path / "archive.db"
    assert ingest(redis_url, db, "--idle-exit", "0").returncode == 0
    assert rows(db, "select count(*) n from articles") == [{"n": 0}]
    drops = rows(db, "select url, reason from drops order by url")
    assert drops == [{"url": url, "reason": "robots"} for url in sorted(premium)]
    for article in demo_sites.catalog.articles:
        if article.robots_disallowed:
            assert demo_sites.hits[article.source_id][article.path] == 0


def test_a_second_run_fetches_only_discovery_pages(
    tmp_path, redis_url, client, demo_sites, demo_config
):
    """The persisted "seen" set is the workers' incremental memory: a second run reads
    sitemaps, feeds and listings again but fetches no article page."""
    Worker("first", redis_url, tmp_path, demo_config).wait()
    seen = client.scard("news:dupefilter")
    assert seen >= 80
    demo_sites.reset_hits()
    Worker("second", redis_url, tmp_path, demo_config).wait()
    assert client.scard("news:dupefilter") == seen
    articles = {(a.source_id, a.path) for a in demo_sites.catalog.articles if a.channels}
    fetched = {(s, p) for s, counter in demo_sites.hits.items() for p in counter}
    assert fetched and not (fetched & articles)
    db = tmp_path / "archive.db"
    assert ingest(redis_url, db, "--idle-exit", "0.5").returncode == 0
    runs = rows(db, "select requested, pages_fetched, articles_new from crawl_runs order by id")
    assert runs[0]["articles_new"] == 46
    assert runs[1]["pages_fetched"] == 0 and runs[1]["articles_new"] == 0


def test_a_request_the_shared_set_refuses_is_skipped_not_requested(
    tmp_path, redis_url, client, demo_config
):
    """Two workers may both find a URL new (seen() says no) and both request it; the
    shared set lets one through. The other's request was counted as requested and spent
    budget, and leaves no row: it must count as skipped instead. Without the seen()
    check (NEWSCRAWL_INCREMENTAL=0) every article request of a second run meets the
    set exactly so."""
    Worker("first", redis_url, tmp_path, demo_config).wait()
    Worker(
        "again", redis_url, tmp_path, demo_config, settings={"NEWSCRAWL_INCREMENTAL": "0"}
    ).wait()
    db = tmp_path / "archive.db"
    assert ingest(redis_url, db, "--idle-exit", "0.5").returncode == 0
    first, again = rows(
        db,
        "select discovered, requested, pages_fetched, pages_skipped, dropped"
        " from crawl_runs order by id",
    )
    assert first["requested"] > 0 and first["pages_skipped"] == 0
    # Each article URL the second run found is skipped once (a dated channel listing it
    # again retries it), its requests refused by the set before any fetch.
    assert again["requested"] == again["pages_fetched"] == 0
    assert again["pages_skipped"] == again["discovered"] > 0


def test_a_killed_worker_is_restarted_and_the_set_completes(
    tmp_path, redis_url, client, demo_sites, demo_catalog, demo_config, single_process
):
    # Partitioned like two nodes (-a sources=...), slowed so the kill lands mid-crawl,
    # and short leases so the killed worker's requests come back quickly.
    demo_config = paced(demo_config, tmp_path, delay=0.15, concurrency=1)
    slow = {"NEWSCRAWL_REDIS_WORKER_TTL": "3"}
    first_half = {"sources": "popwire,stagescreen"}
    other_half = {"sources": "dailygossip,showbizbulletin"}
    victim = Worker(
        "victim", redis_url, tmp_path, demo_config, spider_args=first_half, settings=slow
    )
    other = Worker("other", redis_url, tmp_path, demo_config, spider_args=other_half, settings=slow)
    wait_for(
        lambda: client.llen(KEYS.items) >= 15 and inflight_of(client, victim) >= 2,
        what="items queued and requests in flight",
    )
    victim.kill()
    # Counted after the kill (the worker may finish a request between a count and the
    # kill): its in-flight hash stays in Redis until its lease lapses, after 3 s.
    lost_in_flight = inflight_of(client, victim)
    # Its in-flight requests are in no queue now; its lease lapses after 3 s.
    restarted = Worker(
        "restarted", redis_url, tmp_path, demo_config, spider_args=first_half, settings=slow
    )
    other.wait()
    restarted.wait()
    db = tmp_path / "archive.db"
    result = ingest(redis_url, db, "--idle-exit", "1")
    assert result.returncode == 0, result.stderr[-3000:]

    assert_matches_catalogue(db, demo_sites, demo_catalog)
    assert_same_archive(db, single_process)
    runs = rows(db, "select pid, finish_reason, stats from crawl_runs order by id")
    by_pid = {r["pid"]: r for r in runs}
    assert set(by_pid) == {w.process.pid for w in (victim, other, restarted)}
    assert by_pid[other.process.pid]["finish_reason"] == "finished"
    assert by_pid[restarted.process.pid]["finish_reason"] == "finished"
    assert by_pid[victim.process.pid]["finish_reason"] is None  # killed: never finished
    recovered = sum(
        json.loads(r["stats"] or "{}").get("newscrawl/frontier/recovered", 0) for r in runs
    )
    assert recovered >= lost_in_flight >= 2
    assert "stopped without finishing" in other.output + restarted.output
    assert_redis_drained(client)


def test_a_killed_ingester_loses_nothing_and_doubles_nothing(
    tmp_path, redis_url, client, demo_sites, demo_catalog, demo_config, single_process
):
    Worker("w", redis_url, tmp_path, demo_config).wait()
    messages = client.lrange(KEYS.items, 0, -1)
    assert len(messages) > 80
    # The reference: the same messages under another prefix, ingested without faults.
    client.rpush("ref:items", *messages)
    reference = tmp_path / "reference.db"
    assert ingest(redis_url, reference, "--prefix", "ref", "--idle-exit", "0").returncode == 0

    db = tmp_path / "archive.db"
    # 1. SIGKILL inside the 3rd batch's transaction: that batch is not committed.
    crashed = ingest(redis_url, db, "--batch", "7", faults="crash-in-batch=3")
    assert crashed.returncode == -signal.SIGKILL
    assert client.llen(KEYS.processing) == 7
    assert rows(db, "select max(last_seq) n from ingest_runs")[0]["n"] == 14
    # 2. SIGKILL after the 2nd batch committed, before its messages left Redis.
    crashed = ingest(redis_url, db, "--batch", "7", faults="crash-after-commit=2")
    assert crashed.returncode == -signal.SIGKILL
    assert client.llen(KEYS.processing) == 7
    assert rows(db, "select max(last_seq) n from ingest_runs")[0]["n"] == 28
    # 3. SIGTERM: the current batch is finished and acknowledged, then it stops.
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "newscrawl",
            "ingest",
            "--redis",
            redis_url,
            "--db",
            str(db),
            "--batch",
            "3",
        ],
        cwd=ROOT,
        env={**ENV, "NEWSCRAWL_INGEST_FAULTS": "delay=0.05"},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    # Its lock is taken once its signal handlers are in place; then let it work a bit.
    wait_for(
        lambda: str(process.pid).encode() in (client.get(KEYS.ingester) or b""),
        what="the ingester's lock",
    )
    time.sleep(0.3)
    process.send_signal(signal.SIGTERM)
    _, stderr = process.communicate(timeout=30)
    assert process.returncode == 0, stderr
    assert client.llen(KEYS.processing) == 0
    assert client.llen(KEYS.items) > 0  # what it had not taken is still queued
    # 4. SIGKILL from outside at whatever moment, twice, while it works slowly.
    for pause in (0.9, 1.3):
        process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "newscrawl",
                "ingest",
                "--redis",
                redis_url,
                "--db",
                str(db),
                "--batch",
                "5",
            ],
            cwd=ROOT,
            env={**ENV, "NEWSCRAWL_INGEST_FAULTS": "delay=0.01"},
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        time.sleep(pause)
        process.kill()
        assert process.wait(timeout=30) == -signal.SIGKILL
    # 5. A clean run finishes the queue.
    final = ingest(redis_url, db, "--idle-exit", "0")
    assert final.returncode == 0, final.stderr[-3000:]

    assert_matches_catalogue(db, demo_sites, demo_catalog)
    assert_same_archive(db, reference)
    assert_same_archive(db, single_process)
    run_sql = (
        "select spider, finish_reason, discovered, requested, pages_fetched, articles_new,"
        " articles_updated, articles_unchanged, dropped from crawl_runs"
    )
    assert rows(db, run_sql) == rows(reference, run_sql)
    assert rows(db, "select * from run_sources") == rows(reference, "select * from run_sources")
    assert rows(db, "select last_seq from ingest_runs") == [{"last_seq": len(messages)}]
    assert_redis_drained(client)


def test_one_ingester_per_queue_and_unreadable_messages_are_set_aside(tmp_path, redis_url, client):
    client.set(KEYS.ingester, json.dumps({"host": "elsewhere", "pid": 1}), px=60_000)
    result = ingest(redis_url, tmp_path / "a.db", "--idle-exit", "0", timeout=60)
    assert result.returncode == 1
    assert "another ingester is draining news:items" in result.stderr
    assert "Traceback" not in result.stderr
    client.delete(KEYS.ingester)
    client.rpush(KEYS.items, b"{broken")
    result = ingest(redis_url, tmp_path / "a.db", "--idle-exit", "0")
    assert result.returncode == 0, result.stderr
    assert client.lrange(KEYS.dead, 0, -1) == [b"{broken"]
    assert client.llen(KEYS.items) == client.llen(KEYS.processing) == 0


def test_a_worker_without_redis_is_a_one_line_error(tmp_path, demo_config):
    worker = Worker("w", "redis://127.0.0.1:1/0", tmp_path, demo_config)
    assert worker.process.wait(timeout=120) == 1
    assert "Error: cannot reach Redis at redis://127.0.0.1:1/0" in worker.output
    assert "Traceback" not in worker.output


def test_ingest_errors_are_one_line(tmp_path, redis_url):
    result = ingest("redis://127.0.0.1:1/0", tmp_path / "a.db", "--idle-exit", "0")
    assert result.returncode == 1
    # The error alone: "Ingesting news:items into ..." came first, as if it had started.
    (line,) = result.stderr.strip().splitlines()
    assert line.startswith("Error: cannot reach Redis at redis://127.0.0.1:1/0"), line
    result = ingest(redis_url, tmp_path / "missing" / "a.db", "--idle-exit", "0")
    assert result.returncode == 1 and "does not exist" in result.stderr
    # A ladder without --refresh-every was accepted and ignored.
    result = ingest(redis_url, tmp_path / "a.db", "--idle-exit", "0", "--refresh-ages", "1x")
    (line,) = result.stderr.strip().splitlines()
    assert line == "Error: --refresh-ages applies only with --refresh-every SECONDS", line
    result = ingest(redis_url, tmp_path / "a.db", "--refresh-every", "60", "--refresh-ages", "1x")
    (line,) = result.stderr.strip().splitlines()
    assert line.startswith("Error: ") and "--refresh-ages" in line and "1x" in line, line
    assert not (tmp_path / "a.db").exists()


def test_limited_runs_in_redis_mode_end_like_a_local_crawl(
    tmp_path, redis_url, client, demo_sites, demo_config, single_process
):
    """Workers cannot see the archive. A run limited to one artist must not keep the
    pages it left out from the next runs (they leave the "seen" set), a since-limited
    run must not turn archived articles or earlier drops into before_since drops, and
    -a urls fetches its pages even though the "seen" set has them."""
    db = tmp_path / "archive.db"
    Worker(
        "one-artist", redis_url, tmp_path, demo_config, spider_args={"artists": "Taylor Swift"}
    ).wait()
    assert ingest(redis_url, db, "--idle-exit", "0.5").returncode == 0
    reasons = {r["reason"] for r in rows(db, "select reason from drops")}
    assert "not_selected" in reasons
    Worker("full", redis_url, tmp_path, demo_config).wait()
    assert ingest(redis_url, db, "--idle-exit", "0.5").returncode == 0
    assert_same_archive(db, single_process)

    Worker("since", redis_url, tmp_path, demo_config, spider_args={"since": "2026-06-01"}).wait()
    assert ingest(redis_url, db, "--idle-exit", "0.5").returncode == 0
    assert_same_archive(db, single_process)
    since_run = rows(db, "select requested, pages_skipped from crawl_runs order by id desc limit 1")
    assert since_run[0]["requested"] == 0 and since_run[0]["pages_skipped"] > 0

    url = rows(db, "select url from articles order by id limit 1")[0]["url"]
    demo_sites.reset_hits()
    Worker("urls", redis_url, tmp_path, demo_config, spider_args={"urls": url}).wait()
    assert ingest(redis_url, db, "--idle-exit", "0.5").returncode == 0
    path = urlsplit(url).path
    assert sum(counter.get(path, 0) for counter in demo_sites.hits.values()) == 1
    last = rows(
        db, "select pages_fetched, articles_unchanged from crawl_runs order by id desc limit 1"
    )
    assert last == [{"pages_fetched": 1, "articles_unchanged": 1}]
    assert_redis_drained(client)


def test_a_message_that_cannot_be_applied_is_set_aside_and_the_rest_applied(
    tmp_path, redis_url, client
):
    good = [
        {"v": 1, "type": "run_start", "run": "r1", "seq": 1, "spider": "news", "sources": []},
        {
            "v": 1,
            "type": "drop",
            "run": "r1",
            "seq": 3,
            "drop": {"url": "https://a.example/x", "stage": "fetch", "reason": "robots"},
        },
    ]
    bad = {"v": 1, "type": "drop", "run": "r1", "seq": 2, "drop": {}}  # no url, stage, reason
    client.rpush(KEYS.items, encode(good[0]), encode(bad), encode(good[1]))
    db = tmp_path / "a.db"
    result = ingest(redis_url, db, "--idle-exit", "0")
    assert result.returncode == 0, result.stderr
    assert "Traceback" not in result.stderr and "cannot apply it" in result.stderr
    assert [decode(m)["seq"] for m in client.lrange(KEYS.dead, 0, -1)] == [2]
    assert rows(db, "select url, reason from drops") == [
        {"url": "https://a.example/x", "reason": "robots"}
    ]
    assert client.llen(KEYS.items) == client.llen(KEYS.processing) == 0


def test_workers_given_one_jobdir_all_run_it_is_ignored_in_redis_mode(
    tmp_path, redis_url, client, demo_sites, demo_catalog, demo_config
):
    # The frontier lives in Redis, so a JOBDIR is ignored there (a warning says so). The
    # JOBDIR lock still ran in Redis mode: a second worker started on the same machine
    # with the same command line stopped with "JOBDIR in use by a crawl still running".
    config = paced(demo_config, tmp_path, delay=0.05, concurrency=2)
    jobdir = {"JOBDIR": str(tmp_path / "job")}
    first = Worker("w1", redis_url, tmp_path, config, settings=jobdir)
    wait_for(lambda: int(client.get(KEYS.runs) or 0) == 1, what="the first worker's run")
    second = Worker("w2", redis_url, tmp_path, config, settings=jobdir)
    wait_for(lambda: int(client.get(KEYS.runs) or 0) == 2 or second.process.poll() is not None)
    assert first.process.poll() is None, "the first worker was still crawling"
    db = tmp_path / "archive.db"
    assert ingest(redis_url, db, "--idle-exit", "3").returncode == 0
    for worker in (first, second):
        worker.wait()
        assert "JOBDIR is ignored in Redis mode" in worker.output
    assert_matches_catalogue(db, demo_sites, demo_catalog)


def test_a_jobdir_keeps_no_spider_state_between_worker_runs(
    tmp_path, redis_url, client, demo_config
):
    # Scrapy saved the spider's state in JOBDIR/spider.state and the next worker run
    # with that JOBDIR restored it: the per-source max_pages budgets the last run spent,
    # so it fetched nothing (every new URL a discover / budget drop).
    sources, artists = demo_config
    budgeted = tmp_path / "budgeted-sources.yml"
    text = sources.read_text()
    budgeted.write_text(text.replace("max_pages: 1000\n", "max_pages: 3\n"))
    assert budgeted.read_text() != text
    config = (budgeted, artists)
    jobdir = {"JOBDIR": str(tmp_path / "job")}
    Worker("first", redis_url, tmp_path, config, settings=jobdir).wait()
    Worker("second", redis_url, tmp_path, config, settings=jobdir).wait()
    db = tmp_path / "archive.db"
    assert ingest(redis_url, db, "--idle-exit", "0.5").returncode == 0
    runs = rows(db, "select articles_new, pages_fetched from crawl_runs order by id")
    assert len(runs) == 2 and runs[0]["articles_new"] > 0
    assert runs[1]["pages_fetched"] > 0, runs
    assert not (tmp_path / "job" / "spider.state").exists()
