"""The "CSV" link of a table page gives every row of the selection.

Datasette 0.65 links "CSV" to one response's worth of rows (``_size=max``:
``max_returned_rows``, 1,000 in archive/settings.json) and says nothing in the file
about the rest: the CSV of a search with 3,000 matches held the first 1,000. Its
"stream all rows" box sits in the "advanced" form, unticked. The link now streams
(``_stream=on``): every row of the selection, whatever page the link is on (``_next``
is dropped: a CSV starts at the first row), up to ``max_csv_mb``, past which Datasette
ends the file with the line ``CSV contains more than ... bytes``. JSON links and the
advanced form are Datasette's own; a canned query cannot stream (Datasette runs its SQL
once), so its CSV holds at most ``max_returned_rows`` rows, as its page says.

Self-contained (standard library and Datasette only) so that ``datasette publish ...
--plugins-dir archive/plugins`` works without installing newscrawl.
"""

import urllib.parse

from datasette import hookimpl
from datasette.utils import path_with_format

# Where a page stands in its selection or how much of it a response holds: a streamed
# CSV is the whole selection, so these go.
PAGE_ARGS = {"_next", "_size", "_stream"}


def streamed_csv_url(datasette, request) -> str:
    """The page's selection as one streamed CSV, with foreign keys labelled as
    Datasette's own link has them."""
    kept = [
        (key, value)
        for key, value in urllib.parse.parse_qsl(request.query_string, keep_blank_values=True)
        if key not in PAGE_ARGS and key != "_labels"
    ]
    kept += [("_labels", "on"), ("_size", "max"), ("_stream", "on")]
    path = path_with_format(request=request, format="csv")
    return datasette.urls.path(f"{path.split('?', 1)[0]}?{urllib.parse.urlencode(kept)}")


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
    return {"url_csv": streamed_csv_url(datasette, request)}
