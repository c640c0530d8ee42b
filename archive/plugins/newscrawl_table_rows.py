"""Table and query pages: the rows of the HTML table rendered in one Python call.

Datasette 0.65 renders a table page's rows in ``_table.html`` with a Jinja loop over
every cell. Its template environment is asynchronous, so each ``{{ ... }}`` of that
loop is a step of an async generator, and each cell also goes through the
``to_css_class`` filter: for the 50 rows x 29 columns of an ``articles`` page that was
most of the ~60 ms by which the HTML page is slower than its JSON (measured in
docs/benchmarks.md), paid by every table page, searches included.

``newscrawl_rows(display_rows)`` (a template global, used by ``templates/_table.html``)
writes the same ``<tr><td class="col-... type-...">value</td>...</tr>`` markup as
Datasette's loop: values are escaped exactly as the template's autoescaping does
(``Markup`` from render_cell plugins and Datasette's own links pass through, anything
else is escaped) and the CSS class is Datasette's ``to_css_class``, computed once per
column instead of once per cell. ``tests/test_datasette_table_rows.py`` checks that
every table's page has the same rows, cell by cell, as Datasette's own template.

``newscrawl_query_rows(columns, display_rows)`` (used by ``templates/query.html``) does
the same for the rows of a canned or ad-hoc query: ``<td class="col-...">value</td>``,
without a type class, as Datasette's ``query.html`` writes them. The 200 rows of
``search_articles`` are 1,200 cells; the same test compares those pages with
Datasette's own ``query.html``.

Self-contained (Datasette and markupsafe only) so that ``datasette publish ...
--plugins-dir archive/plugins`` works without installing newscrawl.
"""

from datasette import hookimpl
from datasette.utils import to_css_class
from markupsafe import Markup, escape


def newscrawl_rows(display_rows) -> Markup:
    """The ``<tr>`` elements of Datasette's table body for ``display_rows``."""
    css_classes: dict[str, str] = {}
    parts: list[str] = []
    append = parts.append
    for row in display_rows:
        append("<tr>")
        for cell in row:
            column = cell["column"]
            css = css_classes.get(column)
            if css is None:
                css = css_classes[column] = str(escape(to_css_class(column)))
            append(
                f'<td class="col-{css} type-{escape(cell["value_type"])}">'
                f"{escape(cell['value'])}</td>"
            )
        append("</tr>")
    return Markup("".join(parts))


def newscrawl_query_rows(columns, display_rows) -> Markup:
    """The ``<tr>`` elements of Datasette's query-page table body for ``display_rows``
    (one value per column, as ``columns`` names them)."""
    css = [str(escape(to_css_class(column))) for column in columns]
    parts: list[str] = []
    append = parts.append
    for row in display_rows:
        append("<tr>")
        # Not strict: Datasette's loop zips the same way (a row and its columns).
        for css_class, value in zip(css, row, strict=False):
            append(f'<td class="col-{css_class}">{escape(value)}</td>')
        append("</tr>")
    return Markup("".join(parts))


@hookimpl
def prepare_jinja2_environment(env, datasette):
    env.globals["newscrawl_rows"] = newscrawl_rows
    env.globals["newscrawl_query_rows"] = newscrawl_query_rows
