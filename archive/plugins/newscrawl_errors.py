"""Error pages that say what went wrong.

* **No ``rich`` console traceback.** Datasette 0.65's default ``handle_exception``
  prints every exception, each 404 included, with ``rich`` when that package is
  importable (newscrawl's ``export`` extra brings it: frictionless -> typer -> rich). It
  calls ``print_exception`` outside the ``except`` block, which rich 14+ refuses with a
  ``ValueError``: a mistyped URL such as ``/a/b/c/d`` became a 500 instead of a 404, and
  every 404 wrote a screenful of request locals, headers included, to the server log.
  Every handler runs (Datasette awaits them all and keeps the first response), so
  another hook cannot stand in for it: this module hides ``rich`` from it instead.
* **A CSV of a query that failed is an error, not an empty file.** Datasette 0.65
  answers ``.csv`` of a query whose SQL fails (a canned query given a bad date or an
  unbalanced FTS5 quote, ``?sql=`` with an error) with ``200 OK`` and a body of one empty
  line, which a script saves as a CSV of no rows. A query's CSV always has its header
  line, even with no rows, so that body means an error: it becomes a ``400`` with the
  message, which the same request as ``.json`` gives (asked only then). Without the
  header line (``_header=off``) a failed query's CSV is empty, as is one of no rows:
  an empty body is checked the same way, and stays an empty ``200`` when the query
  answers.
* **A bad date says so plainly.** ``artist_articles`` stops on a bad ``since`` or
  ``until`` through SQLite's JSON path error (newscrawl_search.py explains why), which
  wraps the message in ``JSON path error near '...'``; error pages, their JSON and the
  CSV error above show the message alone.
* **A failed query is one line of the server log.** Datasette 0.65 writes every SQL
  error to stderr with the query's whole text, its parameters and the connection's
  ``repr``: a researcher's bad date on ``artist_articles`` put 6 KB of SQL in the log
  as one line, and each ``?sql=`` typo did the same. Such an error is the researcher's
  and is answered on the page; the log now has a warning of the ``newscrawl.datasette``
  logger with the error and the start of the SQL, once per request (the JSON asked for
  a failed CSV's message is not logged again). Queries whose callers ask Datasette not
  to log their errors (facet suggestions, for one) stay unlogged.

Error pages, statuses and JSON stay Datasette's own otherwise.

Self-contained (Datasette only) so that ``datasette publish ... --plugins-dir
archive/plugins`` works without installing newscrawl.
"""

import contextvars
import json
import logging
import re
import urllib.parse

import datasette.handle_exception
from datasette import hookimpl
from datasette.database import Database
from datasette.utils.sqlite import sqlite3

log = logging.getLogger("newscrawl.datasette")

# The default handler's only use of rich is that console print; without it the handler
# renders the page as it does when rich is not installed.
datasette.handle_exception.rich = None

# What Datasette 0.65 sends as the CSV of a query that failed: an empty header line,
# or nothing at all when asked for no header line (``_header=off``).
FAILED_CSV = b"\r\n"
FAILED_HEADLESS_CSV = b""
# SQLite's words around newscrawl_date_error()'s message: ``JSON path error near '...'``
# (3.40), ``bad JSON path: '...'`` (newer), the quotes as an HTML page escapes them or
# not (the message itself holds no quote: date_error() replaces them).
_WRAPPED_DATE_ERROR = re.compile(
    r"(?:JSON path error near |bad JSON path: )(&#39;|&#x27;|')"
    r"((?:since|until) = [^'&]*? is not a date: give [^'&]*)\1"
)


def unwrapped(text: str) -> str:
    """``text`` with each date message freed of SQLite's JSON path wording."""
    return _WRAPPED_DATE_ERROR.sub(lambda match: match.group(2), text)


# -- failed queries in the log -----------------------------------------------------

# How much of a failed query's SQL the warning shows, whitespace folded: enough to tell
# which query it was (a canned query's first lines, a custom query whole when short).
LOGGED_SQL_CHARS = 200


def failed_query_line(database: str, sql: str, params, error: Exception) -> str:
    """The one log line of a failed query."""
    text = " ".join(str(sql).split())
    if len(text) > LOGGED_SQL_CHARS:
        text = text[:LOGGED_SQL_CHARS] + " …"
    shown = repr(params)
    if len(shown) > LOGGED_SQL_CHARS:
        shown = shown[:LOGGED_SQL_CHARS] + " …"
    return f"query failed on {database}: {unwrapped(str(error))} | sql: {text} | params: {shown}"


def _install_query_log() -> contextvars.ContextVar:
    """Wrap Database.execute once per process; returns the flag that is set while the
    JSON of a failed CSV is asked for (the CSV's own attempt was logged).

    Datasette executes this file again for every Datasette it builds, each time in a
    new namespace, and other plugins wrap the same method after this one
    (newscrawl_fast_counts.py, newscrawl_sort_ties.py): the flag and the mark that it
    is done are kept on the class, where every run finds them."""
    flag = getattr(Database, "_newscrawl_asking_again", None)
    if flag is not None:
        return flag
    flag = contextvars.ContextVar("newscrawl_asking_again", default=False)
    original = Database.execute

    async def execute(self, sql, params=None, *args, log_sql_errors=True, **kwargs):
        try:
            return await original(self, sql, params, *args, log_sql_errors=False, **kwargs)
        except (sqlite3.OperationalError, sqlite3.DatabaseError) as error:
            if log_sql_errors and not flag.get():
                log.warning(failed_query_line(self.name, sql, params, error))
            raise

    Database.execute = execute
    Database._newscrawl_asking_again = flag
    return flag


_asking_again = _install_query_log()


# -- CSV of a failed query ------------------------------------------------------------


def _is_csv(scope) -> bool:
    path = scope.get("path", "")
    query = scope.get("query_string", b"")
    return path.endswith(".csv") or b"_format=csv" in query


def _failed_csv(scope) -> bytes:
    """The whole body of this CSV request's response when its query failed."""
    query = scope.get("query_string", b"").decode("latin-1")
    header = urllib.parse.parse_qs(query, keep_blank_values=True).get("_header", [""])[0]
    # Datasette reads the first value: request.args.get("_header") != "off".
    return FAILED_HEADLESS_CSV if header == "off" else FAILED_CSV


async def _json_error(app, scope) -> str | None:
    """The error of the same request as ``.json``: Datasette's own words for it."""
    path = scope["path"]
    query = scope.get("query_string", b"").replace(b"_format=csv", b"_format=json")
    # As the CSV view asks its own data: a table's JSON need not count or facet.
    query += b"&_nofacet=1&_nocount=1" if query else b"_nofacet=1&_nocount=1"
    if path.endswith(".csv"):
        path = path[: -len(".csv")] + ".json"
    raw_path = scope.get("raw_path")
    if raw_path and raw_path.endswith(b".csv"):
        raw_path = raw_path[: -len(b".csv")] + b".json"
    # GET even for a HEAD: Datasette answers a HEAD with no body, so no message.
    sub_scope = dict(scope, method="GET", path=path, raw_path=raw_path, query_string=query)
    parts = []

    async def receive():
        return {"type": "http.request", "body": b"", "more_body": False}

    async def capture(message):
        if message["type"] == "http.response.body":
            parts.append(message.get("body", b""))

    asking = _asking_again.set(True)
    try:
        await app(sub_scope, receive, capture)
    finally:
        _asking_again.reset(asking)
    try:
        return json.loads(b"".join(parts)).get("error")
    except (ValueError, AttributeError):
        return None


def _with_body(start, body: bytes, status: int | None = None, kind: bytes | None = None):
    drop = {b"content-length"} | ({b"content-type", b"content-disposition"} if kind else set())
    headers = [(k, v) for k, v in start.get("headers", []) if k.lower() not in drop]
    headers.append((b"content-length", str(len(body)).encode("ascii")))
    if kind:
        headers.append((b"content-type", kind))
    return {**start, "status": status or start["status"], "headers": headers}


@hookimpl
def asgi_wrapper(datasette):
    def wrap(app):
        async def clear_errors(scope, receive, send):
            if scope.get("type") != "http":
                await app(scope, receive, send)
                return
            csv = _is_csv(scope)
            failed_csv = _failed_csv(scope) if csv else None
            held = {}

            async def release(message):
                """Send the held start and body as they came; hold nothing more."""
                await send(held.pop("start"))
                await send({**message, "body": held.pop("body")})

            async def answer(body, status=None, kind=None):
                """Send ``body`` in place of the held response."""
                start = held.pop("start")
                held.clear()
                await send(_with_body(start, body, status, kind))
                await send({"type": "http.response.body", "body": body})

            async def sending(message):
                if message["type"] == "http.response.start":
                    status = message.get("status")
                    if status == 400 or (csv and status == 200):
                        held["start"], held["body"] = message, b""
                        return
                    await send(message)
                    return
                if "start" not in held or message["type"] != "http.response.body":
                    await send(message)
                    return
                held["body"] += message.get("body", b"")
                body, more = held["body"], message.get("more_body", False)
                if held["start"]["status"] == 400:
                    if not more:  # an error page: small, sent whole once complete
                        await answer(unwrapped(body.decode("utf-8")).encode("utf-8"))
                    return
                # A CSV: pass it on as soon as it is more than the failed one.
                if len(body) > len(failed_csv) or (not more and body != failed_csv):
                    await release(message)
                    return
                if more:
                    return
                error = await _json_error(app, scope)
                if error is None and failed_csv == FAILED_HEADLESS_CSV:
                    await release(message)  # no header line asked for, no rows: it answered
                    return
                text = f"Error: {unwrapped(error or 'the query failed')}\n"
                await answer(text.encode(), 400, b"text/plain; charset=utf-8")

            await app(scope, receive, sending)

        return clear_errors

    return wrap
