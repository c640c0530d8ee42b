"""Table counts that do not read the whole archive each time someone opens it.

Datasette 0.65 counts every table of a database, hidden ones too, each time its index
page (``/``) or the database page (``/archive``) is opened: ``select count(*)`` per
table, with a time limit of 10 or 5 ms meant to give up on a slow count. SQLite counts a
table in a single step of its virtual machine, and Datasette's time limit is a progress
handler that runs between steps, so the limit never cut a count short: the database page
of a 1,000,000-article archive waited for every count in full, FTS5's index blocks
(``articles_fts_data``, 1.9 GB) and the 1.2 million co-mention pairs included, on every
visit (0.5-1.8 s with the file in the page cache, far longer after a restart).

This plugin replaces ``Database.table_counts`` for each file database:

* **Ordinary tables are counted exactly, once per change of the database.** The counts
  are kept with SQLite's ``PRAGMA data_version`` of a connection of this plugin's own,
  which changes when any other connection (a crawl, ``newscrawl ingest``) commits; the
  next visit after a commit counts again. Datasette showed these counts already (the
  limit never stopped them); they now cost one count per change instead of one per visit.
* **FTS5's tables are counted within the time limit.** The search index
  (``articles_fts``) and its shadow tables (``pragma_table_list`` type ``virtual`` and
  ``shadow``) are counted row by row, which the time limit can cut short; a count cut
  short shows as "Many rows", as Datasette shows a count it gave up on. Their rows are
  the index, not rows a researcher reads: the articles table holds the count that matters.

An immutable database (``--immutable``) is counted once, as Datasette does, unless its
counts come from ``datasette inspect`` (``--inspect-file``): those are used as they are.

Self-contained (standard library and Datasette only) so that ``datasette publish ...
--plugins-dir archive/plugins`` works without installing newscrawl.
"""

from __future__ import annotations

import asyncio
import sqlite3
import threading
import time
from urllib.parse import quote

from datasette import hookimpl

# Table types of ``pragma_table_list`` that are counted row by row, within the limit.
LIMITED_TYPES = ("virtual", "shadow")


def _quoted(name):
    return '"' + name.replace('"', '""') + '"'


class TableCounter:
    """The table counts of one database file, kept until the file changes."""

    def __init__(self, path, immutable):
        self.path = path
        self.immutable = immutable
        self.lock = threading.Lock()
        self.conn = None
        self.version = None
        self.exact = {}

    def _connect(self):
        mode = "immutable=1" if self.immutable else "mode=ro"
        uri = f"file:{quote(str(self.path))}?{mode}"
        return sqlite3.connect(uri, uri=True, check_same_thread=False)

    def counts(self, names, limit_ms):
        """``{table: count or None}`` for ``names`` in order (None: cut short)."""
        with self.lock:
            if self.conn is None:
                self.conn = self._connect()
            conn = self.conn
            version = conn.execute("pragma data_version").fetchone()[0]
            if version != self.version:
                self.exact = {}
                self.version = version
            types = dict(
                conn.execute("select name, type from pragma_table_list where schema = 'main'")
            )
            counts = {}
            for name in names:
                if types.get(name) in LIMITED_TYPES:
                    counts[name] = self._count_within(conn, name, limit_ms)
                    continue
                if name not in self.exact:
                    try:
                        sql = f"select count(*) from {_quoted(name)}"
                        self.exact[name] = conn.execute(sql).fetchone()[0]
                    except sqlite3.DatabaseError:
                        self.exact[name] = None
                counts[name] = self.exact[name]
            return counts

    @staticmethod
    def _count_within(conn, name, limit_ms):
        # ``limit -1`` keeps SQLite from turning this back into its one-step count, so
        # the progress handler can stop it between rows.
        deadline = time.monotonic() + limit_ms / 1000
        conn.set_progress_handler(lambda: time.monotonic() > deadline, 100)
        try:
            sql = f"select count(*) from (select 1 from {_quoted(name)} limit -1)"
            return conn.execute(sql).fetchone()[0]
        except sqlite3.DatabaseError:  # interrupted, or a module this SQLite lacks
            return None
        finally:
            conn.set_progress_handler(None, 0)

    def close(self):
        with self.lock:
            if self.conn is not None:
                self.conn.close()
                self.conn = None


def install(database):
    """Give ``database`` (a Datasette ``Database`` of a file) the counts above."""
    counter = TableCounter(database.path, immutable=not database.is_mutable)

    async def table_counts(limit=10):
        # An immutable copy published with `datasette inspect` counts (--inspect-file)
        # has its counts already: Datasette's own answer.
        if not database.is_mutable and database.cached_table_counts is not None:
            return database.cached_table_counts
        names = await database.table_names()
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(None, counter.counts, names, limit)

    database.table_counts = table_counts
    database.newscrawl_table_counter = counter
    return counter


@hookimpl
def startup(datasette):
    for database in datasette.databases.values():
        if database.path and not database.is_memory:
            install(database)
