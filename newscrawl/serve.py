"""Publish an archive with Datasette, configured from the ``archive/`` directory.

``archive/`` is a Datasette configuration directory: ``metadata.yml`` (descriptions,
facets, full-text search, canned queries), ``settings.json`` (limits), ``templates/``,
``plugins/`` (article page, charts, metadata for any database name, security headers)
and ``static/``. :func:`build_datasette` applies those pieces explicitly to one database
file, wherever it lives, instead of pointing Datasette at the folder: the folder form
would also attach every other ``*.db`` lying in ``archive/`` (demo.db next to
archive.db).

The server is read-only: Datasette 0.65 has no write API, its SQL runs on a read-only
connection (``mode=ro``, or ``immutable=1`` with ``immutable=True``), and no root or
token login is offered.
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import socket
import sqlite3
import sys
from pathlib import Path
from typing import Any

import yaml

from newscrawl.errors import NewscrawlError
from newscrawl.store import open_readonly

ARCHIVE_DIR = Path(__file__).resolve().parent.parent / "archive"
"""The Datasette configuration directory shipped with newscrawl."""

DEFAULT_DB = Path("archive") / "archive.db"
DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 8001


def load_metadata(config_dir: Path = ARCHIVE_DIR) -> dict[str, Any]:
    """``metadata.yml`` of the configuration directory, parsed."""
    path = config_dir / "metadata.yml"
    try:
        metadata = yaml.safe_load(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise NewscrawlError(f"{path}: missing (the Datasette metadata of the archive)") from None
    except yaml.YAMLError as error:
        raise NewscrawlError(f"{path}: not valid YAML: {error}") from None
    if not isinstance(metadata, dict):
        raise NewscrawlError(f"{path}: expected a mapping at the top level")
    return metadata


def load_settings(config_dir: Path = ARCHIVE_DIR) -> dict[str, Any]:
    """``settings.json`` of the configuration directory, parsed ({} when absent)."""
    path = config_dir / "settings.json"
    if not path.exists():
        return {}
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as error:
        raise NewscrawlError(f"{path}: not valid JSON: {error}") from None


def check_archive(db_path: Path) -> None:
    """Raise :class:`NewscrawlError` unless ``db_path`` is a readable newscrawl archive."""
    if not db_path.exists():
        raise NewscrawlError(
            f"{db_path}: no such archive (crawl into it first, or try "
            f"`newscrawl demo --no-serve --db {db_path}`)"
        )
    open_readonly(db_path).close()


def check_immutable(db_path: Path) -> None:
    """Raise :class:`NewscrawlError` when ``db_path`` has a non-empty ``-wal`` file.

    SQLite's immutable mode reads the main file only: the transactions a crawl committed
    to the WAL since its last checkpoint (while it runs, or after it was killed) would be
    silently missing from every page. A finished crawl leaves the WAL empty.
    """
    wal = db_path.with_name(db_path.name + "-wal")
    if wal.exists() and wal.stat().st_size > 0:
        raise NewscrawlError(
            f"{db_path}: --immutable would not see the writes in {wal.name}"
            f" ({wal.stat().st_size:,} bytes; a crawl is writing the file, or stopped"
            " before checkpointing it): serve it without --immutable, or publish a copy"
            " made with VACUUM INTO (README, Publishing a read-only copy)"
        )


def datasette_options(
    db_path: str | os.PathLike, *, immutable: bool = False, config_dir: Path = ARCHIVE_DIR
) -> dict[str, Any]:
    """The keyword arguments of ``Datasette(...)`` for serving ``db_path``."""
    db = str(Path(db_path).resolve())
    options: dict[str, Any] = {
        "files": [] if immutable else [db],
        "immutables": [db] if immutable else [],
        "metadata": load_metadata(config_dir),
        "settings": load_settings(config_dir),
        "cors": False,
    }
    for key, sub in (("template_dir", "templates"), ("plugins_dir", "plugins")):
        if (config_dir / sub).is_dir():
            options[key] = str((config_dir / sub).resolve())
    if (config_dir / "static").is_dir():
        options["static_mounts"] = [("static", str((config_dir / "static").resolve()))]
    return options


def build_datasette(
    db_path: str | os.PathLike, *, immutable: bool = False, config_dir: Path = ARCHIVE_DIR
):
    """A ``Datasette`` serving the archive at ``db_path`` with the archive/ configuration.

    ``immutable=True`` opens the file as immutable (no locking, counts cached): for a
    published copy that no crawl writes to any more (refused while its WAL holds writes).
    """
    from datasette.app import Datasette
    from datasette.utils import StartupError

    check_archive(Path(db_path))
    if immutable:
        check_immutable(Path(db_path))
    try:
        return Datasette(**datasette_options(db_path, immutable=immutable, config_dir=config_dir))
    except StartupError as error:
        raise NewscrawlError(f"{config_dir}: {error}") from None


def pending_schema_steps(db_path: Path) -> list[str]:
    """The schema steps (newscrawl.schema) an archive written by an older newscrawl
    lacks, read without writing."""
    from sqlite_utils import Database

    from newscrawl import schema

    conn = open_readonly(db_path)
    try:
        return [step.name for step in schema.migrations.pending(Database(conn))]
    finally:
        conn.close()


def bring_up_to_date(db_path: Path, *, immutable: bool) -> None:
    """Apply the schema steps an archive written by an older newscrawl lacks, as any
    crawl or command that writes would, so that the canned queries and views reading
    newer tables work (articles_about_both reads co_mention_pairs, step m016). It is the
    one write ``serve`` makes; an immutable copy or a file it may not write to is served
    as it is, with a warning naming the steps."""
    # First, so that a missing archive gets check_archive's hint (crawl into it, or
    # `newscrawl demo`), not the bare "no such archive" of reading its steps, and an
    # immutable one that cannot be served is refused without a warning that it will be.
    check_archive(db_path)
    if immutable:
        check_immutable(db_path)
    pending = pending_schema_steps(db_path)
    if not pending:
        return
    steps = ", ".join(pending)
    if not immutable:
        from newscrawl.store import Archive

        print(
            f"{db_path}: applying schema steps {steps} (written by an older newscrawl)",
            file=sys.stderr,
            flush=True,
        )
        try:
            with Archive(db_path):
                return
        except NewscrawlError as error:
            why = f"it cannot be written here: {error}"
    else:
        why = "--immutable does not write"
    print(
        f"warning: {db_path} lacks schema steps {steps} ({why}): queries that read newer"
        " tables fail until a newscrawl command that writes (a crawl, or `newscrawl serve`"
        " without --immutable) opens it",
        file=sys.stderr,
        flush=True,
    )


def check_port_free(host: str, port: int, hint: str = "pick one with --port") -> None:
    """One line, before "Serving ..." is printed, when ``host:port`` cannot be listened
    on (uvicorn would print its own error after that line and exit 3)."""
    try:
        addresses = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except socket.gaierror as error:
        raise NewscrawlError(f"--host {host}: {error.strerror}") from None
    family, kind, proto, _, address = addresses[0]
    with socket.socket(family, kind, proto) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as uvicorn does
        try:
            probe.bind(address)
        except OSError as error:
            raise NewscrawlError(
                f"cannot listen on {host}:{port}: {error.strerror} (another server there? {hint})"
            ) from None


def serve(
    db_path: str | os.PathLike = DEFAULT_DB,
    *,
    host: str = DEFAULT_HOST,
    port: int = DEFAULT_PORT,
    immutable: bool = False,
) -> None:
    """Serve the archive with Datasette until interrupted (blocks)."""
    import uvicorn
    from datasette.utils import StartupError

    bring_up_to_date(Path(db_path), immutable=immutable)
    datasette = build_datasette(db_path, immutable=immutable)
    loop = asyncio.new_event_loop()
    try:
        loop.run_until_complete(datasette.invoke_startup())
        # Fail now, with the file named, rather than on the first request.
        for database in datasette.databases.values():
            if not database.is_memory:
                loop.run_until_complete(database.execute("select count(*) from sqlite_master"))
    except sqlite3.DatabaseError as error:
        raise NewscrawlError(f"{db_path}: cannot be read: {error}") from None
    except StartupError as error:
        # A plugin's check of its configuration (archive/plugins/newscrawl_facets.py).
        raise NewscrawlError(f"{ARCHIVE_DIR / 'metadata.yml'}: {error}") from None
    finally:
        loop.close()
    check_port_free(host, port)
    names = [n for n, d in datasette.databases.items() if not d.is_memory and n != "_internal"]
    path = datasette.urls.database(names[0]) if names else "/"
    mode = "immutable, read-only" if immutable else "read-only"
    print(
        f"Serving {db_path} ({mode}) at http://{host}:{port}{path} - press Ctrl+C to stop",
        file=sys.stderr,
        flush=True,
    )
    # Warnings of the plugins (a facet past its time limit) with a time, next to uvicorn's.
    logging.basicConfig(
        level=logging.WARNING, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    uvicorn.run(datasette.app(), host=host, port=port, log_level="warning", lifespan="on")
