"""Turn export filters into a set of article ids, every value a bound SQL parameter.

Artist and publisher names are resolved in Python against the archive's own tables
(casefolded: canonical name, slug or alias), so a name that matches nothing is an error
naming it, never an empty release that looks like a real answer.
"""

from __future__ import annotations

import json
import re
import sqlite3
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date

from newscrawl.errors import NewscrawlError

_DATE = re.compile(r"^\d{4}(-\d{2}(-\d{2})?)?$")


def name_key(name: str) -> str:
    """How asked names are compared with the archive's: Unicode-normalised (a decomposed
    "Beyonce\u0301" is "Beyoncé"), whitespace folded, casefolded."""
    return " ".join(unicodedata.normalize("NFC", name).split()).casefold()


@dataclass
class Selection:
    """The filters of a release, as asked and as resolved."""

    artists: tuple[str, ...] = ()
    sources: tuple[str, ...] = ()
    since: str | None = None
    until: str | None = None
    search: str | None = None
    min_salience: float | None = None
    include_body: bool = True
    artist_ids: dict[str, list[str]] = field(default_factory=dict)
    """Each --artist value → the artist ids it resolved to."""
    source_ids: dict[str, list[str]] = field(default_factory=dict)
    """Each --source value → the source ids it resolved to."""

    def describe(self) -> list[str]:
        """The filters as Markdown list items (for the data card)."""
        lines = []
        # Repeated --artist (or --source) values widen the selection: any of them.
        artists = [
            f"`{asked}` → {', '.join(f'`{i}`' for i in ids)}"
            for asked, ids in self.artist_ids.items()
        ]
        if artists:
            lines.append(
                ("mentions artist " if len(artists) == 1 else "mentions any of the artists ")
                + "; ".join(artists)
            )
        sources = [
            f"`{asked}` → {', '.join(f'`{i}`' for i in ids)}"
            for asked, ids in self.source_ids.items()
        ]
        if sources:
            lines.append(
                ("from publisher " if len(sources) == 1 else "from any of the publishers ")
                + "; ".join(sources)
            )
        if self.since:
            lines.append(f"published on or after `{self.since}`")
        if self.until:
            lines.append(f"published on or before `{self.until}` (inclusive)")
        if self.search:
            lines.append(f"full-text match (FTS5) `{self.search}`")
        if self.min_salience is not None:
            who = "a selected artist" if self.artists else "any watched artist"
            lines.append(f"salience of {who} at least `{self.min_salience}`")
        if not self.include_body:
            lines.append("no body or description text (`--no-body`)")
        return lines


def check_date(option: str, value: str | None) -> str | None:
    """``value`` when it is YYYY, YYYY-MM or YYYY-MM-DD, else a one-line error."""
    if value is None or value == "":
        return None
    value = value.strip()
    ok = bool(_DATE.match(value))
    if ok:
        year, month, day = (value.split("-") + ["01", "01"])[:3]
        try:
            date(int(year), int(month), int(day))
        except ValueError:
            ok = False
    if not ok:
        raise NewscrawlError(f"{option}: {value!r} is not a date (YYYY-MM-DD, YYYY-MM or YYYY)")
    return value


def resolve_artists(conn: sqlite3.Connection, asked: Sequence[str]) -> dict[str, list[str]]:
    """Map each asked name (canonical name, slug or alias, any case) to artist ids."""
    index: dict[str, set[str]] = {}
    for artist_id, name, aliases in conn.execute("select id, name, aliases from artists"):
        try:
            alias_list = json.loads(aliases) if aliases else []
        except ValueError:
            alias_list = []
        for term in [artist_id, name, *(a for a in alias_list if isinstance(a, str))]:
            if term:
                index.setdefault(name_key(term), set()).add(artist_id)
    resolved, unknown = {}, []
    for name in asked:
        ids = index.get(name_key(name))
        if ids:
            resolved[name] = sorted(ids)
        else:
            unknown.append(name)
    if unknown:
        names = ", ".join(repr(n) for n in unknown)
        raise NewscrawlError(
            f"--artist: unknown artist {names} (not a name, slug or alias in the artists table)"
        )
    return resolved


def resolve_sources(conn: sqlite3.Connection, asked: Sequence[str]) -> dict[str, list[str]]:
    """Map each asked publisher (id or name, any case) to its source ids.

    An id is exact: that publisher only. A name selects every publisher of that name:
    renaming a publisher's id in sources.yml leaves the old row, with its articles, beside
    the new one, and the two share the name."""
    by_id: dict[str, str] = {}
    by_name: dict[str, set[str]] = {}
    for source_id, name in conn.execute("select id, name from sources"):
        if source_id:
            by_id.setdefault(name_key(source_id), source_id)
        if name:
            by_name.setdefault(name_key(name), set()).add(source_id)
    resolved, unknown = {}, []
    for value in asked:
        key = name_key(value)
        if key in by_id:
            resolved[value] = [by_id[key]]
        elif key in by_name:
            resolved[value] = sorted(by_name[key])
        else:
            unknown.append(value)
    if unknown:
        names = ", ".join(repr(n) for n in unknown)
        raise NewscrawlError(
            f"--source: unknown publisher {names} (not an id or name in the sources table)"
        )
    return resolved


def check_search(conn: sqlite3.Connection, query: str) -> None:
    """A one-line error when FTS5 cannot run ``query``. SQLite's messages vary with the
    mistake ("fts5: syntax error", "no such column: star" for ``co-star``, "unknown
    special query"), so the query is tried on its own rather than matched by message."""
    try:
        conn.execute(
            "select count(*) from articles_fts where articles_fts match ?", [query]
        ).fetchone()
    except sqlite3.OperationalError as error:
        raise NewscrawlError(
            f"--search: {query!r} is not a valid full-text query ({error}); FTS5 syntax: "
            "put words with hyphens, colons or other punctuation in double quotes, e.g. '\"co-star\"'"
        ) from None


def select_articles(conn: sqlite3.Connection, selection: Selection) -> int:
    """Fill ``temp.selected`` (and the artist / source tables) and return the article count.

    Every filter value is a bound parameter; only fixed SQL fragments are joined.
    """
    conn.execute("create temp table selected (id integer primary key)")
    conn.execute("create temp table selected_artists (id text primary key)")
    conn.execute("create temp table selected_sources (id text primary key)")
    where, params = ["1"], {}
    if selection.source_ids:
        where.append("a.source_id in (select value from json_each(:sources))")
        ids = sorted({i for found in selection.source_ids.values() for i in found})
        params["sources"] = json.dumps(ids)
    if selection.since:
        where.append("a.published_at >= :since")
        params["since"] = selection.since
    if selection.until:
        where.append("substr(a.published_at, 1, length(:until)) <= :until")
        params["until"] = selection.until
    if selection.search:
        where.append("a.id in (select rowid from articles_fts where articles_fts match :search)")
        params["search"] = selection.search
    mention = []
    if selection.artist_ids:
        ids = sorted({i for found in selection.artist_ids.values() for i in found})
        mention.append("m.artist_id in (select value from json_each(:artists))")
        params["artists"] = json.dumps(ids)
    if selection.min_salience is not None:
        mention.append("m.salience >= :min_salience")
        params["min_salience"] = float(selection.min_salience)
    if mention:
        where.append(
            "exists (select 1 from mentions m where m.article_id = a.id and "
            + " and ".join(mention)
            + ")"
        )
    if selection.search:
        check_search(conn, selection.search)
    sql = "insert into temp.selected (id) select a.id from articles a where " + " and ".join(where)
    conn.execute(sql, params)
    conn.execute(
        "insert or ignore into temp.selected_artists (id) select distinct artist_id from mentions"
        " where article_id in (select id from temp.selected)"
    )
    conn.executemany(
        "insert or ignore into temp.selected_artists (id) values (?)",
        [(i,) for found in selection.artist_ids.values() for i in found],
    )
    conn.execute(
        "insert or ignore into temp.selected_sources (id) select distinct source_id from articles"
        " where id in (select id from temp.selected)"
    )
    conn.executemany(
        "insert or ignore into temp.selected_sources (id) values (?)",
        [(i,) for found in selection.source_ids.values() for i in found],
    )
    return conn.execute("select count(*) from temp.selected").fetchone()[0]
