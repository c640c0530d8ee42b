"""Coverage charts, drawn as SVG on the server.

``/-/charts/<database>`` shows two charts: articles per month for each artist (lines for
up to three artists, a heatmap for more), and each artist's coverage split by publisher
(stacked bars), each with the numbers behind it in a table. ``?artist=`` (name, slug or
alias, in any case: ``newscrawl_fold()`` of newscrawl_search.py; repeatable) narrows both.
``/-/charts/<database>/coverage.svg`` and ``.../publishers.svg`` serve the bare images.

Plain SVG built here rather than a JavaScript charting library: it renders offline,
under a strict Content-Security-Policy, in a published copy and in a screenshot, with
nothing to vendor. Every label is escaped.

Self-contained (standard library and Datasette only) so that ``datasette publish ...
--plugins-dir archive/plugins`` works without installing newscrawl.
"""

import json
import logging
import math
import re

from datasette import hookimpl
from datasette.database import QueryInterrupted
from datasette.utils import tilde_decode, tilde_encode
from datasette.utils.asgi import NotFound, Response
from datasette.views.base import DatasetteError
from markupsafe import Markup, escape

CHARTS_ROUTE = r"^/-/charts/(?P<database>[^/]+)$"
SVG_ROUTE = r"^/-/charts/(?P<database>[^/]+)/(?P<chart>coverage|publishers)\.svg$"
# Tableau 10: distinguishable, and readable on white.
PALETTE = (
    "#4e79a7",
    "#f28e2b",
    "#e15759",
    "#76b7b2",
    "#59a14f",
    "#edc948",
    "#b07aa1",
    "#ff9da7",
    "#9c755f",
    "#bab0ac",
)
MAX_ARTISTS = 10
# The same logger as the facets' time-outs: an operator sees which pages degrade.
log = logging.getLogger("newscrawl.datasette")
LINE_CHART_MAX_ARTISTS = 3
FONT = 'font-family="system-ui, sans-serif" font-size="12"'

# A wanted value that is exactly a slug names that artist alone (as ?_artist= and the
# canned queries take it): the page's links to those queries carry slugs, and a slug may
# fold to another artist's name or alias (two acts called Nirvana, a shared alias).
ARTIST_FILTER = """
  (select count(*) from json_each(:artists)) = 0
  or exists (
    select 1 from json_each(:artists) as wanted
    where artists.id = wanted.value
       or (not exists (select 1 from artists as exact where exact.id = wanted.value)
           and (newscrawl_fold(wanted.value)
                  in (newscrawl_fold(artists.id), newscrawl_fold(artists.name))
                or exists (select 1 from json_each(artists.aliases) as alias
                           where newscrawl_fold(alias.value) = newscrawl_fold(wanted.value))))
  )
"""


_MONTH = re.compile(r"\d{4}-(?:0[1-9]|1[0-2])")


def months_between(first, last):
    """Every YYYY-MM from ``first`` to ``last`` inclusive (gaps are zero, not skipped)."""
    year, month = int(first[:4]), int(first[5:7])
    end = (int(last[:4]), int(last[5:7]))
    out = []
    while (year, month) <= end and len(out) < 1200:
        out.append(f"{year:04d}-{month:02d}")
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return out


def nice_max(value):
    """A round axis maximum at or above ``value`` (1..5, then 10, 20, 25, 50, 100, ...)."""
    if value <= 5:
        return max(1, math.ceil(value))
    magnitude = 10 ** math.floor(math.log10(value))
    for multiple in (1, 2, 2.5, 5, 10):
        if multiple * magnitude >= value:
            return int(multiple * magnitude)
    return int(10 * magnitude)


LEGEND_CHARS = 32


def legend_width(names):
    """Room for the legend: a swatch and the longest (shortened) name, ~7px a character."""
    longest = max([len(_short(n)) for n in names] + [8])
    return 30 + 7 * longest


def _short(name):
    return name if len(name) <= LEGEND_CHARS else name[: LEGEND_CHARS - 1] + "…"


def _legend(names, x, y):
    parts = []
    for index, name in enumerate(names):
        colour = PALETTE[index % len(PALETTE)]
        top = y + index * 20
        parts.append(
            f'<rect x="{x}" y="{top}" width="12" height="12" fill="{colour}"/>'
            f'<text x="{x + 18}" y="{top + 10}" {FONT}><title>{escape(name)}</title>'
            f"{escape(_short(name))}</text>"
        )
    return "".join(parts)


def line_chart(months, series, *, title):
    """Articles per month, one line per artist. ``series``: [(name, [count per month])]."""
    left, top, bottom, plot_w, plot_h = 48, 28, 56, 560, 236
    width = left + plot_w + 24 + legend_width([name for name, _ in series])
    height = top + plot_h + bottom
    peak = nice_max(max([max(counts, default=0) for _, counts in series] + [1]))
    step = plot_w / max(1, len(months) - 1)

    def xy(i, count):
        x = left + (i * step if len(months) > 1 else plot_w / 2)
        return round(x, 1), round(top + plot_h - plot_h * count / peak, 1)

    parts = [
        f'<svg class="newscrawl-chart" data-chart="coverage" xmlns="http://www.w3.org/2000/svg"'
        f' viewBox="0 0 {width} {height}" width="{width}" height="{height}" role="img"'
        f' aria-label="{escape(title)}"><title>{escape(title)}</title>',
        f'<rect x="0" y="0" width="{width}" height="{height}" fill="#fff"/>',
    ]
    ticks = sorted({0, peak // 2, peak} if peak > 1 else {0, peak})
    for tick in ticks:
        _, y = xy(0, tick)
        parts.append(
            f'<line x1="{left}" x2="{left + plot_w}" y1="{y}" y2="{y}" stroke="#ddd"/>'
            f'<text x="{left - 6}" y="{y + 4}" text-anchor="end" {FONT}>{tick}</text>'
        )
    label_every = max(1, math.ceil(len(months) / 12))
    for i, month in enumerate(months):
        if i % label_every == 0:
            x, _ = xy(i, 0)
            parts.append(
                f'<text x="{x}" y="{top + plot_h + 18}" text-anchor="middle" {FONT}>'
                f"{escape(month)}</text>"
            )
    parts.append(f'<text x="{left}" y="{top - 10}" {FONT} fill="#555">articles per month</text>')
    for index, (name, counts) in enumerate(series):
        colour = PALETTE[index % len(PALETTE)]
        points = [xy(i, count) for i, count in enumerate(counts)]
        path = " ".join(f"{'M' if i == 0 else 'L'}{x},{y}" for i, (x, y) in enumerate(points))
        parts.append(
            f'<path class="series" data-artist="{escape(name)}" d="{path}" fill="none"'
            f' stroke="{colour}" stroke-width="2.5"/>'
        )
        for (x, y), month, count in zip(points, months, counts, strict=True):
            parts.append(
                f'<circle cx="{x}" cy="{y}" r="3.5" fill="{colour}"><title>'
                f"{escape(name)}, {escape(month)}: {count} article"
                f"{'' if count == 1 else 's'}</title></circle>"
            )
    parts.append(_legend([name for name, _ in series], left + plot_w + 24, top))
    parts.append("</svg>")
    return Markup("".join(parts))


def heatmap(months, series, *, title):
    """Articles per month as a grid: a row per artist, a column per month, darker = more.

    Reads better than overlapping lines once there are more than a few artists or the
    coverage is sparse. ``series``: [(name, [count per month])].
    """
    top, cell_h = 48, 24
    cell_w = max(6.0, min(40.0, 620 / max(1, len(months))))
    left = legend_width([name for name, _ in series]) - 10
    width = round(left + cell_w * len(months) + 20)
    height = top + cell_h * len(series) + 36
    peak = max([max(counts, default=0) for _, counts in series] + [1])
    parts = [
        f'<svg class="newscrawl-chart" data-chart="coverage" xmlns="http://www.w3.org/2000/svg"'
        f' viewBox="0 0 {width} {height}" width="{width}" height="{height}" role="img"'
        f' aria-label="{escape(title)}"><title>{escape(title)}</title>',
        f'<rect x="0" y="0" width="{width}" height="{height}" fill="#fff"/>',
        f'<text x="{left}" y="14" {FONT} fill="#555">articles per month (darkest = {peak})</text>',
    ]
    label_every = max(1, math.ceil(56 / cell_w))
    for i, month in enumerate(months):
        if i % label_every == 0:
            parts.append(
                f'<text x="{round(left + i * cell_w, 1)}" y="{top - 8}" {FONT}>'
                f"{escape(month)}</text>"
            )
    for row, (name, counts) in enumerate(series):
        y = top + row * cell_h
        parts.append(
            f'<text x="{left - 8}" y="{y + cell_h / 2 + 4}" text-anchor="end" {FONT}>'
            f"<title>{escape(name)}</title>{escape(_short(name))}</text>"
        )
        for i, (month, count) in enumerate(zip(months, counts, strict=True)):
            x = round(left + i * cell_w, 1)
            # Blue scaled by count; an empty month stays a faint grey square.
            fill = f"rgba(78,121,167,{0.2 + 0.8 * count / peak:.2f})" if count else "#f1f1f1"
            parts.append(
                f'<rect class="cell" data-artist="{escape(name)}" x="{x}" y="{y + 1}"'
                f' width="{round(cell_w - 2, 1)}" height="{cell_h - 2}" fill="{fill}">'
                f"<title>{escape(name)}, {escape(month)}: {count} article"
                f"{'' if count == 1 else 's'}</title></rect>"
            )
            if count and cell_w >= 18:
                colour = "#fff" if count / peak > 0.5 else "#111"
                parts.append(
                    f'<text x="{round(x + (cell_w - 2) / 2, 1)}" y="{y + cell_h / 2 + 5}"'
                    f' text-anchor="middle" {FONT} fill="{colour}">{count}</text>'
                )
    parts.append("</svg>")
    return Markup("".join(parts))


def empty_chart(kind, message, *, title):
    """A chart with nothing to draw: a frame saying ``message``."""
    width, height = 480, 80
    return Markup(
        f'<svg class="newscrawl-chart" data-chart="{escape(kind)}" data-empty="true"'
        f' xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" width="{width}"'
        f' height="{height}" role="img" aria-label="{escape(title)}">'
        f"<title>{escape(title)}</title>"
        f'<rect x="0" y="0" width="{width}" height="{height}" fill="#fff" stroke="#ddd"/>'
        f'<text x="{width // 2}" y="{height // 2 + 4}" text-anchor="middle" {FONT}'
        f' fill="#555">{escape(message)}</text></svg>'
    )


def coverage_chart(months, series, *, title):
    """Lines for a few artists, a heatmap for more (see :func:`heatmap`); an empty chart
    when there is no artist or no dated article to draw."""
    if not months or not series:
        message = "no dated articles to draw" if series else "no articles to draw"
        return empty_chart("coverage", message, title=title)
    chart = line_chart if len(series) <= LINE_CHART_MAX_ARTISTS else heatmap
    return chart(months, series, title=title)


def stacked_bars(rows, publishers, *, title):
    """Coverage per artist split by publisher. ``rows``: [(artist, {publisher: count})]."""
    if not rows:
        return empty_chart("publishers", "no articles to draw", title=title)
    top, bar_h, gap, plot_w = 28, 22, 10, 460
    left = legend_width([artist for artist, _ in rows]) - 10
    width = left + plot_w + 34 + legend_width(publishers)
    height = max(top + len(rows) * (bar_h + gap), top + len(publishers) * 20) + 30
    peak = nice_max(max([sum(counts.values()) for _, counts in rows] + [1]))
    parts = [
        f'<svg class="newscrawl-chart" data-chart="publishers" xmlns="http://www.w3.org/2000/svg"'
        f' viewBox="0 0 {width} {height}" width="{width}" height="{height}" role="img"'
        f' aria-label="{escape(title)}"><title>{escape(title)}</title>',
        f'<rect x="0" y="0" width="{width}" height="{height}" fill="#fff"/>',
        f'<text x="{left}" y="{top - 10}" {FONT} fill="#555">articles, by publisher</text>',
    ]
    colour_of = {p: PALETTE[i % len(PALETTE)] for i, p in enumerate(publishers)}
    for row_index, (artist, counts) in enumerate(rows):
        y = top + row_index * (bar_h + gap)
        parts.append(
            f'<text x="{left - 8}" y="{y + bar_h / 2 + 4}" text-anchor="end" {FONT}>'
            f"<title>{escape(artist)}</title>{escape(_short(artist))}</text>"
        )
        x = float(left)
        total = sum(counts.values())
        for publisher in publishers:
            count = counts.get(publisher, 0)
            if not count:
                continue
            w = round(plot_w * count / peak, 1)
            share = round(100 * count / total)
            parts.append(
                f'<rect class="segment" x="{round(x, 1)}" y="{y}" width="{w}" height="{bar_h}"'
                f' fill="{colour_of[publisher]}"><title>{escape(artist)}: {count} article'
                f"{'' if count == 1 else 's'} from {escape(publisher)} ({share}%)</title></rect>"
            )
            x += w
        parts.append(f'<text x="{round(x, 1) + 6}" y="{y + bar_h / 2 + 4}" {FONT}>{total}</text>')
    parts.append(_legend(publishers, left + plot_w + 34, top))
    parts.append("</svg>")
    return Markup("".join(parts))


async def chart_data(datasette, database, wanted):
    """Monthly counts per artist and counts per artist and publisher, top artists first."""
    db = datasette.get_database(database)
    # Articles per artist and publisher, dated ones from coverage_monthly (the per-month
    # table the triggers keep) and undated ones counted from their few rows: counting
    # every mention took 1.3 s of the 3 s time limit at 1,000,000 articles, this 20 ms.
    # Publishers are grouped by name, as the bars show them.
    per_publisher = (
        await db.execute(
            f"""
            with wanted as (select id from artists where {ARTIST_FILTER}),
            counted as (
              select artist_id, source_id, articles from coverage_monthly
              where artist_id in (select id from wanted)
              union all
              -- cross join: from the undated articles to their mentions (the planner
              -- otherwise reads every mention of the artists to find the undated few)
              select mentions.artist_id, articles.source_id, 1
              from articles cross join mentions on mentions.article_id = articles.id
              where articles.published_month is null
                and mentions.artist_id in (select id from wanted)
            )
            select counted.artist_id, artists.name,
                   coalesce(sources.name, counted.source_id) as publisher,
                   sum(counted.articles) as articles
            from counted
            join artists on artists.id = counted.artist_id
            left join sources on sources.id = counted.source_id
            group by counted.artist_id, publisher
            order by publisher
            """,
            {"artists": json.dumps(list(wanted))},
        )
    ).rows
    totals: dict[str, int] = {}
    names = {}
    for row in per_publisher:
        totals[row["artist_id"]] = totals.get(row["artist_id"], 0) + row["articles"]
        names[row["artist_id"]] = row["name"]
    ids = sorted(totals, key=lambda a: (-totals[a], names[a]))[:MAX_ARTISTS]
    shown = set(ids)
    by_publisher = [row for row in per_publisher if row["artist_id"] in shown]
    id_list = {"ids": json.dumps(ids)}
    monthly = (
        await db.execute(
            "select artist_id, month, sum(articles) as articles from coverage_by_month"
            " where artist_id in (select value from json_each(:ids))"
            " group by artist_id, month order by month",
            id_list,
        )
    ).rows
    undated = (
        await db.execute(
            "select count(distinct articles.id) from mentions"
            " join articles on articles.id = mentions.article_id"
            " where articles.published_month is null"
            " and mentions.artist_id in (select value from json_each(:ids))",
            id_list,
        )
    ).rows[0][0]
    # The store writes ISO dates; a hand-edited published_at ("March 2025") gives a
    # published_month that is no month: left off the chart rather than failing it.
    months = sorted({row["month"] for row in monthly if _MONTH.fullmatch(row["month"] or "")})
    months = months_between(months[0], months[-1]) if months else []
    series = []
    for artist_id in ids:
        counts = dict.fromkeys(months, 0)
        for row in monthly:
            if row["artist_id"] == artist_id and row["month"] in counts:
                counts[row["month"]] = row["articles"]
        series.append((names[artist_id], [counts[m] for m in months]))
    publishers = sorted({row["publisher"] for row in by_publisher})
    bars = []
    for artist_id in ids:
        counts = {
            row["publisher"]: row["articles"]
            for row in by_publisher
            if row["artist_id"] == artist_id
        }
        bars.append((names[artist_id], counts))
    return {
        "months": months,
        "series": series,
        "publishers": publishers,
        "bars": bars,
        "undated": undated,
        "artist_ids": ids,
    }


async def unknown_artists(datasette, database, wanted):
    """The asked-for names that are no artist of the archive (name, slug or alias, in any
    case): a typo otherwise read "No articles mention Brtiney", an answer that looks real."""
    db = datasette.get_database(database)
    unknown = []
    for name in wanted:  # a handful at most: one small query each, the charts' own filter
        known = await db.execute(
            f"select exists(select 1 from artists where {ARTIST_FILTER})",
            {"artists": json.dumps([name])},
        )
        if not known.rows[0][0]:
            unknown.append(name)
    return unknown


async def timed_chart_data(datasette, request, database, wanted):
    """:func:`chart_data`, or Datasette's error page for a query past the time limit (a
    400 saying so, as Datasette answers a table query that ran out; it was a 500 with a
    traceback in the log), with a warning in the log."""
    try:
        return await chart_data(datasette, database, wanted)
    except QueryInterrupted:
        limit = datasette.setting("sql_time_limit_ms")
        query = request.query_string
        log.warning(
            "charts of %s left off: past sql_time_limit_ms (%s ms) on %s",
            database,
            limit,
            request.path + (f"?{query}" if query else ""),
        )
        raise DatasetteError(
            f"The charts took longer than sql_time_limit_ms ({limit} ms) allows."
            " The monthly_coverage and publisher_share queries give the same numbers"
            " for one artist.",
            title="Charts interrupted",
            status=400,
        ) from None


async def _checked_database(datasette, request):
    database = tilde_decode(request.url_vars["database"])
    db = datasette.databases.get(database)
    if db is None or database == "_internal" or not await db.table_exists("mentions"):
        raise NotFound(f"Database not found: {database}")
    await datasette.ensure_permissions(
        request.actor,
        [("view-table", (database, "mentions")), ("view-database", database), "view-instance"],
    )
    return database


def _wanted(request):
    return [a.strip() for a in request.args.getlist("artist") if a.strip()]


async def charts_page(datasette, request):
    database = await _checked_database(datasette, request)
    wanted = _wanted(request)
    data = await timed_chart_data(datasette, request, database, wanted)
    unknown = await unknown_artists(datasette, database, wanted)
    scope = ", ".join(wanted) if wanted else f"top {MAX_ARTISTS} artists"
    context = {
        "database": database,
        "wanted": wanted,
        "unknown": unknown,
        "data": data,
        "coverage_svg": coverage_chart(
            data["months"], data["series"], title=f"Articles per month ({scope})"
        )
        if data["series"] and data["months"]
        else None,
        "publishers_svg": stacked_bars(
            data["bars"], data["publishers"], title=f"Coverage by publisher ({scope})"
        )
        if data["bars"]
        else None,
        "database_url": datasette.urls.database(database),
        "charts_url": datasette.urls.path(f"/-/charts/{tilde_encode(database)}"),
    }
    return Response.html(
        await datasette.render_template("newscrawl_charts.html", context, request=request)
    )


async def chart_svg(datasette, request):
    database = await _checked_database(datasette, request)
    data = await timed_chart_data(datasette, request, database, _wanted(request))
    if request.url_vars["chart"] == "coverage":
        svg = coverage_chart(data["months"], data["series"], title="Articles per month")
    else:
        svg = stacked_bars(data["bars"], data["publishers"], title="Coverage by publisher")
    return Response(str(svg), content_type="image/svg+xml; charset=utf-8")


@hookimpl
def register_routes(datasette):
    return [(CHARTS_ROUTE, charts_page), (SVG_ROUTE, chart_svg)]


@hookimpl
def menu_links(datasette, actor, request):
    async def inner():
        links = []
        for name, db in datasette.databases.items():
            if name == "_internal" or db.is_memory:
                continue
            if await db.table_exists("mentions") and await db.table_exists("articles"):
                links.append(
                    {
                        "href": datasette.urls.path(f"/-/charts/{tilde_encode(name)}"),
                        "label": f"Coverage charts: {name}",
                    }
                )
        return links

    return inner
