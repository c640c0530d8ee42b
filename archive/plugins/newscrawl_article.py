"""The article page, and the cell renderers that lead to it.

``/-/article/<database>/<id>`` shows one archived article the way a reader wants it:
title, byline, dates, publisher, the original link, the artists it mentions with their
salience, and the body with every occurrence of an artist's name or alias in a
``<mark>``. Everything in an article was scraped from the web, so all of it is treated
as hostile text: the body is split at the matches on the *raw* text and every piece is
escaped on its own, so the only markup on the page is the markup written here; links are
made only from ``http``/``https`` URLs, anything else is shown as text.

Self-contained (standard library and Datasette only) so that ``datasette publish ...
--plugins-dir archive/plugins`` works without installing newscrawl.
"""

import json
import re
from urllib.parse import urlsplit

from datasette import hookimpl
from datasette.utils import tilde_decode, tilde_encode
from datasette.utils.asgi import NotFound, Response
from markupsafe import Markup, escape

ARTICLE_ROUTE = r"^/-/article/(?P<database>[^/]+)/(?P<id>[0-9]+)$"
# Highlighted columns of canned queries (search_articles): FTS5 highlight()/snippet()
# wrap matches in these two tags, which alone survive escaping.
MARK_OPEN, MARK_CLOSE = "<mark>", "</mark>"
HIGHLIGHT_COLUMNS = ("snippet",)
HIGHLIGHT_SUFFIX = "_highlighted"
# Views and tables whose article_id column gets a link to the article page: they have no
# foreign key for Datasette to link (a view has none; co_mention_pairs, the table behind
# co_mentions, declares none), where tables such as mentions link to the articles row page.
ARTICLE_ID_LINKED = ("co_mentions", "co_mention_pairs")
ARTIST_COLOURS = 8
# SQLite integers are 64-bit: a larger id in a URL is no article (and would not bind).
MAX_ID = 2**63 - 1


def article_path(datasette, database, article_id):
    """The URL path of the article page."""
    return datasette.urls.path(f"/-/article/{tilde_encode(database)}/{int(article_id)}")


def safe_http_url(value):
    """``value`` when it is an absolute http(s) URL, else None (never linked)."""
    if not isinstance(value, str):
        return None
    value = value.strip()
    try:
        parts = urlsplit(value)
    except ValueError:
        return None
    if parts.scheme.lower() not in ("http", "https") or not parts.netloc:
        return None
    if any(ch in value for ch in "\x00\r\n\t "):
        return None
    return value


def json_dict(value):
    """A JSON object column as a dict ({} for NULL or anything else)."""
    try:
        parsed = json.loads(value) if isinstance(value, str) else None
    except ValueError:
        return {}
    return parsed if isinstance(parsed, dict) else {}


def json_list(value):
    """A JSON array column as a list of strings; a non-JSON value as a one-item list."""
    if value in (None, ""):
        return []
    try:
        parsed = json.loads(value)
    except (TypeError, ValueError):
        return [str(value)]
    if isinstance(parsed, list):
        return [str(item) for item in parsed if item not in (None, "")]
    return [str(parsed)]


def _term_pattern(term):
    # Names match in any case ("BRITNEY SPEARS" in a headline); a one-word alias only as
    # written, so an alias that is also an ordinary word ("Swift") is not marked in
    # "a swift reply". Any run of whitespace matches the space in a name.
    pattern = r"\s+".join(re.escape(word) for word in term.split())
    return f"(?i:{pattern})" if len(term.split()) > 1 else pattern


def build_matcher(artists):
    """A regex over every artist's name and aliases, and the map from term to artist.

    ``artists`` is a list of dicts with ``id``, ``name`` and ``aliases`` (a list). The
    map is keyed by the casefolded term; longer terms are tried first, so
    "Britney Spears" wins over "Britney".
    """
    terms = {}
    for index, artist in enumerate(artists):
        for term in [artist["name"], *artist.get("aliases", [])]:
            term = " ".join((term or "").split())
            if len(term) >= 2 and term.casefold() not in terms:
                terms[term.casefold()] = (term, index)
    if not terms:
        return None, {}
    ordered = sorted(terms.values(), key=lambda item: (-len(item[0]), item[0]))
    alternation = "|".join(_term_pattern(term) for term, _ in ordered)
    owner = {key: index for key, (_, index) in terms.items()}
    return re.compile(rf"(?<!\w)(?:{alternation})(?!\w)"), owner


def highlight(text, artists, matcher=None):
    """``text`` escaped, with each artist name/alias in a ``<mark>``; returns Markup.

    The text is split at the matches *before* escaping and each piece is escaped on its
    own, so a name can never combine with scraped characters into markup. ``matcher`` is
    :func:`build_matcher`'s result for ``artists``, when the caller already has it.
    """
    text = text or ""
    pattern, owner = matcher or build_matcher(artists)
    if pattern is None:
        return escape(text)
    out = []
    last = 0
    for match in pattern.finditer(text):
        key = " ".join(match.group(0).split()).casefold()
        index = owner.get(key)
        if index is None:
            continue
        artist = artists[index]
        out.append(str(escape(text[last : match.start()])))
        out.append(
            '<mark class="artist artist-{colour}" data-artist="{id}" title="{name}">'
            "{text}</mark>".format(
                colour=artist.get("colour", index) % ARTIST_COLOURS,
                id=escape(artist["id"]),
                name=escape(artist["name"]),
                text=escape(match.group(0)),
            )
        )
        last = match.end()
    out.append(str(escape(text[last:])))
    return Markup("".join(out))


def paragraphs(body, artists):
    """The body as a list of highlighted paragraphs (split at blank lines)."""
    matcher = build_matcher(artists)
    parts = re.split(r"\n\s*\n", (body or "").strip())
    return [highlight(part.strip(), artists, matcher) for part in parts if part.strip()]


def mark(artist, text):
    return (
        '<mark class="artist artist-{colour}" data-artist="{id}" title="{name}">'
        "{text}</mark>".format(
            colour=artist.get("colour", 0) % ARTIST_COLOURS,
            id=escape(artist["id"]),
            name=escape(artist["name"]),
            text=escape(text),
        )
    )


def field_marks(artists, field):
    """(start, end, artist) of every counted mention in ``field``, in order: the places
    the tagger stored (``mentions.spans``), so the page marks exactly what was counted."""
    marks = []
    for artist in artists:
        for place in (artist.get("spans") or {}).get(field) or ():
            if (
                isinstance(place, list)
                and len(place) == 2
                and all(isinstance(n, int) for n in place)
                and 0 <= place[0] < place[1]
            ):
                marks.append((place[0], place[1], artist))
    marks.sort(key=lambda m: (m[0], -m[1]))
    return marks


def highlight_at(text, marks, offset=0):
    """``text`` escaped, with ``marks`` (start, end, artist; offsets into the field,
    ``offset`` where ``text`` starts in it) wrapped in ``<mark>``; returns Markup."""
    out, last = [], 0
    for start, end, artist in marks:
        start, end = start - offset, end - offset
        if start < last or end > len(text):
            continue  # overlapping or outside this text (never from the tagger)
        out.append(str(escape(text[last:start])))
        out.append(mark(artist, text[start:end]))
        last = end
    out.append(str(escape(text[last:])))
    return Markup("".join(out))


def paragraphs_at(body, marks):
    """The body split at blank lines, each paragraph with the marks that fall in it."""
    body = body or ""
    out, start = [], 0
    for gap in [*re.finditer(r"\n\s*\n", body), None]:
        end = gap.start() if gap else len(body)
        piece = body[start:end]
        lead = len(piece) - len(piece.lstrip())
        text = piece.strip()
        if text:
            begin = start + lead
            inside = [m for m in marks if begin <= m[0] and m[1] <= begin + len(text)]
            out.append(highlight_at(text, inside, begin))
        if gap:
            start = gap.end()
    return out


def has_spans(artists):
    """True when every mention of the article has its stored places (mentions tagged
    before mentions.spans existed have none: their names and aliases are matched)."""
    return bool(artists) and all(artist.get("spans") for artist in artists)


def marks_only(value):
    """Escape ``value`` but keep bare ``<mark>``/``</mark>`` tags (FTS5 highlights)."""
    escaped = str(escape(value))
    escaped = escaped.replace(str(escape(MARK_OPEN)), MARK_OPEN)
    escaped = escaped.replace(str(escape(MARK_CLOSE)), MARK_CLOSE)
    # Close any mark left open so it cannot spill into the next cell.
    unclosed = escaped.count(MARK_OPEN) - escaped.count(MARK_CLOSE)
    return Markup(escaped + MARK_CLOSE * max(0, unclosed))


def known_archive(datasette, database) -> bool:
    """True when :func:`is_archive` has already found ``database`` to be an archive."""
    return database in datasette.__dict__.get("_newscrawl_archives", ())


async def is_archive(datasette, database):
    """True when ``database`` is attached and has the newscrawl tables."""
    known = datasette.__dict__.setdefault("_newscrawl_archives", set())
    if database in known:
        return True
    db = datasette.databases.get(database)
    if db is None or database == "_internal":
        return False
    found = await db.table_exists("articles") and await db.table_exists("mentions")
    if found:
        # Only positive answers are kept: an empty file may be migrated later.
        known.add(database)
    return found


async def load_article(datasette, database, article_id):
    """Everything the article page shows, or None when there is no such article."""
    if not -MAX_ID - 1 <= article_id <= MAX_ID:
        return None
    db = datasette.get_database(database)
    rows = (await db.execute("select * from articles where id = ?", [article_id])).rows
    if not rows:
        return None
    article = dict(rows[0])
    source = (
        await db.execute(
            "select id, name, homepage from sources where id = ?", [article["source_id"]]
        )
    ).rows
    mentions = (
        await db.execute(
            # m.* : an archive served without migrating may predate mentions.spans
            "select m.*, coalesce(a.name, m.artist_id) as name, a.aliases"
            " from mentions m left join artists a on a.id = m.artist_id"
            " where m.article_id = ? order by m.salience desc, name",
            [article_id],
        )
    ).rows
    artists = [
        {
            "id": row["artist_id"],
            "name": row["name"],
            "aliases": json_list(row["aliases"]),
            "salience": row["salience"],
            "count": row["count"],
            "in_title": bool(row["in_title"]),
            "colour": index,
            "spans": json_dict(dict(row).get("spans")),
        }
        for index, row in enumerate(mentions)
    ]
    if has_spans(artists):
        title_html = highlight_at(
            article.get("title") or "(untitled)", field_marks(artists, "title")
        )
        description_html = highlight_at(
            article.get("description") or "", field_marks(artists, "description")
        )
        body_html = paragraphs_at(article.get("body"), field_marks(artists, "body"))
    else:
        title_html = highlight(article.get("title") or "(untitled)", artists)
        description_html = highlight(article.get("description") or "", artists)
        body_html = paragraphs(article.get("body"), artists)
    publisher = dict(source[0]) if source else {"id": article["source_id"], "name": None}
    publisher["homepage_link"] = safe_http_url(publisher.get("homepage"))
    return {
        "article": article,
        "article_id": article_id,
        "title_html": title_html,
        "authors": json_list(article.get("authors")),
        "tags": json_list(article.get("tags")),
        "publisher": publisher,
        "original_url": article.get("url"),
        "original_link": safe_http_url(article.get("url")),
        "canonical_url": article.get("canonical_url"),
        "canonical_link": safe_http_url(article.get("canonical_url")),
        "artists": artists,
        "description_html": description_html,
        "paragraphs": body_html,
        "row_url": datasette.urls.row(database, "articles", str(article_id)),
        "revisions_url": datasette.urls.database(database)
        + f"/article_revisions?article_id={int(article_id)}",
        "database_url": datasette.urls.database(database),
        "charts_url": datasette.urls.path(f"/-/charts/{tilde_encode(database)}"),
    }


async def article_page(datasette, request):
    database = tilde_decode(request.url_vars["database"])
    article_id = int(request.url_vars["id"])
    if not await is_archive(datasette, database):
        raise NotFound(f"Database not found: {database}")
    await datasette.ensure_permissions(
        request.actor,
        [("view-table", (database, "articles")), ("view-database", database), "view-instance"],
    )
    context = await load_article(datasette, database, article_id)
    if context is None:
        raise NotFound(f"Article not found: {article_id}")
    context.update(database=database, table="articles")
    return Response.html(
        await datasette.render_template("newscrawl_article.html", context, request=request)
    )


@hookimpl
def register_routes(datasette):
    return [(ARTICLE_ROUTE, article_page)]


@hookimpl
def render_cell(row, value, column, table, database, datasette):
    if table is None and isinstance(value, str):
        # Query results: FTS5 highlights. Safe for any query: only bare mark tags survive.
        if column in HIGHLIGHT_COLUMNS or column.endswith(HIGHLIGHT_SUFFIX):
            return marks_only(value)
        return None
    if table == "articles" and column == "title" and isinstance(value, str):
        try:
            article_id = row["id"]
        except (IndexError, KeyError):
            return None
    elif (
        (table is None or table in ARTICLE_ID_LINKED)
        and column == "article_id"
        and isinstance(value, int)
    ):
        article_id, value = value, str(value)
    else:
        return None

    if not isinstance(article_id, int):
        return None

    def link():
        # f-string and escape(): Markup.format (string.Formatter) cost more than the
        # rest of the cell, 200 times per page of search_articles.
        href = escape(article_path(datasette, database, article_id))
        return Markup(f'<a href="{href}">{escape(value)}</a>')

    if known_archive(datasette, database):
        return link()  # known to be an archive: no coroutine to await per cell

    async def checked_link():
        return link() if await is_archive(datasette, database) else None

    return checked_link()


@hookimpl
def extra_template_vars(template, database, table, view_name, request, datasette):
    if template != "row.html" or table != "articles" or request is None:
        return None

    async def inner():
        try:
            article_id = int(tilde_decode(request.url_vars.get("pks", "")))
        except ValueError:
            return {}
        context = await load_article(datasette, database, article_id)
        if context is None:
            return {}
        context["article_url"] = article_path(datasette, database, article_id)
        return {"newscrawl": context}

    return inner


@hookimpl
def table_actions(datasette, actor, database, table, request):
    if table not in ("articles", "artists", "mentions"):
        return None
    return [
        {
            "href": datasette.urls.path(f"/-/charts/{tilde_encode(database)}"),
            "label": "Coverage charts",
        }
    ]


@hookimpl
def database_actions(datasette, actor, database, request):
    async def inner():
        if not await is_archive(datasette, database):
            return None
        return [
            {
                "href": datasette.urls.path(f"/-/charts/{tilde_encode(database)}"),
                "label": "Coverage charts",
            }
        ]

    return inner
