"""The release's descriptions: Frictionless ``datapackage.json`` and ``DATACARD.md``."""

from __future__ import annotations

import re
import shlex
import sqlite3
from pathlib import Path
from typing import TYPE_CHECKING, Any

from newscrawl import __version__
from newscrawl.export.fields import Table
from newscrawl.export.writers import FORMATS

if TYPE_CHECKING:
    from newscrawl.export import ExportedFile
    from newscrawl.export.selection import Selection

LICENSE = {
    "name": "other-closed",
    "title": "Article text, titles and snippets remain the copyright of their publishers; "
    "see DATACARD.md",
}
RIGHTS = """\
- Article titles, descriptions, bodies and mention snippets are the work of their
  publishers and authors and remain their copyright. They are included for research
  (text and data mining, criticism, review); check the law that applies to you and the
  publishers' terms before redistributing them.
- For a release to share widely, export with `--no-body`: it keeps URLs, metadata, artist
  tags, salience and short snippets, but no body or description text. Titles and
  snippets are still quoted text; remove them too if your policy requires.
- The derived data (artist tags, salience, counts, crawl metadata) was produced by
  newscrawl; the publisher of this release decides its licence.
- In newscrawl's bundled demo archive every publisher and article is fictional apart
  from one real seed article."""
LIMITATIONS = """\
- Artists are tagged by matching their names and aliases from the watchlist: a namesake
  can be tagged, and a mention by a nickname that is not on the watchlist is missed.
  `salience` separates articles about an artist from passing mentions, but it is a
  heuristic score, not a judgement.
- Dates are as the publisher gave them (ISO 8601, in the publisher's offset when given);
  date filters compare the publisher's local date. Undated articles are left out of any
  date filter and counted as `undated` below.
- Coverage is what the crawl found and kept: see the archive's `drops` table (the
  coverage ledger) for URLs found but not archived, and why."""


def table_schema(table: Table, *, include_body: bool) -> dict[str, Any]:
    """The Table Schema of one file of the release."""
    fields = []
    for spec in table.fields_for(include_body=include_body):
        entry: dict[str, Any] = {
            "name": spec.name,
            "type": spec.type,
            "description": spec.description,
        }
        if spec.required:
            entry["constraints"] = {"required": True}
        if spec.name == "published_month":
            entry["constraints"] = {"pattern": r"\d{4}-\d{2}"}
        if spec.name == "salience":
            entry["constraints"] = {"minimum": 0, "maximum": 1}
        fields.append(entry)
    schema: dict[str, Any] = {
        "fields": fields,
        "primaryKey": list(table.primary_key),
        "missingValues": [""],
    }
    if table.foreign_keys:
        schema["foreignKeys"] = [
            {"fields": [f], "reference": {"resource": other, "fields": [other_field]}}
            for f, other, other_field in table.foreign_keys
        ]
    return schema


def datapackage(
    *,
    db_name: str,
    tables: tuple[Table, ...],
    files: list[ExportedFile],
    selection: Selection,
    fmt: str,
    created: str,
) -> dict[str, Any]:
    """The ``datapackage.json`` descriptor of the release."""
    name = re.sub(r"[^a-z0-9._-]+", "-", f"newscrawl-{Path(db_name).stem}".lower()).strip("-")
    resources = []
    for table, exported in zip(tables, files, strict=True):
        resource: dict[str, Any] = {
            "name": table.name,
            "path": exported.name,
            "profile": "tabular-data-resource",
            "description": table.description,
            "format": fmt,
            "mediatype": FORMATS[fmt]["mediatype"],
            "bytes": exported.bytes,
            "hash": f"sha256:{exported.sha256}",
            "schema": table_schema(table, include_body=selection.include_body),
        }
        if fmt != "parquet":
            resource["encoding"] = "utf-8"
        if fmt == "csv":
            resource["dialect"] = {"delimiter": ",", "doubleQuote": True, "header": True}
        resources.append(resource)
    filters = selection.describe() or ["everything in the archive (no filters)"]
    return {
        "profile": "tabular-data-package",
        "name": name,
        "title": f"newscrawl export of {db_name}",
        "description": (
            "Entertainment-news articles about watched artists, archived by newscrawl. "
            "Selection: " + "; ".join(f.replace("`", "") for f in filters) + ". See DATACARD.md."
        ),
        "created": created,
        "version": "1.0.0",
        "keywords": ["news", "entertainment", "artists", "newscrawl"],
        "licenses": [LICENSE],
        "sources": [{"title": f"newscrawl archive {db_name}"}],
        "newscrawl": {
            "version": __version__,
            "format": fmt,
            "include_body": selection.include_body,
        },
        "resources": resources,
    }


def _table(header: list[str], rows: list[tuple]) -> str:
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    for row in rows:
        cells = [str(c).replace("|", "\\|").replace("\n", " ") for c in row]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def command_line(db: Path, out_dir: Path, selection: Selection, fmt: str) -> str:
    """The ``newscrawl export`` command that selects the same release."""
    args = ["newscrawl", "export", "--db", str(db)]
    for name in selection.artists:
        args += ["--artist", name]
    for source in selection.sources:
        args += ["--source", source]
    for option, value in (
        ("--since", selection.since),
        ("--until", selection.until),
        ("--search", selection.search),
    ):
        if value:
            args += [option, value]
    if selection.min_salience is not None:
        args += ["--min-salience", str(selection.min_salience)]
    if not selection.include_body:
        args.append("--no-body")
    args += ["--format", fmt, "-o", str(out_dir)]
    return shlex.join(args)


def _runs_phrase(count: int, started: str | None, finished: str | None, unfinished: int) -> str:
    ends = [f"the first started {started}"]
    if finished:
        ends.append(f"the last to finish finished {finished}")
    if unfinished:
        ends.append(
            f"{unfinished} never finished (still running, or stopped by a crash or kill; "
            "their articles are as of the last batch they committed)"
        )
    return f"{count} crawl run(s): " + "; ".join(ends)


def crawl_window(runs, all_runs) -> str:
    """The data card's crawl-window line. ``runs``: count, first id, last id, first
    start, last finish, unfinished, over the runs that last wrote the selected articles;
    ``all_runs``: count, first start, last finish, unfinished, over the archive."""
    archive = (
        f"The archive holds {_runs_phrase(all_runs[0], all_runs[1], all_runs[2], all_runs[3])}."
        if all_runs[0]
        else "The archive records no crawl run."
    )
    if not runs[0]:
        return f"- Crawl window: no crawl run wrote the selected articles. {archive}"
    return (
        f"- Crawl window: the selected articles were last written by "
        f"{_runs_phrase(runs[0], runs[3], runs[4], runs[5])} (ids {runs[1]} to {runs[2]}). "
        f"{archive}"
    )


def datacard(
    conn: sqlite3.Connection,
    *,
    db: Path,
    out_dir: Path,
    selection: Selection,
    files: list[ExportedFile],
    fmt: str,
    created: str,
    absent: dict[str, frozenset[str]] | None = None,
) -> str:
    """``DATACARD.md``: what was selected and how, what is in it, and what it may be used for."""
    q = conn.execute
    per_artist = q(
        "select coalesce(ar.name, m.artist_id), m.artist_id, count(*), round(avg(m.salience), 3)"
        " from mentions m left join artists ar on ar.id = m.artist_id"
        " where m.article_id in (select id from temp.selected)"
        " group by m.artist_id order by count(*) desc, m.artist_id"
    ).fetchall()
    per_source = q(
        "select a.source_id, coalesce(s.name, ''), count(*) from articles a"
        " left join sources s on s.id = a.source_id where a.id in (select id from temp.selected)"
        " group by a.source_id order by count(*) desc, a.source_id"
    ).fetchall()
    per_month = q(
        "select coalesce(published_month, 'undated'), count(*) from articles"
        " where id in (select id from temp.selected) group by 1 order by 1"
    ).fetchall()
    versions = q(
        "select coalesce(extractor_version, 'unknown'), count(*) from articles"
        " where id in (select id from temp.selected) group by 1 order by 1"
    ).fetchall()
    published = q(
        "select min(published_at), max(published_at), min(first_seen_at), max(fetched_at)"
        " from articles where id in (select id from temp.selected)"
    ).fetchone()
    # An unfinished run (still running, or stopped by a crash or kill) has no finish
    # time: it is counted as such, never given its start time as an end.
    runs = q(
        "select count(*), min(id), max(id), min(started_at), max(finished_at),"
        " count(*) - count(finished_at) from crawl_runs"
        " where id in (select run_id from articles where id in (select id from temp.selected))"
    ).fetchone()
    all_runs = q(
        "select count(*), min(started_at), max(finished_at), count(*) - count(finished_at)"
        " from crawl_runs"
    ).fetchone()
    filters = selection.describe()
    counts = {f.name.split(".")[0]: f.rows for f in files}
    parts = [
        f"# Data card: newscrawl export of `{db.name}`",
        "",
        f"Created {created} by newscrawl {__version__} from the archive `{db.name}`, "
        f"as {fmt.upper() if fmt != 'jsonl' else 'JSON Lines'} files described by "
        "`datapackage.json` (Frictionless Data Package: a Table Schema per file, with "
        "types, descriptions, primary and foreign keys).",
        "",
        "## What was selected",
        "",
        *(
            ["Articles matching all of:", "", *[f"- {line}" for line in filters]]
            if filters
            else ["Every article in the archive (no filters)."]
        ),
        "",
        "Mentions are all mentions of the selected articles (so co-mentioned artists are "
        "kept); artists and sources are those the selected rows refer to, plus any asked for.",
        "",
        "To make the same selection again:",
        "",
        "```",
        command_line(db, out_dir, selection, fmt),
        "```",
        "",
        "## Files",
        "",
        _table(
            ["file", "rows", "bytes", "sha256"],
            [(f"`{f.name}`", f.rows, f.bytes, f"`{f.sha256}`") for f in files],
        ),
        "",
        "## Coverage",
        "",
        f"{counts.get('articles', 0)} articles, {counts.get('mentions', 0)} mentions of "
        f"{len(per_artist)} artists, from {len(per_source)} publishers.",
        "",
        "### Articles per artist",
        "",
        _table(["artist", "id", "articles", "mean salience"], per_artist)
        if per_artist
        else "(none)",
        "",
        "### Articles per publisher",
        "",
        _table(["publisher", "name", "articles"], per_source) if per_source else "(none)",
        "",
        "### Articles per month of publication",
        "",
        _table(["month", "articles"], per_month) if per_month else "(none)",
        "",
        "## How the data was collected",
        "",
        crawl_window(runs, all_runs),
        (
            f"- Articles first archived from {published[2]}, last fetched {published[3]}; "
            + (
                f"published from {published[0]} to {published[1]}."
                if published[0]
                else "none has a publication date."
            )
            if counts.get("articles")
            else "- No articles were selected."
        ),
        *(
            f"- `{name}` is empty in `{table}`: the archive was made by an older newscrawl,"
            " before it kept that column, and has not been opened for writing since."
            for table, names in (absent or {}).items()
            for name in sorted(names)
        ),
        "- Extractor version(s): "
        + (", ".join(f"`{v}` ({n} articles)" for v, n in versions) if versions else "none")
        + ".",
        "- Pages were found through the publishers' sitemaps, feeds and listing pages, "
        "fetched politely (robots.txt obeyed), turned into article records with per-field "
        "provenance (`provenance` column) and tagged with the watched artists they mention.",
        "",
        "## Licence and rights",
        "",
        RIGHTS,
        "",
        "## Known limitations",
        "",
        LIMITATIONS,
        "",
    ]
    return "\n".join(parts)
