"""The articles table's row count, for a search or an artist alone, without visiting
every matching article.

Datasette counts a table page's rows with ``select count(*) from articles where ...``.
Two selections are a set of article ids that another table already lists:

* a full-text search alone: ``id in (select rowid from articles_fts where articles_fts
  match :search)``;
* one artist's articles alone (``?_artist=``, newscrawl_facets.py): ``id in (select
  article_id from mentions where artist_id in (...))``.

SQLite counted them by looking every id up in ``articles``: 47 ms for a phrase with
82,357 matches and 140 ms for the most-covered artist at 1,000,000 articles. The same
numbers are the size of that list: ``articles_fts`` holds exactly the articles (its
triggers keep it so), and a mention names an article that exists (``mentions``'s key is
(article, artist), and deleting an article deletes its mentions: schema step m011). So
this plugin answers exactly those two count statements, and nothing else, from the list
itself: ``count(*)`` of the search, and ``count(*)`` of the artist's mentions
(``count(distinct article_id)`` when a shared name stands for several artists).

Datasette 0.65 has no hook for the count, so ``Database.execute`` is wrapped, once per
process, and rewrites a statement only when it is one of the two forms in full.

Self-contained (Datasette only) so that ``datasette publish ... --plugins-dir
archive/plugins`` works without installing newscrawl.
"""

import re

from datasette.database import Database

_SEARCH_COUNT = re.compile(
    r"select count\(\*\) from articles where id in \(select rowid from articles_fts"
    r" where articles_fts match (?P<param>:\w+)\)\s*"
)
_ARTIST_COUNT = re.compile(
    r"select count\(\*\) from articles where id in \(select article_id from mentions"
    r" where \+?artist_id in \((?P<params>:\w+(?:, :\w+)*)\)\)\s*"
)


def faster_count(sql):
    """The count ``sql`` answered from the list of ids it selects, or None."""
    if match := _SEARCH_COUNT.fullmatch(sql):
        return f"select count(*) from articles_fts where articles_fts match {match['param']}"
    if match := _ARTIST_COUNT.fullmatch(sql):
        params = match["params"]
        counted = "count(*)" if "," not in params else "count(distinct article_id)"
        return f"select {counted} from mentions where artist_id in ({params})"
    return None


def _install():
    # Datasette executes this file again for every Datasette it builds: wrap once. The
    # mark is on the class, as other plugins wrap the same method (newscrawl_sort_ties).
    if getattr(Database, "_newscrawl_fast_counts", False):
        return
    original = Database.execute

    async def execute(self, sql, *args, **kwargs):
        if sql.startswith("select count(*) from articles where id in (select "):
            sql = faster_count(sql) or sql
        return await original(self, sql, *args, **kwargs)

    Database.execute = execute
    Database._newscrawl_fast_counts = True


_install()
