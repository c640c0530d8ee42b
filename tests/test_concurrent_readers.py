"""Concurrent readers: Datasette serves the archive while a crawl writes it.

A real ``newscrawl serve`` process (mutable, not immutable) answers searches, facets,
canned queries, SQL and the newscrawl pages in a loop from several threads while a real
crawl of the scaled demo (2,000 articles) writes the same file. Over the whole run:
no "database is locked", no 5xx, every answer a 200, and the write-ahead log bounded.
"""

from __future__ import annotations

import threading
import time
from collections import Counter
from dataclasses import dataclass, field

import pytest
from hostile_server import CrawlProcess, ServedArchive, crawl_command, serving

from newscrawl.demo.server import DemoSites
from newscrawl.store import Archive

ARTICLES = 2000
READERS = 3
# SQLite checkpoints at 1,000 pages (4 MiB) and starts the log over once no reader is
# in it: the log peaks near 6 MiB here. One whose readers never let it start over holds
# every write of the crawl: 15 MiB for this crawl (docs/reliability.md).
WAL_BOUND = 10 * 1024 * 1024
QUERIES = (
    "/archive/articles.json?_search=gaga&_shape=objects&_size=20",
    "/archive/articles.json?_facet=source_id&_facet=published_month&_facet_array=artists&_size=5",
    "/archive/articles?_search=tour&_facet=source_id",
    "/archive/search_articles.json?q=tour&_shape=objects",
    "/archive/artist_articles.json?artist=Lady+Gaga&since=&until=&order=date&_shape=objects",
    "/archive/articles_about_both.json?artist_a=Britney+Spears&artist_b=Lady+Gaga&_shape=objects",
    "/archive/monthly_coverage.json?artist=Taylor+Swift&_shape=objects",
    "/archive/publisher_share.json?artist=Rihanna&_shape=objects",
    "/archive.json?sql=select+count(*)+as+n,+max(id)+as+last+from+articles",
    "/archive/drops.json?_facet=reason&_size=5",
    "/archive/mentions.json?_facet=artist_id&_size=5",
    "/-/charts/archive",
)
AFTERWARDS = ("/-/article/archive/1",)  # the article page, once article 1 exists
THINK_SECONDS = 0.05


@dataclass
class ReadLog:
    statuses: Counter = field(default_factory=Counter)
    locked: list = field(default_factory=list)
    failures: list = field(default_factory=list)
    wal_sizes: list = field(default_factory=list)
    requests: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)

    def record(self, path: str, status: int, body: str) -> None:
        with self.lock:
            self.requests += 1
            self.statuses[status] += 1
            if "database is locked" in body or "database table is locked" in body:
                self.locked.append(path)
            if status != 200:
                self.failures.append((path, status, body[:300]))


def read(server: ServedArchive, path: str, log: ReadLog) -> None:
    answer = server.get(path)
    log.record(path, answer.status, answer.text)


@pytest.fixture(scope="module")
def concurrent_run(tmp_path_factory):
    folder = tmp_path_factory.mktemp("concurrent")
    db = folder / "archive.db"
    Archive(db).close()  # `newscrawl serve` wants an archive to exist
    log = ReadLog()
    with DemoSites(port=0, articles=ARTICLES) as sites:
        sources = sites.write_sources(folder / "sources.yml")
        artists = sites.write_artists(folder / "artists.yml")
        with serving(db, log=folder / "serve.log") as server:
            crawl = CrawlProcess(
                crawl_command(db=db, sources=sources, artists=artists), log=folder / "crawl.log"
            ).start()
            done = threading.Event()
            wal = db.with_name("archive.db-wal")

            def reader(offset: int) -> None:
                turn = offset
                while not done.is_set():
                    read(server, QUERIES[turn % len(QUERIES)], log)
                    turn += 1
                    time.sleep(THINK_SECONDS)

            def watch_wal() -> None:
                while not done.is_set():
                    log.wal_sizes.append(wal.stat().st_size if wal.exists() else 0)
                    time.sleep(0.05)

            threads = [threading.Thread(target=reader, args=(i * 3,)) for i in range(READERS)]
            threads.append(threading.Thread(target=watch_wal))
            for thread in threads:
                thread.start()
            code = crawl.wait(timeout=240)
            done.set()
            for thread in threads:
                thread.join(timeout=60)
            for path in QUERIES + AFTERWARDS:  # once more, on the finished archive
                read(server, path, log)
        yield code, crawl, log, server.output, db


def test_the_crawl_finishes_while_read(concurrent_run):
    code, crawl, log, _, db = concurrent_run
    assert code == 0, crawl.output[-3000:]
    assert "Traceback" not in crawl.output
    assert "database is locked" not in crawl.output
    print(f"crawl {crawl.seconds:.1f} s with {log.requests} Datasette requests served meanwhile")
    assert log.requests >= 10 * len(QUERIES)


def test_no_locked_database_and_no_server_errors(concurrent_run):
    _, _, log, server_log, _ = concurrent_run
    assert log.locked == []
    assert log.failures == []
    assert set(log.statuses) == {200}
    assert "database is locked" not in server_log
    assert "Traceback" not in server_log


def test_the_write_ahead_log_stays_bounded(concurrent_run):
    _, _, log, _, db = concurrent_run
    assert log.wal_sizes, "WAL never sampled"
    peak = max(log.wal_sizes)
    print(
        f"WAL peak {peak / 2**20:.1f} MiB over {len(log.wal_sizes)} samples; DB {db.stat().st_size / 2**20:.1f} MiB"
    )
    assert peak < WAL_BOUND
