"""Introspection pages that do not show the operator's filesystem.

A published archive should tell a visitor what it holds, not where its operator keeps
it. Datasette 0.65 showed the archive's absolute path (``/home/me/crawls/archive.db``)
in three places, and this module closes each:

* ``/-/databases`` and ``/-/databases.json``: the ``path`` of each database is its file
  name only (``archive.db``); every other field is Datasette's.
* ``/-/threads`` and ``/-/threads.json``: the threads are listed as before, but not the
  asyncio tasks, whose descriptions name the source files of the running code (the
  Python installation, the virtualenv and the plugins folder); their number stays.
* SQL: ``select file from pragma_database_list()`` answers an empty ``file`` (SQLite's
  authorizer ignores that one column). Datasette's own ``PRAGMA database_list``, which
  lists attached databases on the database page, is a statement users cannot send and
  is left alone.

The settings, metadata, plugins and versions pages show no path and are unchanged.

Self-contained (standard library and Datasette only) so that ``datasette publish ...
--plugins-dir archive/plugins`` works without installing newscrawl.
"""

from __future__ import annotations

import sqlite3
from pathlib import PurePath

from datasette import hookimpl
from datasette.views.special import JsonDataView

# SQLite reads the table-valued form's columns like a table's (SQLITE_READ), so the one
# column that holds a path can be blanked without refusing the query.
HIDDEN_COLUMNS = {("pragma_database_list", "file")}


def databases_without_paths(datasette):
    databases = datasette._connected_databases()
    for database in databases:
        if database.get("path"):
            database["path"] = PurePath(database["path"]).name
    return databases


def threads_without_tasks(datasette):
    threads = datasette._threads()
    threads.pop("tasks", None)
    return threads


@hookimpl
def register_routes(datasette):
    # Plugin routes are matched before Datasette's own, so these replace its pages.
    return [
        (
            r"^/-/databases(\.(?P<format>json))?$",
            JsonDataView.as_view(
                datasette, "databases.json", lambda: databases_without_paths(datasette)
            ),
        ),
        (
            r"^/-/threads(\.(?P<format>json))?$",
            JsonDataView.as_view(
                datasette, "threads.json", lambda: threads_without_tasks(datasette)
            ),
        ),
    ]


def hide_paths(action, table, column, _database, _trigger):
    if action == sqlite3.SQLITE_READ and (table, column) in HIDDEN_COLUMNS:
        return sqlite3.SQLITE_IGNORE
    return sqlite3.SQLITE_OK


@hookimpl
def prepare_connection(conn):
    conn.set_authorizer(hide_paths)
