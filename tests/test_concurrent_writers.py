"""Two writers on one archive: processes opening a new archive at once, a write while
another connection holds the write lock, two ``scrapy crawl`` runs started together
(a cron overlap, two Scrapyd jobs)."""

from __future__ import annotations

import multiprocessing
import sqlite3
import threading
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor

from crawling import scrapy_crawl
from test_crawl_demo import expected_archive
from test_store import Art, Src, article

from newscrawl import schema
from newscrawl.store import Archive


def _open_at_once(path: str, barrier, results) -> None:
    barrier.wait()
    try:
        Archive(path).close()
        results.put("ok")
    except Exception as error:  # reported to the test, which names it
        results.put(f"{type(error).__name__}: {error}")


def test_processes_opening_a_new_archive_at_once_migrate_it_once(tmp_path):
    # Before the fix most rounds failed: "cannot open archive: database is locked" (the
    # switch to WAL) or "table coverage_monthly already exists" (a step run twice).
    ctx = multiprocessing.get_context("fork")
    for round_ in range(4):
        path = tmp_path / f"new{round_}.db"
        barrier, results = ctx.Barrier(3), ctx.Queue()
        procs = [
            ctx.Process(target=_open_at_once, args=(str(path), barrier, results)) for _ in range(3)
        ]
        for proc in procs:
            proc.start()
        for proc in procs:
            proc.join(60)
        assert [results.get(timeout=5) for _ in procs] == ["ok"] * 3
        conn = sqlite3.connect(path)
        names = [r[0] for r in conn.execute("select name from _sqlite_migrations")]
        assert conn.execute("pragma journal_mode").fetchone()[0] == "wal"
        conn.close()
        assert sorted(names) == sorted(m.name for m in schema.migrations._migrations)


def test_a_batch_waits_for_another_writer_instead_of_failing(tmp_path):
    path = tmp_path / "a.db"
    with Archive(path) as store:
        store.sync_sources([Src("a")])
        store.sync_artists([Art("britney-spears", "Britney Spears"), Art("lady-gaga", "Lady Gaga")])
        store.write_batch([article()], run_id=None)
        # Another writer (a second crawl, a `delete` in the sqlite3 shell) holds the
        # write lock and commits while this batch has begun.
        other = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
        other.execute("begin immediate")
        other.execute("update sources set name = 'Renamed' where id = 'a'")
        locked = threading.Event()

        def commit_later():
            locked.set()
            time.sleep(0.5)
            other.execute("commit")

        thread = threading.Thread(target=commit_later)
        thread.start()
        locked.wait()
        started = time.monotonic()
        second = article(
            url="https://a.example/2026/03/tour/",
            canonical_url="https://a.example/2026/03/tour/",
            content_hash="hash-2",
        )
        # Before the fix: sqlite3.OperationalError "database is locked", as soon as the
        # other writer committed (the batch's read had begun a snapshot it could not
        # upgrade), not after the busy timeout.
        outcomes = store.write_batch([second], run_id=None)
        thread.join()
        other.close()
        assert [o.action for o in outcomes] == ["new"]
        assert time.monotonic() - started >= 0.4
        assert store.db.execute("select count(*) from articles").fetchone()[0] == 2
        assert store.db.execute("select name from sources").fetchone()[0] == "Renamed"


def test_two_crawls_started_at_once_both_finish_and_double_nothing(
    tmp_path, demo_config, demo_sites, demo_catalog
):
    # A cron overlap (or two Scrapyd jobs) on one archive. Small batches: many write
    # transactions of the two crawls interleave. Before the fix the second crawl
    # stopped with "cannot write to the archive: database is locked", exit 1.
    sources, artists = demo_config
    db = tmp_path / "news.db"
    settings = {"NEWSCRAWL_BATCH_SIZE": "3", "NEWSCRAWL_EXTRACT_WORKERS": "1"}

    def crawl(n: int):
        return scrapy_crawl(
            db=db,
            sources=sources,
            artists=artists,
            settings={**settings, "NEWSCRAWL_WARC_DIR": str(tmp_path / f"warc{n}")},
            check=False,
        )

    with ThreadPoolExecutor(2) as pool:
        results = list(pool.map(crawl, (1, 2)))
    for result in results:
        assert result.returncode == 0, result.output[-3000:]
        assert "Traceback" not in result.output
        assert "database is locked" not in result.output
    result = results[0]
    runs = result.query("select * from crawl_runs order by id")
    assert [r["finish_reason"] for r in runs] == ["finished", "finished"]
    urls = [r["canonical_url"] for r in result.query("select canonical_url from articles")]
    assert len(urls) == len(set(urls))
    expected = expected_archive(demo_catalog, demo_sites.base_urls)
    assert set(urls) == set(expected)
    assert len(expected) == 46
    # Each article is new in exactly one run (the other found it unchanged, or skipped
    # it as archived). Nothing changed on the sites, so no revision was kept. One row may
    # count as "updated": when one crawl archived the demo's syndicated copy before the
    # other stored the publisher's original, the original replaces the copy (the copy
    # becomes a duplicate drop) in the run that stored it.
    assert sum(r["articles_new"] for r in runs) == len(expected)
    assert result.scalar("select count(*) from revisions") == 0
    copies = [a for a in demo_catalog.articles if a.syndicated_from and a.archivable]
    assert sum(r["articles_updated"] for r in runs) <= len(copies) == 1
    per_run = Counter(r["run_id"] for r in result.query("select run_id from articles"))
    assert sum(per_run.values()) == len(expected)
    assert result.scalar("pragma integrity_check") == "ok"
