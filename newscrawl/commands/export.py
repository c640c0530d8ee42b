"""``newscrawl export``: write a dataset release of (a slice of) the archive."""

from __future__ import annotations

import contextlib
import signal
import threading
from pathlib import Path

import click

from newscrawl.errors import NewscrawlError


@click.command("export")
@click.option(
    "--db",
    "db_path",
    default="archive/archive.db",
    show_default=True,
    type=click.Path(dir_okay=False, path_type=Path),
    help="Archive database to export from (opened read-only).",
)
@click.option(
    "--artist",
    "artists",
    multiple=True,
    metavar="NAME",
    help="Only articles mentioning this artist (canonical name, slug or alias). Repeatable: any of them.",
)
@click.option(
    "--source",
    "sources",
    multiple=True,
    metavar="ID",
    help="Only articles from this publisher (sources.id or its name). Repeatable: any of them.",
)
@click.option(
    "--since",
    metavar="DATE",
    help="Only articles published on or after DATE (YYYY-MM-DD, YYYY-MM or YYYY).",
)
@click.option(
    "--until",
    metavar="DATE",
    help="Only articles published on or before DATE (YYYY-MM-DD, YYYY-MM or YYYY).",
)
@click.option(
    "--search",
    metavar="QUERY",
    help='Only articles matching this full-text query (FTS5 syntax: words, "phrases",'
    " OR, NOT, NEAR(a b, 5), prefix*).",
)
@click.option(
    "--min-salience",
    type=float,
    metavar="X",
    help="Only articles at least this much about a selected artist (any artist without --artist), 0..1.",
)
@click.option(
    "--no-body",
    is_flag=True,
    help="Rights-aware release: URLs, metadata and mention snippets, no body or description text.",
)
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["csv", "jsonl", "parquet"]),
    default="csv",
    show_default=True,
    help="File format of the data files.",
)
@click.option(
    "-o",
    "--output",
    "out_dir",
    required=True,
    type=click.Path(path_type=Path),
    help="Folder to write the release to (created; must be empty unless --force).",
)
@click.option(
    "--force",
    is_flag=True,
    help="Write into a non-empty output folder, replacing a previous release.",
)
def export(
    db_path: Path,
    artists: tuple[str, ...],
    sources: tuple[str, ...],
    since: str | None,
    until: str | None,
    search: str | None,
    min_salience: float | None,
    no_body: bool,
    fmt: str,
    out_dir: Path,
    force: bool,
) -> None:
    """Export a slice of the archive as a dataset release.

    Writes articles, mentions, artists and sources as CSV, JSON Lines or Parquet, a
    Frictionless datapackage.json describing every file (types, keys, descriptions)
    and a DATACARD.md saying what was selected and how, with counts per artist,
    publisher and month, the crawl window, the extractor versions and a sha256 per file.
    Filters combine with AND; repeated --artist or --source values with OR.

    \b
    Example:
        newscrawl export --db archive/demo.db --artist "Britney Spears" \\
            --since 2024-01-01 --format parquet -o releases/britney-2024
        newscrawl export --db archive/archive.db --no-body -o releases/metadata-only
    """
    from newscrawl.export import export_archive

    with stopped_by_sigterm_cleanly():
        result = export_archive(
            db_path,
            out_dir,
            artists=artists,
            sources=sources,
            since=since,
            until=until,
            search=search,
            min_salience=min_salience,
            include_body=not no_body,
            fmt=fmt,
            force=force,
            progress=lambda message: click.echo(message, err=True),
        )
    counts = ", ".join(f"{count} {name}" for name, count in result.counts.items())
    click.echo(f"Wrote {result.out_dir}: {counts}.", err=True)


@contextlib.contextmanager
def stopped_by_sigterm_cleanly():
    """SIGTERM (what ``timeout``, cron wrappers and systemd send) stops an export like
    Ctrl-C does: as an exception, so the staging folder is removed and no partial
    release is left behind. Without this, Python dies at once and leaves it."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def stop(signum, frame):
        raise NewscrawlError(
            "export stopped by SIGTERM before it finished; the unfinished release was removed"
        )

    previous = signal.signal(signal.SIGTERM, stop)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)
