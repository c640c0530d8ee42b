"""Two writers on one archive: processes opening a new archive at once, a write while
another connection holds the write lock, two ``scrapy crawl`` runs started together
(a cron overlap, two Scrapyd jobs)."""

from __future__ import annotations

import multiprocessing
import sqlite3

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
