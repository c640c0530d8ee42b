"""Looking things up: a search box that never fails, names in any case, checked dates.

* A search that Datasette's escaped search mode reduces to nothing (``?_search=`` with
  nothing but spaces and quotes: a lone ``"``, ``""``; the same for
  ``?_search_<column>=``) is no search: the parameter is dropped before Datasette sees
  it, so the page lists every row (with the other filters) instead of answering 400
  (fts5: syntax error near an empty string). Typing a space or a lone quote into the
  search box and pressing Apply reached it. In raw mode
  (``?_searchmode=raw``, or a table whose metadata says ``searchmode: raw``) the text is
  FTS5 syntax and its errors stay errors. A NUL character, which FTS5 reads as the end
  of a quoted term ("unterminated string"), is taken out of an escaped search.
* SQL functions on every connection (``prepare_connection``), used by the canned
  queries in metadata.yml and by the facets and charts plugins:

  - ``newscrawl_fold(text)``: ``text`` Unicode-normalised (NFC) and casefolded, so that an
    artist's slug, name or alias matches in any case and any normal form
    (``BEYONCÉ``, ``Beyonce`` + combining accent, ``Britney-Spears``). SQLite's
    ``lower()`` folds ASCII letters only.
  - ``newscrawl_date_error(name, value, ...)``: NULL when every ``value`` is empty or a
    date as YYYY, YYYY-MM or YYYY-MM-DD (month 01-12, day 01-31: ``2025-02-30`` is
    accepted and means the end of February as an upper bound), else a message naming
    the first bad one. SQLite has no ``raise()`` outside triggers and Python's sqlite3
    replaces a function's own exception by "user-defined function raised exception",
    so a query stops with the message by handing it to ``json_extract()`` as a path::

        json_extract('{}', coalesce(newscrawl_date_error('since', :since), '$.ok')) is null

    which fails with ``JSON path error near 'since ...'`` (newer SQLite: ``bad JSON
    path: 'since ...'``), the error Datasette shows for the query; newscrawl_errors.py
    takes SQLite's wording off it on the error page.

Self-contained (standard library and Datasette only) so that ``datasette publish ...
--plugins-dir archive/plugins`` works without installing newscrawl.
"""

import re
import unicodedata
import urllib.parse

from datasette import hookimpl
from datasette.utils import escape_fts, tilde_decode

SEARCH_ARG = "_search"
SEARCH_MODE_ARG = "_searchmode"
DATE = re.compile(r"[0-9]{4}(?:-(?:0[1-9]|1[0-2])(?:-(?:0[1-9]|[12][0-9]|3[01]))?)?")
DATE_FORMS = "YYYY, YYYY-MM or YYYY-MM-DD, e.g. 2025, 2025-02 or 2025-02-11"


def fold(value):
    """``value`` NFC-normalised and casefolded (None stays None)."""
    if value is None:
        return None
    text = unicodedata.normalize("NFC", str(value)).casefold()
    # casefold() may leave a decomposed sequence ("İ" -> "i" + combining dot).
    return unicodedata.normalize("NFC", text)


def date_error(*names_and_values):
    """None when every value of the ``name, value, ...`` pairs is empty or a date
    (:data:`DATE`), else a message about the first that is not."""
    for index in range(0, len(names_and_values) - 1, 2):
        name, value = names_and_values[index], names_and_values[index + 1]
        if value is None or value == "":
            continue
        if not isinstance(value, str) or not DATE.fullmatch(value):
            # No single quote: SQLite doubles it in the error message.
            shown = str(value).replace("'", "\N{RIGHT SINGLE QUOTATION MARK}")
            return f"{name} = {shown} is not a date: give {DATE_FORMS}"
    return None


@hookimpl
def prepare_connection(conn):
    conn.create_function("newscrawl_fold", 1, fold, deterministic=True)
    conn.create_function("newscrawl_date_error", -1, date_error, deterministic=True)


def _table_is_raw(datasette, path):
    """True when the table that ``path`` names is searched in raw mode by default."""
    base = (datasette.setting("base_url") or "/").rstrip("/")
    if base and path.startswith(base):
        path = path[len(base) :]
    parts = path.strip("/").split("/")
    if len(parts) < 2:
        return False
    database, table = tilde_decode(parts[0]), tilde_decode(parts[1])
    table = re.sub(r"\.(json|csv)$", "", table)
    try:
        return datasette.table_metadata(database, table).get("searchmode") == "raw"
    except Exception:  # noqa: BLE001 - unknown database or table: Datasette answers
        return False


def without_empty_searches(datasette, path, query_string):
    """``query_string`` without the search parameters that escaped mode reduces to nothing,
    or None when it has none to drop."""
    if SEARCH_ARG not in query_string:
        return None
    pairs = urllib.parse.parse_qsl(query_string, keep_blank_values=True)
    modes = [value for key, value in pairs if key == SEARCH_MODE_ARG]
    mode = modes[0] if modes else None
    if mode == "raw" or (mode != "escaped" and _table_is_raw(datasette, path)):
        return None
    kept = []
    for key, value in pairs:
        if key.startswith(SEARCH_ARG) and key != SEARCH_MODE_ARG:
            # A NUL ends FTS5's reading of a quoted term: "unterminated string".
            value = value.replace("\x00", "")
            if not escape_fts(value) or not value.replace('"', "").strip():
                continue  # nothing to search for ('  "  ' is an empty phrase: no rows)
        kept.append((key, value))
    if kept == pairs:
        return None
    return urllib.parse.urlencode(kept)


@hookimpl
def asgi_wrapper(datasette):
    def wrap(app):
        async def drop_empty_searches(scope, receive, send):
            if scope.get("type") == "http" and scope.get("query_string"):
                query = scope["query_string"].decode("latin-1")
                kept = without_empty_searches(datasette, scope.get("path", ""), query)
                if kept is not None:
                    scope = dict(scope, query_string=kept.encode("latin-1"))
            await app(scope, receive, send)

        return drop_empty_searches

    return wrap
