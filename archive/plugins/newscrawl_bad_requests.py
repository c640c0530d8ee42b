"""A malformed URL parameter is a 400 that names it, not a 500.

Datasette 0.65 reads several parameters with a bare ``int()`` or ``json.loads()``, and
raises the errors it does detect with its default status, 500:

* ``?_timelimit=abc`` (any page that runs SQL), ``?_next=abc`` or an offset past
  SQLite's integers on a view, ``?col__in=[...`` that is not a JSON list: the
  exception's own text (``invalid literal for int() with base 10``) on a 500 page, and
  a traceback in the server log;
* ``?_sort=`` / ``?_sort_desc=`` naming a column that does not exist or is not sortable,
  or both at once: a clear message, but a 500;
* ``.csv`` of a query that runs past its time limit (``?_timelimit=-1`` stops every
  query at once): a 500, where the HTML and JSON forms say "SQL query took too long"
  with a 400;
* ``/archive.csv`` or ``/archive.json?_shape=array`` without ``?sql=``: ``KeyError``.
* ``?_next=1,2,3`` on a table: a 400, but "near ")": syntax error".
* ``?id__gt=99999999999999999999`` (a number past SQLite's integers), ``?_ttl=²`` or
  ``?_facet_size=²`` (digits to ``str.isdigit()``, not to ``int()``), ``?_facet={}``
  or ``?_facet_size={`` (a facet configuration without its column), a NUL character
  (``%00``) in ``?_where=`` or a facet's column: the exception's text on a 500 page.

(``?_through=`` has its own module, newscrawl_through.py.)

The check runs only once a request has failed, so no page pays for it: when a parameter
of the failed request is malformed, the answer is Datasette's own error page (or JSON)
with status 400 and one line naming the parameter, and nothing is logged. A CSV export
refused this way, or by Datasette's own 400 (a table's ``_where`` that is not SQL), is
answered as the CSV of a failed query is (newscrawl_errors.py): ``400``, text/plain,
``Error: <message>``, where Datasette sent its HTML error page. So is the CSV of a
table, database or row that does not exist (``/archive/nosuch.csv``,
``/nosuchdb/articles.csv``, ``/archive/articles/999999999.csv``), with its ``404``:
``Error: Table not found``, the message its JSON form gives. Every other failure, and
the HTML and JSON forms of a 404, are left to Datasette exactly as before, so a real bug
still shows as a 500.

Self-contained (standard library and Datasette only) so that ``datasette publish ...
--plugins-dir archive/plugins`` works without installing newscrawl.
"""

from __future__ import annotations

import json
import re

from datasette import hookimpl
from datasette.database import QueryInterrupted
from datasette.handle_exception import handle_exception as datasette_error_answer
from datasette.utils import await_me_maybe, tilde_decode, urlsafe_components
from datasette.utils.asgi import Response
from datasette.views.base import DatasetteError

# SQLite's largest integer: a larger OFFSET is "datatype mismatch", a larger bound of
# ?col__gt= "Python int too large to convert to SQLite INTEGER".
MAX_INTEGER = 2**63 - 1
# The filters Datasette 0.65 compares as numbers when their value is all digits.
NUMERIC_FILTERS = ("__gt", "__gte", "__lt", "__lte")
WHOLE_NUMBER = re.compile(r"[0-9]+")  # not \d: int("²") is an error
# DatasetteError messages (status 500 in 0.65) that describe the request, not a fault.
REQUEST_ERRORS = (
    "Cannot sort table by ",
    "Cannot use _sort and _sort_desc at the same time",
)
TIMED_OUT = (
    "SQL query took too long. The time limit is controlled by the sql_time_limit_ms"
    " setting (a ?_timelimit= lower than it applies to one request)."
)


def bad_parameter(message: str) -> DatasetteError:
    return DatasetteError(message, title="Invalid parameter", status=400)


def check_timelimit(args) -> str | None:
    value = args.get("_timelimit")
    if value and not WHOLE_NUMBER.fullmatch(value):
        return f"_timelimit={value}: give a whole number of milliseconds"
    return None


def check_nul(args) -> str | None:
    # Python's sqlite3 refuses any SQL text holding one (_where=, a facet's column).
    for key in args:
        if any("\x00" in value for value in args.getlist(key)):
            return f"{key}: the value holds a NUL character (%00)"
    return None


def check_numbers(args) -> str | None:
    """Values Datasette converts with ``int()`` once ``str.isdigit()`` says yes, which
    it also says of ``²``; a number past SQLite's integers cannot be compared."""
    for key in args:
        if not (key.endswith(NUMERIC_FILTERS) or key in ("_ttl", "_facet_size")):
            continue
        for value in args.getlist(key):
            if value.isdigit() and not (
                WHOLE_NUMBER.fullmatch(value) and int(value) <= MAX_INTEGER
            ):
                return f"{key}={value}: give a number of digits 0-9, at most {MAX_INTEGER}"
    return None


def check_facets(args) -> str | None:
    """``?_facet={...}`` is a facet's JSON configuration: {"simple": "column"}. Datasette
    reads every parameter named ``_facet...`` so, ``_facet_size`` included."""
    for key in args:
        if not key.startswith("_facet"):
            continue
        for value in args.getlist(key):
            if not value.startswith("{"):
                continue
            try:
                config = json.loads(value)
            except ValueError:
                config = None
            if not (isinstance(config, dict) and isinstance(config.get("simple"), str)):
                return f'{key}={value}: give a column name, or {{"simple": "column"}}'
    return None


def check_in_lists(args) -> str | None:
    for key in args:
        if not key.endswith(("__in", "__notin")):
            continue
        for value in args.getlist(key):
            if not value.startswith("["):
                continue  # a comma-separated list, which cannot be malformed
            try:
                values = json.loads(value)
            except ValueError:
                values = None
            if not (
                isinstance(values, list) and all(isinstance(v, (str, int, float)) for v in values)
            ):
                return f'{key}={value}: give a JSON list such as ["a", "b"], or a,b'
    return None


async def check_next(datasette, request) -> str | None:
    """A view pages by offset, a table by a cursor of its primary keys."""
    value = request.args.get("_next")
    table = request.url_vars.get("table")
    if not value or not table or request.url_vars.get("pks"):
        return None
    try:
        db = datasette.get_database(route=request.url_vars["database"])
    except KeyError:
        return None
    table = tilde_decode(table)
    if table in await db.view_names():
        if WHOLE_NUMBER.fullmatch(value) and int(value) <= MAX_INTEGER:
            return None
        return f"_next={value}: a view's pages start at a row number (a whole number)"
    if not await db.table_exists(table):
        return None  # a canned query, which takes no _next
    keys = len(await db.primary_keys(table)) or 1  # rowid
    sorted_ = request.args.get("_sort") or request.args.get("_sort_desc")
    if len(urlsafe_components(value)) in ((keys, keys + 1) if sorted_ else (keys,)):
        return None
    return f"_next={value}: not a page cursor of {table} (follow the page's next link)"


def without_sql(request) -> str | None:
    """The database page's CSV and array shapes are of a query's rows."""
    vars_ = request.url_vars
    if "table" in vars_ or "database" not in vars_ or request.args.get("sql"):
        return None
    if vars_.get("format") == "csv" or request.args.get("_shape") in ("array", "object"):
        return "this form of the database page lists a query's rows: add ?sql=select ..."
    return None


async def request_problem(datasette, request, exception) -> DatasetteError | None:
    """The 400 to answer instead of ``exception``, or None when the request is fine."""
    if getattr(exception, "status", 500) in (401, 403, 404, 405):
        return None  # not found or not allowed, whatever the parameters
    args = request.args
    checks = (check_nul, check_timelimit, check_numbers, check_facets, check_in_lists)
    for message in (check(args) for check in checks):
        if message:
            return bad_parameter(message)
    message = await check_next(datasette, request) or without_sql(request)
    if message:
        return bad_parameter(message)
    if (
        isinstance(exception, DatasetteError)
        and exception.status == 500
        and exception.message.startswith(REQUEST_ERRORS)
    ):
        return bad_parameter(exception.message)
    if isinstance(exception, QueryInterrupted):
        # Datasette turns this into a 400 itself, except for the .csv form.
        return DatasetteError(TIMED_OUT, title="SQL Interrupted", status=400)
    return None


def wants_csv(request) -> bool:
    """A CSV export (``.csv`` or ``?_format=csv``). The path's ending counts too, as
    Datasette's error pages answer a path ending ``.json`` with JSON: a URL no route
    matches has no ``format``."""
    return (
        request.url_vars.get("format") == "csv"
        or request.args.get("_format") == "csv"
        or request.path.endswith(".csv")
    )


def csv_error(message: str, status: int = 400) -> Response:
    """A refused CSV export as the CSV of a failed query is answered
    (newscrawl_errors.py): ``400`` (or ``status``), text/plain, ``Error: <message>``;
    not an HTML page that a script would save as the export."""
    return Response.text(f"Error: {message}\n", status=status)


def not_found_message(exception) -> str:
    """The one line of a 404's message, as its JSON form has it ("Table not found",
    "Database not found", "Record not found"); "Not found" for a URL no route matches
    (Datasette's message there is "404") or a message written as HTML."""
    if isinstance(exception, DatasetteError):
        message = "" if exception.message_is_html else exception.message
    else:
        message = exception.args[0] if exception.args else ""
    message = " ".join(str(message).split())
    return message if message and message != "404" else "Not found"


@hookimpl(hookwrapper=True)
def handle_exception(datasette, request, exception):
    # A wrapper, not a plain hook: Datasette awaits every handler's answer and keeps the
    # first, and its default handler logs a traceback for any exception it is handed.
    # Replacing the answers keeps a bad request out of the log.
    outcome = yield
    answers = outcome.get_result()

    async def answer():
        if wants_csv(request) and getattr(exception, "status", None) == 404:
            # A missing table, database or row: its HTML 404 page was saved as the export.
            return csv_error(not_found_message(exception), status=404)
        problem = await request_problem(datasette, request, exception)
        if wants_csv(request):
            # Ours, or Datasette's own 400 (a table's bad _where, ...).
            refused = problem or (
                exception
                if isinstance(exception, DatasetteError) and exception.status == 400
                else None
            )
            if refused is not None and not refused.message_is_html:
                return csv_error(refused.message)
        if problem is not None:
            return await await_me_maybe(datasette_error_answer(datasette, request, problem))
        for other in answers:
            response = await await_me_maybe(other)
            if response is not None:
                return response
        return None

    outcome.force_result([answer])
