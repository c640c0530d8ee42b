"""The facets of the articles table (publisher, artist, month) and the ``?_artist=`` filter.

Datasette 0.65's array facet (``_facet_array=artists``) de-duplicates whole rows, bodies
included, so it took over a second at 1,000,000 articles and hit the facet time limit
already at 50,000; its filter (``artists__arraycontains=``) reads the JSON column of
every row. This plugin replaces both:

* the ``artist`` facet type (``facets: [{artist: artists}]`` in metadata.yml, or
  ``?_facet_artist=artists``) counts the filtered articles per artist in the indexed
  ``mentions`` table and labels them with ``artists.name``. With no filter at all it
  reads the ``coverage_monthly`` totals (plus undated articles) instead of every mention;
* the ``publisher`` and ``month`` facet types are Datasette's column facet on
  ``source_id`` and ``published_month``, started early (below); for one artist's
  articles (``?_artist=`` alone) they, and the artist facet, read ``coverage_monthly``
  and ``co_mention_counts`` instead of counting that artist's articles one by one, and
  so do they (not the artist facet) on that artist's page of one publisher or month;
* a facet that a URL asks for on a column a default facet already shows
  (``?_facet=source_id``, which a column's "Facet by this" builds; ``?_facet_array=artists``;
  ``?_facet=published_month``) is that default facet, shown and counted once: every facet
  type's configurations leave such a request out (``Facet.get_configs``, wrapped), and
  the table page names the default facets' columns for the column menu, which then does
  not offer them to "Facet by this", and Datasette's facet suggestions leave them out;
* ``?_artist=<slug, name or alias>`` keeps the articles that mention that artist, in
  any case (``newscrawl_fold()``, registered by newscrawl_search.py; repeat it for
  articles about all of several artists). The facet's links add and remove it; a
  selected ``artists__arraycontains=<name>`` is recognised too.

All three count the page's whole selection, on every page: Datasette 0.65 hands a facet
the page's SQL with the ``?_next=`` cursor condition in it, so page 2 counted only the
rows from the cursor on; :func:`page_selection` rebuilds the selection without it. Every
facet link drops ``_next`` (a link starts a new selection at its first page).

Counts that must be made over many matching rows are not on the HTML page's critical
path: when no precomputed table answers a facet (a search, two artists, the artist facet
of an artist and a publisher, ...) and the selection holds more than
``defer_above_rows`` rows (10,000 in metadata.yml; ``null`` never defers), the HTML page
is sent with the rows, their count and a "counting" note, and its script fetches the
same page again with the ``X-Newscrawl-Facets: inline`` header, which counts them, and
puts them in place (templates/_newscrawl_deferred_facets.html). ``?_nodefer=1`` does
the same without a script. JSON, CSV and every other format always count them in the
response, and so does a page with one of Datasette's own facets
(:meth:`StartsEarly.others_in_the_page`). At 1,000,000 articles a phrase search's three
facets cost ~280 ms of CPU, the rows and their count ~35 ms.

Self-contained (standard library and Datasette only) so that ``datasette publish ...
--plugins-dir archive/plugins`` works without installing newscrawl.
"""

import asyncio
import json
import logging
import urllib.parse

from datasette import hookimpl
from datasette.database import QueryInterrupted
from datasette.facets import ArrayFacet, ColumnFacet, DateFacet, Facet, load_facet_configs
from datasette.filters import FilterArguments, Filters
from datasette.plugins import pm
from datasette.utils import (
    StartupError,
    await_me_maybe,
    escape_sqlite,
    path_with_added_args,
    path_with_removed_args,
)
from datasette.views.base import ureg

TABLE = "articles"
ARTIST_ARG = "_artist"
ARRAY_ARG = "artists__arraycontains"
# Mentions of an artist above which the filter scans the (article_id, artist_id) key
# index, a fixed ~0.15 s at 2,000,000 mentions, instead of fetching each mention row
# through the (artist_id, salience) index (~3 us a mention: 1.3 s for 380,000).
SCAN_ABOVE = 30_000
# With another filter (a publisher, a month, a search), an artist or pair of artists with
# at most this many articles is listed from its index and each of those articles checked
# against the filter; one with more is looked up in mentions for each article the filter
# keeps. Looking up each of one publisher's 125,000 articles at 1,000,000 took 0.1-0.2 s
# per query for an artist with 7 articles (its facets timed out), listing the 7 none.
FEW_ARTICLES = 10_000

# The deferred facets (see the module docstring): the plugin configuration key, the
# request header and argument that ask for the counts in the page, and where the page's
# template finds the names of the facets left to its script.
PLUGIN = "newscrawl-facets"
DEFER_KEY = "defer_above_rows"
INLINE_HEADER = "x-newscrawl-facets"
INLINE_ARG = "_nodefer"
DEFERRED_SCOPE = "newscrawl_deferred_facets"

# A facet past facet_time_limit_ms is only named on the page ("These facets timed out");
# the warning tells an operator which pages degrade as the archive grows.
log = logging.getLogger("newscrawl.datasette")


async def _shape(datasette, database):
    """What the facet and the filter need to know about ``database``, cached: whether it
    is a newscrawl archive, has coverage_monthly, and has an index that serves
    ``article_id`` by ``artist_id`` (then the plain filter is always best)."""
    cache = datasette.__dict__.setdefault("_newscrawl_facets_shape", {})
    db = datasette.databases.get(database)
    if db is None or database == "_internal":
        return {"archive": False}
    key = (database, db.path)
    if key in cache:
        return cache[key]
    tables = set(await db.table_names())
    shape = {
        "archive": {"articles", "mentions", "artists"} <= tables,
        "coverage": "coverage_monthly" in tables,
        "pairs": "co_mention_counts" in tables,
        "monthly": "articles_monthly" in tables,
        "pair_rows": "co_mention_pairs" in tables,
        "covered": False,
    }
    if shape["archive"]:
        indexes = await db.execute("select name from pragma_index_list('mentions')")
        for (name,) in indexes.rows:
            columns = await db.execute(
                "select name from pragma_index_info(:index) order by seqno", {"index": name}
            )
            names = [row[0] for row in columns.rows]
            if names[:1] == ["artist_id"] and "article_id" in names:
                shape["covered"] = True
        # Only a positive answer is final: an empty file may be migrated later.
        cache[key] = shape
    return shape


async def resolve_artists(db, value):
    """The ``(id, name)`` of the artists whose slug, name or alias is ``value``, in any
    case and Unicode normal form (``newscrawl_fold``: NFC, casefolded).

    A value that is exactly an artist's slug names that artist alone: the facet's links
    carry slugs, and a slug may fold to another artist's name or alias (two acts called
    Nirvana, ``nirvana`` and ``nirvana-uk``; a ``shared:`` alias), which would list
    both artists' articles under a link that counted one's."""
    exact = await db.execute("select id, name from artists where id = :v", {"v": value})
    if exact.rows:
        return [(row["id"], row["name"]) for row in exact.rows]
    result = await db.execute(
        "select id, name from artists where newscrawl_fold(:v) in"
        " (newscrawl_fold(id), newscrawl_fold(name))"
        " or exists (select 1 from json_each(case when json_valid(aliases)"
        " then aliases else '[]' end) where newscrawl_fold(value) = newscrawl_fold(:v))"
        " order by id",
        {"v": value},
    )
    return [(row["id"], row["name"]) for row in result.rows]


def _other_filters(request):
    """True when the request filters the table by more than ``_artist=``."""
    for key in request.args:
        if key.startswith("_search") and request.args.get(key):
            return True
        if key in ("_where", "_through") or not key.startswith("_") or "__" in key:
            return True
    return False


ONLY_ARTIST = "newscrawl_only_artist"
_OF_ARTIST = (
    f"exists (select 1 from mentions m where m.article_id = a.id and m.artist_id = :{ONLY_ARTIST})"
)
# Articles of one artist that carry no date: coverage_monthly leaves them out.
_UNDATED_OF_ARTIST = (
    f"select a.source_id from articles a where a.published_month is null and {_OF_ARTIST}"
)


async def only_artist(facet, *needs: str) -> str | None:
    """The artist id when the page lists one artist's articles and nothing narrows them
    further (a single ``?_artist=`` naming one artist: the artist facet's own link), and
    the archive has the precomputed tables ``needs`` names; else None.

    Such a page's facets can be read from coverage_monthly and co_mention_counts instead
    of from each of the artist's articles (400,000 of them for the most covered artist of
    the 1,000,000-article benchmark: every facet timed out)."""
    request = facet.request
    values = request.args.getlist(ARTIST_ARG)
    if facet.table != TABLE or len(values) != 1 or _other_filters(request):
        return None
    shape = await _shape(facet.ds, facet.database)
    if not shape["archive"] or not all(shape[need] for need in needs):
        return None
    artists = await resolve_artists(facet.ds.get_database(facet.database), values[0])
    return artists[0][0] if len(artists) == 1 else None


# Columns whose equality filters (?source_id=..., ?published_month=...) the per-month
# tables can answer, and their names there.
CELL_COLUMNS = {"source_id": "source_id", "published_month": "month"}
CELL_PARAM = "newscrawl_cell_"


def _cells(request, *, artist=False):
    """The page's equality filters on CELL_COLUMNS as {column: value} when nothing else
    narrows its articles ({} for the whole table), else None. With ``artist``, ``?_artist=``
    is left to the caller."""
    cells = {}
    for key in request.args:
        values = request.args.getlist(key)
        column = key.removesuffix("__exact")
        if column in CELL_COLUMNS:
            if len(values) != 1 or column in cells:
                return None
            cells[column] = values[0]
        elif key == "_searchmode":
            continue
        elif key.startswith("_search"):
            if any(values):
                return None
        elif key == ARTIST_ARG and artist:
            continue
        elif key in ("_where", "_through", ARTIST_ARG) or not key.startswith("_") or "__" in key:
            return None
    return cells


def _cell_conditions(cells):
    """``(conditions, params)`` on the per-month tables' columns for ``cells``."""
    where = [f"{CELL_COLUMNS[c]} = :{CELL_PARAM}{CELL_COLUMNS[c]}" for c in cells]
    params = {f"{CELL_PARAM}{CELL_COLUMNS[c]}": value for c, value in cells.items()}
    return where, params


async def only_cells(facet, *needs: str):
    """``(where, params)`` selecting the page's articles from the per-month tables
    (``articles_monthly``, ``coverage_monthly``) when the page is the whole table, one
    publisher's articles (the publisher facet's link), one month's, or one publisher's
    in one month, and the archive has the tables ``needs`` names; else None.

    ``where`` is a condition on those tables' ``source_id`` and ``month`` ("1" for the
    whole table). Their rows leave undated articles out: see :func:`undated`."""
    if facet.table != TABLE:
        return None
    cells = _cells(facet.request)
    if cells is None:
        return None
    shape = await _shape(facet.ds, facet.database)
    if not shape["archive"] or not all(shape[need] for need in needs):
        return None
    where, params = _cell_conditions(cells)
    return " and ".join(where) or "1", params


async def artist_cells(facet):
    """``(where, params)`` selecting the page's articles from coverage_monthly when the page
    lists one artist's articles (as :func:`only_artist`) narrowed by nothing but the
    equality filters of :func:`only_cells` (the publisher and month facets' links from the
    artist's page), and the archive has coverage_monthly; else None.

    ``where`` is a condition on coverage_monthly's ``artist_id``, ``source_id`` and
    ``month``; the artist's undated articles are :func:`undated`'s."""
    values = facet.request.args.getlist(ARTIST_ARG)
    cells = _cells(facet.request, artist=True)
    if facet.table != TABLE or len(values) != 1 or cells is None:
        return None
    shape = await _shape(facet.ds, facet.database)
    if not shape["archive"] or not shape["coverage"]:
        return None
    artists = await resolve_artists(facet.ds.get_database(facet.database), values[0])
    if len(artists) != 1:
        return None
    conditions, params = _cell_conditions(cells)
    params[ONLY_ARTIST] = artists[0][0]
    # Unary + reads the artist's rows by its key and checks the filters on each: SQLite
    # took coverage_monthly_by_source, every artist's rows of the publisher (4,750 against
    # the most covered artist's 760 at 1,000,000 articles, 1.7 ms against 0.1).
    where = [f"artist_id = :{ONLY_ARTIST}", *(f"+{condition}" for condition in conditions)]
    return " and ".join(where), params


def undated(params, select):
    """SQL for ``select`` over the undated articles (alias ``a``) that the page of
    :func:`only_cells` or :func:`artist_cells` ``params`` holds, or None when it holds
    none (a month is chosen)."""
    if f"{CELL_PARAM}month" in params:
        return None
    where = "a.published_month is null"
    if f"{CELL_PARAM}source_id" in params:
        # Unary + keeps SQLite off the source_id index (every article of the publisher,
        # 0.5 s for 125,000): the published_month index finds the few undated ones.
        where += f" and +a.source_id = :{CELL_PARAM}source_id"
    if ONLY_ARTIST in params:
        where += f" and {_OF_ARTIST}"
    return f"select {select} where {where}"


NEXT_ARG = "_next"


def without_cursor(url: str) -> str:
    """``url`` without its ``_next=`` page cursor."""
    parts = urllib.parse.urlsplit(url)
    pairs = urllib.parse.parse_qsl(parts.query, keep_blank_values=True)
    if not any(key == NEXT_ARG for key, _ in pairs):
        return url
    query = urllib.parse.urlencode([(key, value) for key, value in pairs if key != NEXT_ARG])
    return urllib.parse.urlunsplit(parts._replace(query=query))


async def page_selection(facet):
    """``(sql, params)`` of every row the page's filters select, whichever page it is.

    Datasette 0.65 gives a facet the page's SQL, and from page 2 on (``?_next=``) that
    SQL ends with the cursor condition (rows after the previous page's last), so its
    facets counted only the rows from the cursor on. This rebuilds the WHERE clause the
    way Datasette's table view does, from the column filters and the
    ``filters_from_request`` hooks (search, ``_where``, ``_through``, ``_artist``), which
    is the page's SQL up to the cursor condition. Should the two ever disagree (a hook
    that answers differently the second time), the page's SQL is kept as it was."""
    request = facet.request
    if not request.args.get(NEXT_ARG) or not facet.sql or not isinstance(facet.params, dict):
        # Datasette's Facet keeps no parameters as [] (params or []): a page without
        # parameters has no cursor, such as a view's page 2 (views page by offset), where
        # reading them as a dict made every view's page 2 a 500.
        return facet.sql, facet.params
    table = facet.table
    metadata = facet.ds.table_metadata(facet.database, table)
    filter_args = [
        (key, value)
        for key in request.args
        if not (key.startswith("_") and "__" not in key)
        for value in request.args.getlist(key)
    ]
    where, params = Filters(
        sorted(filter_args), metadata.get("units", {}), ureg
    ).build_where_clauses(table)
    for hook in pm.hook.filters_from_request(
        request=request, table=table, database=facet.database, datasette=facet.ds
    ):
        arguments = await await_me_maybe(hook)
        if arguments:
            where.extend(arguments.where_clauses)
            params.update(arguments.params)
    source = f" from {escape_sqlite(table)} "
    if source not in facet.sql:
        return facet.sql, facet.params
    select = facet.sql[: facet.sql.index(source)]
    sql = f"{select}{source}" + (f"where {' and '.join(where)} " if where else "")
    # The page's SQL is this one plus " and <cursor> " (or "where <cursor> ").
    if not facet.sql.startswith(sql.rstrip()) or not params.items() <= facet.params.items():
        return facet.sql, facet.params
    return sql, params


@hookimpl
def filters_from_request(request, database, table, datasette):
    if table != TABLE or ARTIST_ARG not in request.args:
        return None

    async def inner():
        shape = await _shape(datasette, database)
        if not shape["archive"]:
            return None
        db = datasette.get_database(database)
        others = _other_filters(request)
        values = request.args.getlist(ARTIST_ARG)
        resolved = [await resolve_artists(db, value) for value in values]
        pair = _one_pair(resolved) if shape["pair_rows"] else None
        if pair is not None:
            return await _pair_filter(db, pair, others, resolved)
        where, params, described = [], {}, []
        for index, (value, artists) in enumerate(zip(values, resolved, strict=True)):
            if not artists:
                where.append("0")
                described.append(f'mentions artist "{value}" (no such artist)')
                continue
            names = []
            for number, (artist_id, _) in enumerate(artists):
                names.append(f"newscrawl_artist_{index}_{number}")
                params[names[-1]] = artist_id
            wanted = ", ".join(f":{name}" for name in names)
            listed = f"select article_id from mentions where artist_id in ({wanted})"
            if (others or index) and await _few(db, listed, params):
                # Another filter (a search, a column, a first artist) narrows the rows,
                # and this artist has few articles: list them (FEW_ARTICLES).
                where.append(f"id in ({listed})")
            elif others or index:
                # Another filter narrows the rows to fewer, maybe, than this artist's:
                # look each of those up in mentions' (article_id, artist_id) key.
                where.append(
                    "exists (select 1 from mentions where mentions.article_id = articles.id"
                    f" and mentions.artist_id in ({wanted}))"
                )
            else:
                # The artist alone: list its articles from mentions.
                column = "artist_id"
                if not shape["covered"]:
                    popular = await db.execute(
                        "select count(*) from (select 1 from mentions"
                        f" where artist_id in ({wanted}) limit {SCAN_ABOVE + 1})",
                        params,
                    )
                    if popular.single_value() > SCAN_ABOVE:
                        column = "+artist_id"  # not through the (artist_id, salience) index
                where.append(
                    f"id in (select article_id from mentions where {column} in ({wanted}))"
                )
            described.append("mentions artist " + " or ".join(f'"{name}"' for _, name in artists))
        return FilterArguments(where, params, described)

    return inner


async def _few(db, ids_sql, params) -> bool:
    """True when ``ids_sql`` lists at most FEW_ARTICLES rows (counted no further)."""
    count = await db.execute(f"select count(*) from ({ids_sql} limit {FEW_ARTICLES + 1})", params)
    return count.single_value() <= FEW_ARTICLES


def _one_pair(resolved):
    """``(first, second)`` artist ids, in the order co_mention_pairs keeps them, when the
    ``?_artist=`` values name exactly two different artists, one each; else None."""
    if len(resolved) != 2 or any(len(artists) != 1 for artists in resolved):
        return None
    ids = sorted({artists[0][0] for artists in resolved})
    return tuple(ids) if len(ids) == 2 else None


async def _pair_filter(db, pair, others, resolved):
    """The articles about both of two artists, from co_mention_pairs (one row per article
    and pair of its artists, kept by triggers): the two mentions lookups it replaces
    listed all of one much-covered artist's articles and checked each for the other
    (~0.7 s to count Britney Spears and Lady Gaga's at 1,000,000 articles)."""
    params = {"newscrawl_pair_a": pair[0], "newscrawl_pair_b": pair[1]}
    rows = "co_mention_pairs.artist_a = :newscrawl_pair_a and co_mention_pairs.artist_b = :newscrawl_pair_b"
    listed = f"select article_id from co_mention_pairs where {rows}"
    if others and not await _few(db, listed, params):
        # Another filter (a search, a column) narrows the rows, and the two artists
        # share many articles: look each of the filter's up.
        where = (
            "exists (select 1 from co_mention_pairs"
            f" where co_mention_pairs.article_id = articles.id and {rows})"
        )
    else:
        where = f"id in ({listed})"
    described = [f'mentions artist "{artists[0][1]}"' for artists in resolved]
    return FilterArguments([where], params, described)


def facet_name(config: dict) -> str:
    """The column a facet configuration names: ``{"column": ...}`` from a JSON
    ``?_facet_<type>=`` or metadata.yml mapping, ``{"simple": ...}`` from a plain one."""
    return config.get("column") or config["simple"]


# -- one facet per column: a facet asked for by URL on a column a default facet shows ----
#
# The articles table opens with its publisher, artist and month facets (metadata.yml). A
# URL that asks for a facet on one of those columns again (?_facet=source_id, which the
# column menu's "Facet by this" builds; ?_facet_array=artists; ?_facet=published_month;
# ?_facet_publisher=source_id) added a second facet, source_id_2, artists_2, ..., counted
# a second time. Such a request is taken as met by the default facet: Datasette's own
# facet types and these leave it out of their configurations (Facet.get_configs, wrapped
# below), so the column has one facet, the default one, with its own counts and links.

FACET_SIZE_ARG = "_facet_size"


def requested_column(key: str, value: str) -> str | None:
    """The column that the query argument ``key=value`` asks a facet for, or None when it
    asks for none (``_facet_size``, any other argument, a JSON value without a column)."""
    if not key.startswith("_facet") or key == FACET_SIZE_ARG:
        return None
    if key != "_facet" and not key.startswith("_facet_"):
        return None
    if value.startswith("{"):
        try:
            config = json.loads(value)
        except ValueError:
            return None
        return config.get("column") if isinstance(config, dict) else None
    return value


def default_facet_columns(metadata) -> set[str]:
    """The columns the table's default facets (its metadata's ``facets:``) show."""
    columns = set()
    for config in (metadata or {}).get("facets") or []:
        if isinstance(config, dict) and len(config) == 1:
            (config,) = config.values()  # {type: column} or {type: {"column": ...}}
        if isinstance(config, dict):
            config = config.get("column") or config.get("simple")
        if isinstance(config, str):
            columns.add(config)
    return columns


def without_absorbed(configs, metadata):
    """``configs`` (Facet.get_configs) without those a URL asked for on a column that a
    default facet already shows: that column's facet is the default one."""
    if not any(c["source"] == "request" for c in configs):
        return configs
    defaults = default_facet_columns(metadata)
    return [
        c
        for c in configs
        if c["source"] != "request"
        or not isinstance(c["config"], dict)
        or (c["config"].get("column") or c["config"].get("simple")) not in defaults
    ]


def facet_toggle_path(facet, name: str) -> str:
    """The facet's own link (its ✖ when it is hideable): the page without the URL's
    requests for this facet (``_facet_<type>=name``), and, for a default facet, without
    every request for its column that it answers (``?_facet=source_id``, ...)."""
    absorbs = name in default_facet_columns(facet.metadata)
    own = f"_facet_{facet.type}"
    pairs = [
        (key, value)
        for key, value in urllib.parse.parse_qsl(facet.request.query_string, keep_blank_values=True)
        if requested_column(key, value) != name or not (absorbs or key == own)
    ]
    query = urllib.parse.urlencode(pairs)
    return facet.ds.urls.path(facet.request.path + (f"?{query}" if query else ""))


def one_facet_per_default_column(get_configs):
    def wrapped(self):
        return without_absorbed(get_configs(self), self.metadata)

    wrapped.newscrawl_one_facet_per_column = True
    return wrapped


def no_default_column_suggested(suggest):
    # With suggest_facets on, Datasette suggested ?_facet=source_id, ?_facet_array=artists,
    # ...: a link to the default facet that the page already shows.
    async def wrapped(self):
        defaults = default_facet_columns(self.metadata)
        return [s for s in await suggest(self) if s.get("name") not in defaults]

    wrapped.newscrawl_one_facet_per_column = True
    return wrapped


# Once per process: Datasette executes this file again for every Datasette it builds.
if not getattr(Facet.get_configs, "newscrawl_one_facet_per_column", False):
    Facet.get_configs = one_facet_per_default_column(Facet.get_configs)
for _suggesting in (ColumnFacet, ArrayFacet, DateFacet):
    if not getattr(_suggesting.suggest, "newscrawl_one_facet_per_column", False):
        _suggesting.suggest = no_default_column_suggested(_suggesting.suggest)


class StartsEarly(Facet):
    """A facet whose queries start as soon as Datasette creates it.

    Datasette 0.65.5 awaits the facets one after another (it stopped gathering them,
    simonw/datasette#2189, a hang with named in-memory databases), so a page waited for
    the sum of its facet queries. Datasette creates every facet object before it awaits
    the first; starting the work here lets these facets run on the other SQL threads
    while Datasette's own column facets run, and the page waits for the slowest.
    """

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._task = None
        args = self.request.args
        if args.get("_nofacet") or args.get("_shape") in ("array", "object"):
            return  # Datasette will not ask (CSV export, ?_shape=array)
        if not self.get_configs():
            return
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            return
        self._task = loop.create_task(self._results())
        # Datasette may never ask (an error page): do not log an unretrieved error.
        self._task.add_done_callback(lambda task: task.cancelled() or task.exception())

    def get_configs(self):
        # Once per facet name: ?_facet_month=word_count twice. A request on top of the
        # default facet (?_facet_artist=artists) is already left out (without_absorbed).
        configs, names = [], set()
        for source_and_config in super().get_configs():
            config = source_and_config["config"]
            name = facet_name(config)
            if name not in names:
                names.add(name)
                configs.append(source_and_config)
        return configs

    async def compute(self):
        raise NotImplementedError

    def deferred(self) -> bool:
        """True when this facet's counts are left to the page's script (module docstring):
        called only where no precomputed table answers the facet."""
        request = self.request
        if request.url_vars.get("format") is not None:
            return False  # JSON, CSV, ...: the counts are part of the response
        if request.headers.get(INLINE_HEADER) == "inline":
            return False
        if request.args.get(INLINE_ARG):
            return False
        if self.others_in_the_page():
            return False
        above = defer_above_rows(self.ds, self.database, self.table)
        if above is None:
            return False
        # No count (?_nocount=1, or it ran out of time): as large as it gets.
        return self.row_count is None or self.row_count > above

    def others_in_the_page(self) -> bool:
        """True when the page also has facets of Datasette's own types (``?_facet=language``,
        ``_facet_array=tags``, ``_facet_date=first_seen_at``). Datasette counts those in
        the page, so it waits for a count over every matching row anyway, and a block
        fetched after it would have come beside theirs: two facet blocks, one facet in
        both. Ours are then counted alongside theirs, as on any page."""
        registered = {kind.type for kinds in pm.hook.register_facet_classes() for kind in kinds}
        ours = {kind.type for kind in register_facet_classes()}
        configs = load_facet_configs(self.request, self.metadata)
        # One asked for on a column a default facet shows is not there (without_absorbed).
        return any(
            without_absorbed(configs.get(kind) or [], self.metadata) for kind in registered - ours
        )

    def defer(self):
        """Leave the counts to the page's script: no results, the facet named for the
        template (_newscrawl_deferred_facets.html), which shows the note and the script."""
        names = self.request.scope.setdefault(DEFERRED_SCOPE, [])
        for source_and_config in self.get_configs():
            name = facet_name(source_and_config["config"])
            if name not in names:
                names.append(name)
        return [], []

    async def _results(self):
        # Count the whole selection (not from page 2's cursor on), and link to first pages.
        self.sql, self.params = await page_selection(self)
        results, timed_out = await self.compute()
        for result in results:
            result["toggle_url"] = without_cursor(result["toggle_url"])
            for value in result["results"]:
                value["toggle_url"] = without_cursor(value["toggle_url"])
        return results, timed_out

    async def run_facet_query(self, sql, params):
        """Rows of ``sql`` within Datasette's facet time limit, or None when it ran out."""
        try:
            return await self.ds.execute(
                self.database,
                sql,
                params,
                truncate=False,
                custom_time_limit=self.ds.setting("facet_time_limit_ms"),
            )
        except QueryInterrupted:
            return None

    async def facet_results(self):
        if self._task is None:
            results, timed_out = await self._results()
        else:
            results, timed_out = await self._task
        if timed_out:
            query = self.request.query_string
            log.warning(
                "facet %s of %s/%s left off the page: past facet_time_limit_ms (%s ms) on %s",
                ", ".join(timed_out),
                self.database,
                self.table,
                self.ds.setting("facet_time_limit_ms"),
                self.request.path + (f"?{query}" if query else ""),
            )
        return results, timed_out


class CoverageColumnFacet(StartsEarly, ColumnFacet):
    """A column facet that starts early (the same counts, links such as
    ``?published_month=2024-03`` and time limit as Datasette's), and that reads the counts
    of the pages :func:`artist_cells` and :func:`only_cells` name from the per-month tables."""

    column = ""
    """The articles column whose counts ``cells_sql`` gives."""

    def cells_sql(self, table: str, where: str, params: dict, limit: int) -> str:
        """``value, count`` rows of the articles that ``where`` selects from ``table``
        (``coverage_monthly`` for :func:`artist_cells`, ``articles_monthly`` for
        :func:`only_cells`)."""
        raise NotImplementedError

    def _columns(self):
        return [facet_name(c["config"]) for c in self.get_configs()]

    async def suggest(self):
        return []  # Datasette's column facet suggests columns

    async def compute(self):
        limit = self.get_facet_size() + 1
        table = selection = None
        if all(column == self.column for column in self._columns()):
            table, selection = "coverage_monthly", await artist_cells(self)
            if selection is None:
                table, selection = "articles_monthly", await only_cells(self, "monthly")
        if selection is not None:
            where, params = selection
            results, timed_out = await self.precomputed_results(
                self.cells_sql(table, where, params, limit), params
            )
        elif self.deferred():
            return self.defer()
        else:
            results, timed_out = await ColumnFacet.facet_results(self)
        for result in results:
            # ColumnFacet's link that hides the facet names ?_facet=, not ?_facet_<type>=.
            result["toggle_url"] = facet_toggle_path(self, result["name"])
        return results, timed_out

    async def precomputed_results(self, sql, params):
        # ColumnFacet.facet_results, with the counts from ``sql`` (the per-month tables).
        results, timed_out = [], []
        pairs = self.get_querystring_pairs()
        size = self.get_facet_size()
        for source_and_config in self.get_configs():
            column = facet_name(source_and_config["config"])
            rows = await self.run_facet_query(sql, params)
            if rows is None:
                timed_out.append(column)
                continue
            shown = rows.rows[:size]
            labels = await self.ds.expand_foreign_keys(
                self.database, self.table, column, [row["value"] for row in shown]
            )
            values = []
            for row in shown:
                value = str(row["value"])
                selected = (column, value) in pairs
                change = path_with_removed_args if selected else path_with_added_args
                values.append(
                    {
                        "value": row["value"],
                        "label": labels.get((column, row["value"]), row["value"]),
                        "count": row["count"],
                        "toggle_url": self.ds.absolute_url(
                            self.request, self.ds.urls.path(change(self.request, {column: value}))
                        ),
                        "selected": selected,
                    }
                )
            results.append(
                {
                    "name": column,
                    "type": self.type,
                    "hideable": source_and_config["source"] != "metadata",
                    "toggle_url": "",
                    "results": values,
                    "truncated": len(rows.rows) > size,
                }
            )
        return results, timed_out


class MonthFacet(CoverageColumnFacet):
    """Articles per month of publication (``published_month``)."""

    type = "month"
    column = "published_month"

    def cells_sql(self, table, where, params, limit):
        return f"""
            select month as value, sum(articles) as count from {table}
            where {where}
            group by month order by count desc, value limit {limit}
        """


class PublisherFacet(CoverageColumnFacet):
    """Articles per publisher (``source_id``)."""

    type = "publisher"
    column = "source_id"

    def cells_sql(self, table, where, params, limit):
        rest = undated(params, "a.source_id, 1 from articles a")
        return f"""
            select source_id as value, sum(n) as count from (
              select source_id, articles as n from {table} where {where}
              {f"union all {rest}" if rest else ""}
            )
            group by source_id order by count desc, value limit {limit}
        """


class ArtistFacet(StartsEarly):
    """Articles per artist, counted in ``mentions`` for the page's filtered articles."""

    type = "artist"

    async def _applies(self):
        return self.table == TABLE and (await _shape(self.ds, self.database))["archive"]

    async def suggest(self):
        if self.get_configs() or not await self._applies():
            return []
        path = path_with_added_args(self.request, {"_facet_artist": "artists"})
        return [
            {
                "name": "artists",
                "type": self.type,
                "toggle_url": self.ds.absolute_url(self.request, self.ds.urls.path(path)),
            }
        ]

    def _facet_sql(self, limit, artist_id=None, cells=None):
        if artist_id is not None:
            # One artist's articles: the artists they mention are its co_mention_counts
            # row range; the artist itself, all of them (dated and undated).
            counts = f"""
                select other_artist_id as artist_id, articles as count
                from co_mention_counts where artist_id = :{ONLY_ARTIST}
                union all
                select :{ONLY_ARTIST}, (
                  select coalesce(sum(articles), 0) from coverage_monthly
                  where artist_id = :{ONLY_ARTIST}
                ) + (select count(*) from ({_UNDATED_OF_ARTIST}))
            """
        elif cells is not None:
            # The whole table, or one publisher's or month's articles: coverage_monthly
            # already holds, per artist, month and publisher, the number of dated
            # articles mentioning the artist (kept by triggers); add the undated ones
            # from mentions.
            where, params = cells
            rest = undated(
                params,
                "m.artist_id, 1 from articles a cross join mentions m on m.article_id = a.id",
            )
            counts = f"""
                select artist_id, sum(n) as count from (
                  select artist_id, articles as n from coverage_monthly where {where}
                  {f"union all {rest}" if rest else ""}
                ) group by artist_id
            """
        else:
            # A join, not "article_id in (select id ...)": SQLite flattens it into one
            # loop over the page's articles with a mentions key lookup each, where the IN
            # form first copied every matching id into a temporary index (1,000,000
            # articles: a 50,000-match search's facet 136 -> 113 ms alone).
            counts = f"""
                select m.artist_id, count(*) as count
                from ({self.sql}) as page join mentions m on m.article_id = page.id
                group by m.artist_id
            """
        return f"""
            select f.artist_id as value, coalesce(a.name, f.artist_id) as label, f.count
            from ({counts} order by count desc, artist_id limit {limit}) as f
            left join artists a on a.id = f.artist_id
            order by f.count desc, f.artist_id
        """

    async def compute(self):
        results, timed_out = [], []
        configs = self.get_configs()
        if not configs or not await self._applies():
            return results, timed_out
        facet_size = self.get_facet_size()
        # What is selected: each _artist= value with the artists it names, and each
        # artists__arraycontains= value (a canonical name).
        db = self.ds.get_database(self.database)
        chosen = []
        for key, value in self.get_querystring_pairs():
            if key == ARTIST_ARG:
                ids = {artist_id for artist_id, _ in await resolve_artists(db, value)}
                chosen.append(((key, value), lambda artist_id, _, ids=ids: artist_id in ids))
            elif key == ARRAY_ARG:
                chosen.append(((key, value), lambda _, label, v=value: label == v))
        artist_id = await only_artist(self, "coverage", "pairs")
        cells = None if artist_id is not None else await only_cells(self, "coverage")
        if artist_id is None and cells is None and self.deferred():
            return self.defer()
        if artist_id is not None:
            params = {ONLY_ARTIST: artist_id}
        else:
            params = cells[1] if cells is not None else self.params
        for source_and_config in configs:
            config = source_and_config["config"]
            name = facet_name(config)
            rows = await self.run_facet_query(
                self._facet_sql(facet_size + 1, artist_id, cells), params
            )
            if rows is None:
                timed_out.append(name)
                continue
            values = [
                self._value(row["value"], row["label"], row["count"], chosen)
                for row in rows.rows[:facet_size]
            ]
            results.append(
                {
                    "name": name,
                    "type": self.type,
                    "hideable": source_and_config["source"] != "metadata",
                    "toggle_url": facet_toggle_path(self, name),
                    "results": values,
                    "truncated": len(rows.rows) > facet_size,
                }
            )
        return results, timed_out

    def _value(self, artist_id, label, count, chosen):
        # Selected when an argument names it; its link then removes those arguments
        # (and any _next=: the page it pointed into is another listing).
        selected = [pair for pair, names in chosen if names(artist_id, label)]
        if selected:
            path = self.request.path
            query = [
                pair
                for pair in urllib.parse.parse_qsl(self.request.query_string)
                if pair not in selected and pair[0] != "_next"
            ]
            path += ("?" + urllib.parse.urlencode(query)) if query else ""
        else:
            path = path_with_added_args(self.request, {ARTIST_ARG: artist_id, "_next": None})
        return {
            "value": artist_id,
            "label": label,
            "count": count,
            "toggle_url": self.ds.absolute_url(self.request, self.ds.urls.path(path)),
            "selected": bool(selected),
        }


def defer_above_rows(datasette, database, table) -> int | None:
    """The ``defer_above_rows`` of the table's ``newscrawl-facets`` plugin configuration
    (None: never defer); checked at startup (:func:`startup`)."""
    config = datasette.plugin_config(PLUGIN, database=database, table=table) or {}
    return config.get(DEFER_KEY)


def config_location(datasette, database) -> str:
    """Where metadata.yml holds the ``newscrawl-facets`` configuration that applies to
    ``database``'s articles table, for an error message. Datasette reads the first
    ``plugins:`` of the table, the database and the top level; an archive's table and
    database are written under ``plugins: newscrawl: database:``
    (newscrawl_metadata.py), unless a ``databases: <name>:`` entry says otherwise."""
    local = getattr(datasette, "_metadata_local", None) or {}
    template = ((local.get("plugins") or {}).get("newscrawl") or {}).get("database") or {}
    explicit = (local.get("databases") or {}).get(database) or {}

    def articles(block):
        return (block.get("tables") or {}).get(TABLE) or {}

    places = [
        (f"databases: {database}: tables: {TABLE}: ", articles(explicit)),
        (f"plugins: newscrawl: database: tables: {TABLE}: ", articles(template)),
        (f"databases: {database}: ", explicit),
        ("plugins: newscrawl: database: ", template),
        ("", local),
    ]
    applied = datasette.plugin_config(PLUGIN, database=database, table=TABLE)
    for prefix, block in places:
        plugins = block.get("plugins") or {}
        if PLUGIN in plugins and plugins[PLUGIN] == applied:
            return f"{prefix}plugins: {PLUGIN}"
    return f"plugins: {PLUGIN}"


@hookimpl
def startup(datasette):
    def check():
        for name in datasette.databases:
            config = datasette.plugin_config(PLUGIN, database=name, table=TABLE)
            if config is None:
                continue
            where = config_location(datasette, name)
            if not isinstance(config, dict):
                raise StartupError(f"{where}: expected a mapping, got {config!r}")
            unknown = sorted(str(key) for key in config if key != DEFER_KEY)
            if unknown:
                # A misspelt key would otherwise leave the counts never deferred.
                raise StartupError(
                    f"{where}: {', '.join(unknown)}: unknown key (the one key is {DEFER_KEY})"
                )
            value = config.get(DEFER_KEY)
            if value is not None and (
                isinstance(value, bool) or not isinstance(value, int) or value < 0
            ):
                raise StartupError(
                    f"{where}: {DEFER_KEY}: expected a whole number of rows (0 or more),"
                    f" or null to never defer, got {value!r}"
                )

    return check


@hookimpl
def extra_template_vars(template, database, table, view_name, datasette):
    """``newscrawl_default_facet_columns`` for _table.html: the columns the table's default
    facets show, which its column menu is not to offer to "Facet by this"."""
    if view_name != "table" or not table:
        return None
    columns = default_facet_columns(datasette.table_metadata(database, table))
    return {"newscrawl_default_facet_columns": sorted(columns)}


@hookimpl
def asgi_wrapper(datasette):
    """``Vary: X-Newscrawl-Facets`` on HTML responses: a page and the same page asked
    for with its facet counts differ, so a cache in front of a published archive must
    not answer the script's request with the page it came from."""

    def wrap(app):
        async def with_vary(scope, receive, send):
            if scope.get("type") != "http":
                await app(scope, receive, send)
                return

            async def sending(message):
                if message["type"] == "http.response.start":
                    headers = list(message.get("headers") or [])
                    kind = next((v for k, v in headers if k.lower() == b"content-type"), b"")
                    if kind.startswith(b"text/html"):
                        headers.append((b"vary", INLINE_HEADER.encode("ascii")))
                        message = {**message, "headers": headers}
                await send(message)

            await app(scope, receive, sending)

        return with_vary

    return wrap


# Last: Datasette's own facet classes (column, date, array) keep their places.
@hookimpl(trylast=True)
def register_facet_classes():
    return [ArtistFacet, MonthFacet, PublisherFacet]
