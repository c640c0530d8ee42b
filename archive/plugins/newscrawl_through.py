"""``?_through=`` that combines with column filters.

``?_through={"table": "mentions", "column": "artist_id", "value": "lady-gaga"}`` keeps
the rows of a table that another table points at (the articles that mention Lady Gaga).
Datasette 0.65 names the SQL parameter of that clause ``:p0``, counting only its own
clauses, while the column filters (``?source_id=popwire``) number theirs from ``:p0``
too; the page merges both into one dict, so one value overwrote the other and
``?_through=...&source_id=popwire`` listed no article at all.

This module stands in for Datasette's ``through_filters`` hook with the same clause
under parameter names of its own (``:through0``, ...). It also answers a malformed
``_through`` (not a JSON object with ``table``, ``column`` and ``value``, or a table
with no foreign key to this one) with a 400 that says so, where Datasette's was a 500.

Self-contained (standard library and Datasette only) so that ``datasette publish ...
--plugins-dir archive/plugins`` works without installing newscrawl.
"""

from __future__ import annotations

import json
import types

import datasette.filters as datasette_filters
from datasette import hookimpl
from datasette.filters import FilterArguments
from datasette.plugins import pm
from datasette.utils import escape_sqlite
from datasette.views.base import DatasetteError

EXAMPLE = '{"table": "mentions", "column": "artist_id", "value": "lady-gaga"}'


def parse_through(value: str) -> tuple[str, str, str | int | float]:
    """The table, column and value of one ``_through`` parameter (a 400 if malformed)."""
    try:
        through = json.loads(value)
    except ValueError:
        through = None
    if (
        isinstance(through, dict)
        and isinstance(through.get("table"), str)
        and isinstance(through.get("column"), str)
        and isinstance(through.get("value"), (str, int, float))
    ):
        return through["table"], through["column"], through["value"]
    raise DatasetteError(
        f"_through={value}: give a JSON object such as {EXAMPLE}",
        title="Invalid parameter",
        status=400,
    )


@hookimpl
def filters_from_request(request, database, table, datasette):
    if "_through" not in request.args:
        return None

    async def through_clauses():
        clauses, params, descriptions = [], {}, []
        db = datasette.get_database(database)
        for number, value in enumerate(request.args.getlist("_through")):
            through_table, other_column, other_value = parse_through(value)
            await datasette.ensure_permissions(
                request.actor,
                [
                    ("view-table", (database, through_table)),
                    ("view-database", database),
                    "view-instance",
                ],
            )
            keys = [
                key
                for key in await db.foreign_keys_for_table(through_table)
                if key["other_table"] == table
            ]
            if not keys:
                raise DatasetteError(
                    f"_through: {through_table} has no foreign key to {table}",
                    title="Invalid parameter",
                    status=400,
                )
            name = f"through{number}"
            clauses.append(
                f"{escape_sqlite(keys[0]['other_column'])} in (select"
                f" {escape_sqlite(keys[0]['column'])} from {escape_sqlite(through_table)}"
                f" where {escape_sqlite(other_column)} = :{name})"
            )
            params[name] = other_value
            descriptions.append(f'{through_table}.{other_column} = "{other_value}"')
        return FilterArguments(clauses, params, descriptions)

    return through_clauses


def unregister_datasette_through_filter() -> None:
    """Leave Datasette's search and ``_where`` filters registered, without its
    ``_through`` one (two clauses for one parameter would still clash)."""
    if not pm.is_registered(datasette_filters):
        return  # done when the first Datasette of this process loaded the plugins
    others = types.ModuleType(datasette_filters.__name__)
    others.search_filters = datasette_filters.search_filters
    others.where_filters = datasette_filters.where_filters
    pm.unregister(datasette_filters)
    pm.register(others)


unregister_datasette_through_filter()
