"""Foreign-key links that work for an archive whose file name has a dot.

Datasette 0.65 shows a foreign-key cell (``source_id``, ``run_id`` and ``artist_id`` on
the archive's tables, ``article_id`` on ``mentions``) as a link to the row it points at,
but builds that link with the database's name as it is, not tilde-encoded as every
other link: ``news.2024.db`` is served as ``/news~2E2024`` and its source links went to
``/news.2024/sources/popwire``, a 404 (a ``.`` in a path means a format, ``.json``).

This ``render_cell`` hook draws the same cell (link, label, id: the markup of
Datasette's ``LINK_WITH_LABEL`` / ``LINK_WITH_VALUE``) with the URL from
``datasette.urls.row``, for a database whose name needs encoding. Any other name
keeps Datasette's own cell, untouched.

Self-contained (Datasette only) so that ``datasette publish ... --plugins-dir
archive/plugins`` works without installing newscrawl.
"""

from datasette import hookimpl
from datasette.utils import tilde_encode
from markupsafe import Markup


async def _foreign_key_tables(datasette, database, table):
    """{column: the table it points at} of ``table``, read once per process (a page
    has 50 rows): a table's foreign keys change only with the schema, which ``newscrawl
    serve`` brings up to date before it starts."""
    known = datasette.__dict__.setdefault("_newscrawl_foreign_keys", {})
    if (database, table) not in known:
        keys = await datasette.get_database(database).foreign_keys_for_table(table)
        known[database, table] = {key["column"]: key["other_table"] for key in keys}
    return known[database, table]


@hookimpl
def render_cell(row, value, column, table, database, datasette):
    # An expanded foreign key is the only dict Datasette hands a table's cell.
    if table is None or not isinstance(value, dict) or tilde_encode(database) == database:
        return None

    async def cell():
        other_table = (await _foreign_key_tables(datasette, database, table)).get(column)
        if other_table is None:
            return None
        label, key = value.get("label"), value.get("value")
        href = datasette.urls.row(database, other_table, tilde_encode(str(key)))
        # Markup.format escapes each argument once, as Datasette's cell does.
        if label != key:
            return Markup('<a href="{}">{}</a>&nbsp;<em>{}</em>').format(
                href, str(label) or "-", key
            )
        return Markup('<a href="{}">{}</a>').format(href, key)

    return cell()
