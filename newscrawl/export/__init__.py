"""Dataset releases: a filtered slice of the archive as CSV, JSON Lines or Parquet.

:func:`export_archive` writes ``articles``, ``mentions``, ``artists`` and ``sources``
files, a Frictionless ``datapackage.json`` (a Table Schema per file, with the files'
sizes and sha256) and a human ``DATACARD.md``. The archive is opened read-only and read
inside one transaction, so a crawl writing at the same time cannot make the files
disagree with each other. The release is written to a staging folder inside the
output folder (the same filesystem, even when the output folder is a mount point) and
moved into place only when complete; one a killed export left is removed by the next
(:mod:`newscrawl.export.staging`).
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import shutil
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from newscrawl.errors import NewscrawlError
from newscrawl.export.fields import TABLES
from newscrawl.export.package import datacard, datapackage
from newscrawl.export.selection import (
    Selection,
    check_date,
    resolve_artists,
    resolve_sources,
    select_articles,
)
from newscrawl.export.staging import (
    ABANDONED,
    RUNNING,
    Staging,
    remove_abandoned,
    staging_folders,
    state,
)
from newscrawl.export.writers import FORMATS, PROGRESS_EVERY, WRITERS, rows
from newscrawl.extras import require
from newscrawl.store import open_readonly

__all__ = ["ExportResult", "ExportedFile", "Selection", "export_archive"]

DATAPACKAGE = "datapackage.json"
DATACARD = "DATACARD.md"


@dataclass
class ExportedFile:
    """One data file of a release."""

    name: str
    path: Path
    rows: int
    bytes: int
    sha256: str


@dataclass
class ExportResult:
    """What :func:`export_archive` wrote."""

    out_dir: Path
    files: list[ExportedFile]
    selection: Selection
    datapackage: Path
    datacard: Path
    counts: dict[str, int] = field(default_factory=dict)
    """Rows per file: articles, mentions, artists, sources."""


def release_names() -> set[str]:
    """Every file name a release of any format may contain."""
    names = {DATAPACKAGE, DATACARD}
    for table in TABLES:
        names |= {f"{table.name}.{spec['extension']}" for spec in FORMATS.values()}
    return names


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while chunk := handle.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()


def _check_out_dir(out_dir: Path, *, force: bool) -> None:
    if out_dir.exists() and not out_dir.is_dir():
        raise NewscrawlError(f"{out_dir}: exists and is not a folder")
    if not out_dir.is_dir():
        return
    # A killed export's staging folder is removed before this one writes; a running
    # export's is not, and two releases written into one folder at once would mix.
    states = {path: state(path) for path in staging_folders(out_dir)}
    running = [path for path, kind in states.items() if kind == RUNNING]
    if running:
        raise NewscrawlError(
            f"{out_dir}: another newscrawl export is writing into this folder "
            f"({running[0].name}); wait for it to finish"
        )
    left = [path for path, kind in states.items() if kind == ABANDONED]
    if not force and any(path not in left for path in out_dir.iterdir()):
        raise NewscrawlError(
            f"{out_dir}: folder is not empty (use --force to replace a release in it)"
        )


def _make_out_dir(out_dir: Path) -> list[Path]:
    """Create ``out_dir`` and any missing parents; return the folders created, deepest
    first, so that a failed export can remove them again."""
    missing = []
    folder = out_dir.absolute()
    while not folder.exists():
        missing.append(folder)
        folder = folder.parent
    out_dir.mkdir(parents=True, exist_ok=True)
    return missing


def _remove_created(folders: list[Path]) -> None:
    for folder in folders:  # deepest first; never a folder something else wrote into
        with contextlib.suppress(OSError):
            folder.rmdir()


def _move_into_place(staging: Path, out_dir: Path) -> None:
    """Move the finished release from ``staging`` (inside ``out_dir``, so on the same
    filesystem even when ``out_dir`` is a mount point) into ``out_dir``."""
    new = {path.name for path in staging.iterdir()}
    for name in sorted(new):
        os.replace(staging / name, out_dir / name)  # replaces the old file of that name
    # --force: a previous release (maybe of another format) must not leave stray files
    # that the new datapackage.json does not describe. Other files are left alone.
    # Removed only now: until the new release is in place the old one stays whole.
    for name in release_names() - new:
        with contextlib.suppress(FileNotFoundError):
            (out_dir / name).unlink()
    staging.rmdir()


def _date_span(value: str) -> tuple[str, str]:
    """The first and last day a YYYY, YYYY-MM or YYYY-MM-DD date covers, as text that
    compares in date order (a month's last day as -31 is enough for comparing)."""
    parts = value.split("-")
    first = "-".join(parts + ["01"] * (3 - len(parts)))
    last = "-".join(parts + ["12", "31"][len(parts) - 1 :])
    return first, last


def export_archive(
    db_path: str | os.PathLike,
    out_dir: str | os.PathLike,
    *,
    artists: Iterable[str] = (),
    sources: Iterable[str] = (),
    since: str | None = None,
    until: str | None = None,
    search: str | None = None,
    min_salience: float | None = None,
    include_body: bool = True,
    fmt: str = "csv",
    force: bool = False,
    progress: Callable[[str], None] | None = None,
) -> ExportResult:
    """Export the articles of ``db_path`` that pass every filter into ``out_dir``.

    ``artists`` (canonical names, slugs or aliases) and ``sources`` (ids or names) each
    match any of their values; an unknown one is an error naming it. ``since`` and
    ``until`` are inclusive dates (YYYY-MM-DD, YYYY-MM or YYYY) compared with the
    published date; ``search`` is an FTS5 query; ``min_salience`` keeps articles at least
    that much about a selected artist (any artist when ``artists`` is empty).
    ``include_body=False`` leaves out the body and description text. ``out_dir`` must be
    empty or absent unless ``force``. ``progress`` receives one-line status messages.
    """
    if fmt not in WRITERS:
        raise NewscrawlError(f"--format: {fmt!r} is not one of {', '.join(WRITERS)}")
    if fmt == "parquet":
        # Before the staging folder exists: nothing to clean up.
        require("--format parquet", "export", "pyarrow")
    if min_salience is not None and not 0 <= float(min_salience) <= 1:
        raise NewscrawlError(f"--min-salience: {min_salience} is not between 0 and 1")
    say = progress or (lambda message: None)
    db = Path(db_path)
    out = Path(out_dir)
    selection = Selection(
        artists=tuple(a for a in artists if a is not None),
        sources=tuple(s for s in sources if s is not None),
        since=check_date("--since", since),
        until=check_date("--until", until),
        search=search.strip() if search and search.strip() else None,
        min_salience=None if min_salience is None else float(min_salience),
        include_body=include_body,
    )
    if (
        selection.since
        and selection.until
        and _date_span(selection.since)[0] > _date_span(selection.until)[1]
    ):
        raise NewscrawlError(f"--since {selection.since} is after --until {selection.until}")
    _check_out_dir(out, force=force)
    conn = open_readonly(db)
    created_dirs: list[Path] = []
    stage = staging = None
    try:
        # One read transaction: every file sees the same snapshot of the archive.
        conn.execute("begin")
        # Every filter is checked before anything is written (no folder left behind).
        selection.artist_ids = resolve_artists(conn, selection.artists)
        selection.source_ids = resolve_sources(conn, selection.sources)
        selected = select_articles(conn, selection)
        say(f"Selected {selected} articles from {db}.")
        created_dirs = _make_out_dir(out)
        remove_abandoned(out)
        stage = Staging(out)
        staging = stage.path
        files = []
        extension = FORMATS[fmt]["extension"]
        # An archive an older newscrawl made lacks the columns later migrations added.
        absent = {table.name: table.absent_fields(conn) for table in TABLES}
        for table in TABLES:
            fields = table.fields_for(include_body=include_body)
            name = f"{table.name}.{extension}"
            path = staging / name
            total = conn.execute(table.count()).fetchone()[0]
            say(f"Writing {name} ({total} rows) ...")
            done = 0

            def tick(name: str = name, total: int = total) -> None:
                nonlocal done
                done += 1
                if done % PROGRESS_EVERY == 0:
                    say(f"  {name}: {done} of {total} rows")

            sql = table.select(include_body=include_body, absent=absent[table.name])
            count = WRITERS[fmt](path, fields, rows(conn, sql, fields), tick)
            files.append(ExportedFile(name, out / name, count, path.stat().st_size, _sha256(path)))
        created = datetime.now(UTC).replace(microsecond=0).isoformat().replace("+00:00", "Z")
        descriptor = datapackage(
            db_name=db.name,
            tables=TABLES,
            files=files,
            selection=selection,
            fmt=fmt,
            created=created,
        )
        (staging / DATAPACKAGE).write_text(
            json.dumps(descriptor, indent=2, ensure_ascii=False) + "\n", encoding="utf-8"
        )
        card = datacard(
            conn,
            db=db,
            out_dir=out,
            selection=selection,
            files=files,
            fmt=fmt,
            created=created,
            absent=absent,
        )
        (staging / DATACARD).write_text(card, encoding="utf-8")
        conn.execute("rollback")
        _move_into_place(staging, out)
    except BaseException as error:
        if staging is not None:
            shutil.rmtree(staging, ignore_errors=True)
        _remove_created(created_dirs)
        if isinstance(error, OSError) and not error.filename:
            # A write that failed (a full disk, EFBIG, EIO): the writers raise it with no
            # file name, so say which release it was, once.
            reason = error.strerror or str(error)
            raise NewscrawlError(
                f"{out}: cannot write the release: {reason} (nothing was written)"
            ) from None
        raise
    finally:
        if stage is not None:
            stage.release()
        conn.close()
    say(f"Wrote {DATAPACKAGE} and {DATACARD}.")
    return ExportResult(
        out_dir=out,
        files=files,
        selection=selection,
        datapackage=out / DATAPACKAGE,
        datacard=out / DATACARD,
        counts={f.name.rsplit(".", 1)[0]: f.rows for f in files},
    )
