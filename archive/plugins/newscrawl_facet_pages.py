"""Datasette's own facets count the page's whole selection too, on every page.

newscrawl_facets.py makes its publisher, artist and month facets count every row the
page's filters select, whichever page it is: Datasette 0.65 hands a facet the page's
SQL, which from page 2 on (``?_next=``) carries the cursor condition. Datasette's own
facet types were left with that SQL: ``?_facet=<column>`` (what a column's "Facet by
this" menu item adds), ``?_facet_array=`` and ``?_facet_date=`` counted, from page 2 on,
only the rows from the cursor on (``_facet=language``: 10 articles on page 1, 7 on page
2), and their links kept ``_next=``, so a link listed fewer rows than its count.

This wraps those three classes' ``facet_results`` the way newscrawl_facets.py's own
facets work: the SQL is rebuilt without the cursor (``page_selection`` of
newscrawl_facets.py, looked up in Datasette's plugin registry: files of a plugins
directory cannot import each other) and every link drops ``_next``.
Datasette 0.65 has no hook for a facet's SQL, so the methods are wrapped, once per
process (Datasette executes this file again for every ``Datasette`` it builds).

Self-contained (Datasette only) so that ``datasette publish ... --plugins-dir
archive/plugins`` works without installing newscrawl.
"""

from datasette.facets import ArrayFacet, ColumnFacet, DateFacet
from datasette.plugins import pm

FACETS_PLUGIN = "newscrawl_facets.py"


def whole_selection(facet_results):
    """``facet_results`` counting the page's whole selection and linking to first pages."""

    async def wrapped(self):
        facets = pm.get_plugin(FACETS_PLUGIN)
        if (
            facets is None
            or not self.request.args.get(facets.NEXT_ARG)
            # newscrawl's own facets (column facets too) already did this themselves
            or isinstance(self, facets.StartsEarly)
        ):
            return await facet_results(self)
        self.sql, self.params = await facets.page_selection(self)
        results, timed_out = await facet_results(self)
        for result in results:
            result["toggle_url"] = facets.without_cursor(result["toggle_url"])
            for value in result["results"]:
                value["toggle_url"] = facets.without_cursor(value["toggle_url"])
        return results, timed_out

    wrapped.newscrawl_whole_selection = True
    return wrapped


for facet_class in (ColumnFacet, ArrayFacet, DateFacet):
    if not getattr(facet_class.facet_results, "newscrawl_whole_selection", False):
        facet_class.facet_results = whole_selection(facet_class.facet_results)
