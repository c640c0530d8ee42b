"""``newscrawl serve``: browse an archive in Datasette."""

from __future__ import annotations

from pathlib import Path

import click

from newscrawl import serve as serving


@click.command("serve")
@click.argument(
    "db",
    required=False,
    default=str(serving.DEFAULT_DB),
    type=click.Path(dir_okay=False, path_type=Path),
)
@click.option(
    "--host",
    default=serving.DEFAULT_HOST,
    show_default=True,
    help="Interface to bind; 0.0.0.0 exposes the archive to your network.",
)
@click.option(
    "--port",
    "-p",
    default=serving.DEFAULT_PORT,
    show_default=True,
    type=click.IntRange(0, 65535),
    help="Port to listen on.",
)
@click.option(
    "--immutable",
    is_flag=True,
    help="Open the file as immutable (faster, cached counts): for a published copy "
    "that no crawl writes to any more.",
)
def serve(db: Path, host: str, port: int, immutable: bool) -> None:
    """Browse, search and query the archive DB in Datasette (read-only).

    Uses the metadata, templates, plugins and settings in archive/, whatever the
    database file is called or wherever it lives.

    \b
    Example:
        newscrawl serve archive/demo.db --port 8001
    """
    serving.serve(db, host=host, port=port, immutable=immutable)
