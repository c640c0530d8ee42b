"""``newscrawl demo``: serve the demo publishers, crawl them, summarise, serve Datasette."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import click

from newscrawl.errors import NewscrawlError

DEMO_SITES_PORT = 8101


def demo_warc_dir(db: Path) -> Path:
    """The demo's raw archive: ``<db stem>-warc/`` next to the demo DB (archive/demo-warc/),
    apart from the ``warc/`` folder that a crawl into archive/archive.db writes."""
    return db.parent / f"{db.stem}-warc"


def _die_with_parent() -> None:
    """In the child: get SIGTERM when `newscrawl demo` dies, even by SIGKILL (Linux),
    so the demo publishers never outlive it."""
    try:
        import ctypes

        pr_set_pdeathsig = 1
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(pr_set_pdeathsig, signal.SIGTERM)
    except (OSError, AttributeError):
        pass  # not Linux: the finally block in demo() still stops the sites


def _start_demo_sites(port: int, workdir: Path) -> tuple[subprocess.Popen, Path, Path]:
    """Start ``newscrawl demo-site`` as its own process; wait until it wrote its config."""
    sources = workdir / "sources.yml"
    artists = workdir / "artists.yml"
    command = [
        sys.executable,
        "-m",
        "newscrawl",
        "demo-site",
        "--port",
        str(port),
        "--sources-out",
        str(sources),
        "--artists-out",
        str(artists),
    ]
    log = workdir / "demo-site.log"
    with log.open("w") as output:
        process = subprocess.Popen(
            command, stdout=output, stderr=subprocess.STDOUT, preexec_fn=_die_with_parent
        )
    deadline = time.monotonic() + 30
    while not (sources.exists() and artists.exists()):
        if process.poll() is not None:
            lines = log.read_text().strip().splitlines()
            # demo-site's own one-line error, without its "Error: " (ours adds one).
            reason = lines[-1].removeprefix("Error: ") if lines else "exited"
            raise NewscrawlError(
                f"the demo publishers did not start: {reason}"
                " (another `newscrawl demo` or `demo-site` running? pick free ports with"
                " --sites-port, the same each time you crawl into one --db)"
            )
        if time.monotonic() > deadline:
            process.kill()
            raise NewscrawlError("the demo publishers did not start within 30 s")
        time.sleep(0.1)
    return process, sources, artists


def _stop(process: subprocess.Popen) -> None:
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()


@click.command()
@click.option(
    "--db",
    "db_path",
    default="archive/demo.db",
    show_default=True,
    type=click.Path(dir_okay=False),
    help="Archive database to crawl into.",
)
@click.option("--port", default=8001, show_default=True, help="Port for Datasette.")
@click.option(
    "--sites-port",
    default=DEMO_SITES_PORT,
    show_default=True,
    help="First port of the demo publishers (one port each). The archived URLs carry "
    "it: give the same one each time you crawl into one --db.",
)
@click.option(
    "--no-serve", is_flag=True, help="Stop after the crawl summary instead of serving Datasette."
)
def demo(db_path: str, port: int, sites_port: int, no_serve: bool) -> None:
    """Crawl the bundled demo publishers into an archive, then browse it.

    Serves the fictional demo publishers on 127.0.0.1, crawls them with the real
    `news` spider into --db (showing progress), prints a summary, and serves the
    archive with Datasette on http://127.0.0.1:PORT until interrupted. Running it
    again adds only what changed. The raw pages (WARC) go to <db stem>-warc/ next to
    --db (archive/demo-warc/), not to the warc/ folder of archive/archive.db.

    \b
    Example:
        newscrawl demo                         # then open http://127.0.0.1:8001
        newscrawl demo --no-serve --db /tmp/demo.db
    """
    from newscrawl.demo.config import ARTISTS_FILE
    from newscrawl.runner import run_crawl, show_progress
    from newscrawl.store import check_archive_folder
    from newscrawl.summary import print_summary

    db = Path(db_path)
    check_archive_folder(db)
    if not no_serve:
        from newscrawl.serve import check_port_free

        # Now, not after the crawl: a second demo while the first still serves.
        check_port_free("127.0.0.1", port, hint="pick one with --port, or use --no-serve")
    if db.exists():
        from newscrawl.session import check_archive_writable

        # Before the publishers start: a --db that is no archive stopped the crawl with
        # Scrapy's tracebacks and "the news crawl did not finish; see the log above".
        check_archive_writable({"NEWSCRAWL_DB": str(db)})
    with tempfile.TemporaryDirectory(prefix="newscrawl-demo-") as workdir:
        sites, sources, artists = _start_demo_sites(sites_port, Path(workdir))
        try:
            click.echo(
                f"Demo publishers on http://127.0.0.1:{sites_port}/ and the next ports (fictional sites).",
                err=True,
            )
            click.echo(
                "They include a dead link, a server error, a robots.txt-disallowed section and"
                " articles about nobody on the watchlist, on purpose: those end up in `drops`.",
                err=True,
            )
            click.echo(f"Crawling them into {db} ...", err=True)
            show_progress()
            stats = run_crawl(
                "news",
                settings={
                    "NEWSCRAWL_DB": str(db),
                    # Not warc/ next to the DB: archive/archive.db keeps its raw pages
                    # there, and reextract replays every file of its WARC folder.
                    "NEWSCRAWL_WARC_DIR": str(demo_warc_dir(db)),
                    "NEWSCRAWL_SOURCES": str(sources),
                    # The packaged file rather than demo-site's copy of it, which goes
                    # with the temporary folder: reextract tags with the file runs name.
                    "NEWSCRAWL_ARTISTS": str(ARTISTS_FILE if ARTISTS_FILE.is_file() else artists),
                    "NEWSCRAWL_PROGRESS_INTERVAL": 2.0,
                    "LOG_LEVEL": os.environ.get("NEWSCRAWL_LOG_LEVEL", "WARNING"),
                },
            )
            print_summary(db, run_id=stats.get("newscrawl/run_id"))
            click.echo(f"Raw pages (WARC): {demo_warc_dir(db)}/", err=True)
            if no_serve:
                return
            from newscrawl.serve import serve

            click.echo("", err=True)
            # serve() says where (the archive's own page) and how to stop: one line, not two.
            serve(db, host="127.0.0.1", port=port)
        finally:
            _stop(sites)
