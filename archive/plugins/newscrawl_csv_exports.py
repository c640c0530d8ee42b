"""CSV exports of table pages: every row of the selection, and a failed download when
they stop short.

**The "CSV" link streams.** Datasette 0.65 links "CSV" to one response's worth of rows
(``_size=max``: ``max_returned_rows``, 1,000 in archive/settings.json) and says nothing
in the file about the rest: the CSV of a search with 3,000 matches held the first 1,000.
Its "stream all rows" box sits in the "advanced" form, unticked. The link now streams
(``_stream=on``): every row of the selection, whatever page the link is on (``_next`` is
dropped: a CSV starts at the first row), up to ``max_csv_mb``. JSON links and the
advanced form are Datasette's own; a canned query cannot stream (Datasette runs its SQL
once), so its CSV holds at most ``max_returned_rows`` rows, as its page says.

**A stream cut short fails.** Datasette 0.65 sends a CSV export's status (200) first and
then its rows, page after page. When a page fails on the way, it writes the error's text
after the last row it had and ends the response as if the file were whole. It does so
when the export passes ``max_csv_mb`` (100 MB in archive/settings.json: at 1,000,000
articles a search for ``Tiny`` with the articles' text gave 29,790 of its 33,452 rows
and a last line ``CSV contains more than 104857600 bytes``), and when a later page's
query passes ``sql_time_limit_ms``. A researcher's browser, ``curl`` or script saw a
complete CSV short of rows.

Such a response now ends without its closing chunk, so every HTTP client reports the
transfer as incomplete: ``curl`` exits 18 ("transfer closed with outstanding read data
remaining"), a browser marks the download failed, Python's ``http.client`` raises
``IncompleteRead``. The partial file still ends with Datasette's message, and the server
log has Datasette's ``Caught this error: ...`` and a warning from ``newscrawl.datasette``.
Exports that finish are unchanged.

Datasette 0.65 has no hook for it: the stream class and the size-limited writer that
its CSV view uses are replaced in this module, once per process. The error's text is
the one write the view makes past the size-limited writer, which is how it is told
apart from the rows.

Self-contained (standard library and Datasette only) so that ``datasette publish ...
--plugins-dir archive/plugins`` works without installing newscrawl.
"""

import logging
import urllib.parse

import datasette.views.base as csv_view
from datasette import hookimpl
from datasette.utils import LimitedWriter
from datasette.utils.asgi import AsgiStream, AsgiWriter

log = logging.getLogger("newscrawl.datasette")

# Where a page stands in its selection or how much of it a response holds: a streamed
# CSV is the whole selection, so these go.
PAGE_ARGS = {"_next", "_size", "_stream"}


def streamed_csv_url(request) -> str:
    """The page's selection as one streamed CSV, with foreign keys labelled as
    Datasette's own link has them.

    The link is relative to the page (``./<table>.csv?...``): under ``base_url``,
    ``request.path`` holds the prefix when a proxy forwards it and lacks it when a proxy
    strips it, so no absolute path is right both ways (``datasette.urls.path()`` of it,
    as Datasette's own link is built, gave ``/news/news/archive/articles.csv`` in the
    first case). The table is the page path's last segment, tilde-encoded, so never
    holds a dot: ``.csv`` is its format."""
    kept = [
        (key, value)
        for key, value in urllib.parse.parse_qsl(request.query_string, keep_blank_values=True)
        if key not in PAGE_ARGS and key != "_labels"
    ]
    kept += [("_labels", "on"), ("_size", "max"), ("_stream", "on")]
    table = request.path.rstrip("/").rsplit("/", 1)[-1]
    return f"./{table}.csv?{urllib.parse.urlencode(kept)}"


def is_table_page(template) -> bool:
    """A table's page (``table.html`` or a ``table-<database>-<table>.html`` of its own),
    not a canned query's, which Datasette also serves from its table view."""
    return template == "table.html" or str(template).startswith("table-")


@hookimpl
def extra_template_vars(template, request, datasette):
    # Later in the template context than the view's own url_csv, so it replaces it.
    if request is None or not is_table_page(template):
        return {}
    if not datasette.setting("allow_csv_stream"):
        return {}
    return {"url_csv": streamed_csv_url(request)}


# -- a stream cut short -------------------------------------------------------------


class _Writer(AsgiWriter):
    """The response writer handed to the CSV view, which notes a write that did not come
    through its size-limited writer (the error's text)."""

    def __init__(self, send):
        super().__init__(send)
        self.limited = False  # a write of the size-limited writer is under way
        self.error = None

    async def write(self, chunk):
        if not self.limited:
            self.error = chunk
        await super().write(chunk)


class _MarkingLimitedWriter(LimitedWriter):
    async def write(self, chunk):
        if not isinstance(self.writer, _Writer):
            await super().write(chunk)
            return
        self.writer.limited = True
        try:
            await super().write(chunk)
        finally:
            self.writer.limited = False


class CheckedStream(AsgiStream):
    """Datasette's AsgiStream, but a stream whose rows stopped on an error is left
    without its final chunk."""

    async def asgi_send(self, send):
        headers = {k: v for k, v in self.headers.items() if k.lower() != "content-type"}
        headers["content-type"] = self.content_type
        await send(
            {
                "type": "http.response.start",
                "status": self.status,
                "headers": [[k.encode("utf-8"), v.encode("utf-8")] for k, v in headers.items()],
            }
        )
        writer = _Writer(send)
        await self.stream_fn(writer)
        if writer.error is not None:
            log.warning("CSV export cut short, its response left incomplete: %s", writer.error)
            return  # the server closes the connection: the client sees the transfer fail
        await send({"type": "http.response.body", "body": b""})


def _install():
    # Datasette executes this file again for every Datasette it builds: replace once.
    if getattr(csv_view.AsgiStream, "_newscrawl", False):
        return
    csv_view.AsgiStream = CheckedStream
    csv_view.LimitedWriter = _MarkingLimitedWriter
    CheckedStream._newscrawl = True


_install()
