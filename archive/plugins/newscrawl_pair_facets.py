"""The co_mentions view's artist facets, over the whole view, from co_mention_counts.

The ``co_mentions`` view (one row per article and pair of watched artists) opens with
two facets, ``artist_a`` and ``artist_b``. Over the whole view each groups every pair:
1.16 million at 1,000,000 articles, ~100 ms each through an index, and past the 500 ms
``facet_time_limit_ms`` on a busy machine (1 request in 20 of ``bench/datasette.py``).
``co_mention_counts`` (kept by the same triggers) already holds, per ordered pair of
artists, the number of articles that mention both, so the same counts are a sum over
at most artists² rows: an artist's ``artist_a`` count is the sum of its pairs with the
artists that sort after it (binary order, as the view's ``artist_a < artist_b``), its
``artist_b`` count the sum with those that sort before it.

This wraps Datasette's ``ColumnFacet.facet_results``: for those two facets of the view
with no filter, search or cursor, the facet's SQL is answered from
``co_mention_counts``; Datasette builds the values, labels and links as always. Any
other facet, table or selection runs Datasette's own SQL. Datasette 0.65 has no hook for
a facet's SQL, so the method is wrapped, once per process.

Self-contained (Datasette only) so that ``datasette publish ... --plugins-dir
archive/plugins`` works without installing newscrawl.
"""

import re

from datasette.facets import ColumnFacet

VIEW = "co_mentions"
# The facet column, and how the other artist of a co_mention_counts row compares.
OTHER_ARTIST = {"artist_a": ">", "artist_b": "<"}
# The view's whole selection as Datasette hands it to a facet: its columns, no clause.
_WHOLE_VIEW = re.compile(r"\s*select\s[^;]*?\sfrom\s+(?:co_mentions|\[co_mentions\])\s*", re.I)
_FACET_SQL = re.compile(
    r"\s*select (?P<column>artist_a|artist_b) as value, count\(\*\) as count from \(.*\)"
    r"\s*where (?P=column) is not null\s*group by (?P=column) order by count desc, value"
    r" limit (?P<limit>\d+)\s*",
    re.S,
)


class _PairCounts:
    """Datasette as the facet sees it, but for its ``execute`` of the two artist facets,
    answered from co_mention_counts."""

    def __init__(self, datasette):
        self._datasette = datasette

    def __getattr__(self, name):
        return getattr(self._datasette, name)

    async def execute(self, database, sql, params=None, **kwargs):
        match = _FACET_SQL.fullmatch(sql)
        if match:
            sql = (
                "select artist_id as value, sum(articles) as count from co_mention_counts"
                f" where other_artist_id {OTHER_ARTIST[match['column']]} artist_id"
                f" group by artist_id order by count desc, value limit {int(match['limit'])}"
            )
        return await self._datasette.execute(database, sql, params, **kwargs)


def whole_view(facet):
    return facet.table == VIEW and not facet.params and bool(_WHOLE_VIEW.fullmatch(facet.sql))


def from_pair_counts(facet_results):
    async def wrapped(self):
        if not whole_view(self):
            return await facet_results(self)
        datasette = self.ds
        self.ds = _PairCounts(datasette)
        try:
            return await facet_results(self)
        finally:
            self.ds = datasette

    wrapped.newscrawl_pair_counts = True
    return wrapped


if not getattr(ColumnFacet.facet_results, "newscrawl_pair_counts", False):
    ColumnFacet.facet_results = from_pair_counts(ColumnFacet.facet_results)
