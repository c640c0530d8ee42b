"""Sorted table pages list every row once: the first page breaks ties by primary key too.

Datasette 0.65 orders a table page sorted by a column (``?_sort=``, ``?_sort_desc=``,
or a ``sort``/``sort_desc`` in metadata.yml) by that column alone on its first page, but
every later page (``?_next=``) by the column and then the primary key, continuing after
the previous page's last row in that order. Rows that share a value come out of SQLite
in whatever order its plan gives; read backwards through an index (a descending sort on
``source_id`` or ``published_month``), highest id first. A tie group cut by the end of
the first page then lost its rows below the cursor: ``/archive/articles?_sort_desc=
source_id`` skipped articles from page 2 on and listed one twice, and the CSV export of
a sorted table (``.csv?_stream=1``, which pages the same way) left rows out.

This plugin appends the primary key to the first page's ORDER BY, the order Datasette's
cursor already assumes. It rewrites only the table view's main query, recognised by its
shape (``... order by <the page's sort column>[ desc] limit N``, run with
``truncate=True``) during a request for that table's page, by wrapping
``Database.execute``: Datasette 0.65 has no hook for the ORDER BY. Queries of ``?sql=``
and canned queries are never touched.

Self-contained (standard library and Datasette only) so that ``datasette publish ...
--plugins-dir archive/plugins`` works without installing newscrawl.
"""

import contextvars
import re
import urllib.parse

from datasette import hookimpl
from datasette.database import Database
from datasette.utils import escape_sqlite, tilde_decode

_TABLE_PATH = re.compile(r"^/(?P<database>[^/]+)/(?P<table>[^/]+?)(?:\.(?:json|csv))?$")


def sorted_page(datasette, path, query_string):
    """``(database, table, column, descending)`` when ``path`` is a table page sorted by a
    column (by the URL, else by the table's metadata), else None."""
    base = (datasette.setting("base_url") or "/").rstrip("/")
    if base and path.startswith(base):
        path = path[len(base) :]
    match = _TABLE_PATH.match(path)
    if not match or path.startswith("/-/"):
        return None
    route, table = tilde_decode(match["database"]), tilde_decode(match["table"])
    names = [name for name, db in datasette.databases.items() if db.route == route]
    if not names:
        return None
    database = names[0]
    args = urllib.parse.parse_qs(query_string, keep_blank_values=True)
    sort = args.get("_sort", [None])[0]
    sort_desc = args.get("_sort_desc", [None])[0]
    if not sort and not sort_desc:
        metadata = datasette.table_metadata(database, table)
        sort, sort_desc = metadata.get("sort"), metadata.get("sort_desc")
    if bool(sort) == bool(sort_desc):
        return None  # unsorted, or both (Datasette answers with an error)
    return database, table, sort or sort_desc, bool(sort_desc)


def tiebreak_at(sql, table, column, descending):
    """Where the primary key goes in ``sql`` when it is the table view's first-page query
    for ``table`` sorted by ``column`` (just before `` limit N``), else None."""
    if not sql.startswith("select ") or f" from {escape_sqlite(table)} " not in sql:
        return None
    order = f"order by {escape_sqlite(column)}{' desc' if descending else ''}"
    match = re.search(rf" {re.escape(order)}( limit \d+)$", sql)
    # No match on later pages: Datasette already ordered them by the primary key.
    return match.start(1) if match else None


def _install():
    """Wrap ``Database.execute`` once per process and return the context variable that
    holds ``(database, table, column, descending)`` of the sorted table page being served.

    Datasette executes this file again for every ``Datasette`` it builds (and keeps the
    first module registered), and other plugins wrap the same method: the variable, and
    the mark that the wrapper is in place, are kept on the class, not in this module or
    on the method another wrapper may hide."""
    installed = getattr(Database, "_newscrawl_sorted_page", None)
    if installed is not None:
        return installed
    sorted_page_var = contextvars.ContextVar("newscrawl_sorted_page", default=None)
    original = Database.execute

    async def execute(self, sql, params=None, truncate=False, *args, **kwargs):
        page = sorted_page_var.get()
        if page is not None and truncate and page[0] == self.name:
            _, table, column, descending = page
            at = tiebreak_at(sql, table, column, descending)
            if at is not None:
                pks = await _primary_keys(self, table)
                if pks and pks != [column]:  # a compound key's first column ties too
                    sql = f"{sql[:at]}, {', '.join(escape_sqlite(pk) for pk in pks)}{sql[at:]}"
        return await original(self, sql, params, truncate, *args, **kwargs)

    Database.execute = execute
    Database._newscrawl_sorted_page = sorted_page_var
    return sorted_page_var


async def _primary_keys(db, table):
    """The columns Datasette's cursor orders ``table`` by: its primary key, else rowid;
    [] for a view (paged by offset). Cached per database: a key does not change."""
    cache = db.__dict__.setdefault("_newscrawl_primary_keys", {})
    if table not in cache:
        if not await db.table_exists(table):
            return []
        cache[table] = await db.primary_keys(table) or ["rowid"]
    return cache[table]


_SORTED_PAGE = _install()


@hookimpl
def asgi_wrapper(datasette):
    def wrap(app):
        async def note_sorted_page(scope, receive, send):
            page = None
            if scope.get("type") == "http":
                query = (scope.get("query_string") or b"").decode("latin-1")
                page = sorted_page(datasette, scope.get("path", ""), query)
            if page is None:
                await app(scope, receive, send)
                return
            token = _SORTED_PAGE.set(page)
            try:
                await app(scope, receive, send)
            finally:
                _SORTED_PAGE.reset(token)

        return note_sorted_page

    return wrap
