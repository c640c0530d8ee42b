"""``newscrawl reextract``: rebuild archive rows from the raw WARC archive."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import click

from newscrawl.errors import NewscrawlError


def latest_run_setting(db: Path, name: str, *, spider: str | None = None) -> tuple[int, str] | None:
    """(run id, value) of the setting ``name`` the latest run of ``db`` recorded (of
    ``spider`` only, when given).

    None when the archive does not exist yet (a rebuild), has no runs, or its latest run
    left the setting at its default (an empty value is not recorded).
    """
    if not db.exists():
        return None
    from newscrawl.store import open_readonly

    try:
        conn = open_readonly(db)
    except NewscrawlError:
        return None  # not an archive (yet): the run itself says what is wrong with it
    try:
        row = conn.execute(
            "select id, json_extract(settings, '$.' || ?) from crawl_runs"
            " where json_valid(settings) and (? is null or spider = ?)"
            " order by id desc limit 1",
            (name, spider, spider),
        ).fetchone()
    except sqlite3.Error:
        return None  # an archive from before runs recorded their settings
    finally:
        conn.close()
    return (row[0], row[1]) if row and row[1] else None


def crawl_watchlist(db: Path) -> tuple[int, str] | None:
    """The latest run of ``db`` that names its watchlist file: (run id, NEWSCRAWL_ARTISTS);
    None when it used the packaged watchlist."""
    return latest_run_setting(db, "NEWSCRAWL_ARTISTS")


def crawl_warc_dir(db: Path) -> tuple[int, str] | None:
    """The folder the latest crawl of ``db`` wrote its WARC files to: (run id,
    NEWSCRAWL_WARC_DIR); None when it wrote them to the default, warc/ next to the DB.

    `newscrawl demo` writes archive/demo-warc/, and any crawl may be given its own
    folder: reading warc/ next to the DB instead found nothing there, or another
    archive's pages. A `reextract` run names its folder as an argument, not a setting,
    so only crawls count."""
    return latest_run_setting(db, "NEWSCRAWL_WARC_DIR", spider="news")


@click.command()
@click.option(
    "--db",
    "db_path",
    required=True,
    type=click.Path(dir_okay=False),
    help="Archive database to rebuild.",
)
@click.option(
    "--warc-dir",
    type=click.Path(file_okay=False),
    help="WARC directory (default: the one the archive's latest crawl wrote to, else"
    " warc/ next to --db).",
)
@click.option(
    "--artists",
    "artists_path",
    type=click.Path(dir_okay=False),
    help="Watchlist to tag with (default: the one the archive's latest run tagged with,"
    " else the packaged one).",
)
@click.option(
    "--sources",
    "sources_path",
    type=click.Path(dir_okay=False),
    help="Sources config naming the publishers the archive has no row for yet"
    " (default: the packaged one); existing rows are left as they are.",
)
def reextract(
    db_path: str, warc_dir: str | None, artists_path: str | None, sources_path: str | None
) -> None:
    """Re-extract every archived WARC response through extract, tag, dedupe and store.

    Use it after improving the extractor or the watchlist: no page is fetched again.
    Running it twice changes nothing the second time; pointed at an empty database it
    rebuilds the articles and their revisions from the WARC files alone.

    \b
    Example:
        newscrawl reextract --db archive/archive.db
        newscrawl reextract --db rebuilt.db --warc-dir archive/warc --sources sources.yml
    """
    from newscrawl.runner import run_crawl, show_progress
    from newscrawl.store import check_archive_folder
    from newscrawl.summary import print_summary

    db = Path(db_path)
    check_archive_folder(db)
    settings = {"NEWSCRAWL_DB": str(db), "NEWSCRAWL_PROGRESS_INTERVAL": 5.0, "LOG_LEVEL": "WARNING"}
    if not artists_path and (crawled := crawl_watchlist(db)):
        # Not the packaged list: re-tagging with it took away the mentions of everyone
        # the crawl's own watchlist had and it lacks.
        run_id, artists_path = crawled
        if not Path(artists_path).is_file():
            raise NewscrawlError(
                f"{db}: run {run_id} tagged with the watchlist {artists_path}, which is"
                " gone: name the one to tag with, --artists FILE"
            )
        click.echo(
            f"Tagging with {artists_path}, the watchlist of run {run_id} (--artists to choose).",
            err=True,
        )
    if artists_path:
        settings["NEWSCRAWL_ARTISTS"] = artists_path
    if sources_path:
        settings["NEWSCRAWL_SOURCES"] = sources_path
    if not warc_dir and (crawled_into := crawl_warc_dir(db)):
        run_id, warc_dir = crawled_into
        if not Path(warc_dir).is_dir():
            raise NewscrawlError(
                f"{db}: run {run_id} wrote its WARC files to {warc_dir}, which is gone:"
                " name the folder to replay, --warc-dir DIR"
            )
        click.echo(
            f"Replaying the WARC files in {warc_dir}, the WARC folder of run {run_id}"
            " (--warc-dir to choose).",
            err=True,
        )
    if not warc_dir and not db.exists() and not (db.parent / "warc").is_dir():
        # A mistyped --db was told only "warc: no such WARC directory".
        raise NewscrawlError(
            f"{db}: no such archive, and no WARC folder to rebuild it from"
            f" ({db.parent / 'warc'}/, the default): name one with --warc-dir DIR"
        )
    if not warc_dir:
        # The crawl wrote to the default folder (or the archive has no crawl yet): said
        # too, as the other two cases are, so the folder replayed is never a guess.
        click.echo(
            f"Replaying the WARC files in {db.parent / 'warc'}, the default folder next to"
            " the archive (--warc-dir to choose).",
            err=True,
        )
    show_progress()
    args = {"warc_dir": warc_dir} if warc_dir else {}
    stats = run_crawl("reextract", settings=settings, **args)
    click.echo(f"Replayed {stats.get('newscrawl/replayed', 0)} WARC records.", err=True)
    unwatched = stats.get("newscrawl/archived_without_artists", 0)
    if unwatched:
        click.echo(
            f"{unwatched} archived record(s) mention nobody on this watchlist: their articles"
            " stay archived, without mentions (select them with: artists = '[]').",
            err=True,
        )
    damaged = stats.get("newscrawl/warc_damaged", 0)
    if damaged:
        # Each was logged with its file and offset; the other records were replayed.
        click.echo(
            f"Skipped {damaged} damaged WARC record(s) or file tail(s) (see the warnings above).",
            err=True,
        )
    print_summary(db, run_id=stats.get("newscrawl/run_id"))
