"""``newscrawl demo-site``: serve the bundled demo publishers until interrupted."""

from __future__ import annotations

import signal
import threading

import click


@click.command("demo-site")
@click.option(
    "--port",
    default=8101,
    show_default=True,
    type=click.IntRange(0, 65535),
    help="First port: publisher i is served on PORT+i (0 picks a free port for each).",
)
@click.option("--host", default="127.0.0.1", show_default=True, hidden=True)
@click.option(
    "--articles",
    type=click.IntRange(min=10),
    default=None,
    help="Scaled mode for benchmarks: serve N generated articles in total.",
)
@click.option(
    "--edition",
    type=click.IntRange(1, 2),
    default=1,
    show_default=True,
    help="Which state of the sites to serve: 2 adds, edits and removes articles.",
)
@click.option(
    "--sources-out",
    type=click.Path(dir_okay=False, writable=True),
    help="Write a sources.yml pointing at the served ports to this path.",
)
@click.option(
    "--artists-out",
    type=click.Path(dir_okay=False, writable=True),
    help="Write the demo watchlist (artists.yml) to this path.",
)
def demo_site(
    port: int,
    host: str,
    articles: int | None,
    edition: int,
    sources_out: str | None,
    artists_out: str | None,
) -> None:
    """Serve the demo publishers (fictional news sites) on 127.0.0.1 until Ctrl-C.

    Each publisher gets its own port, robots.txt, feeds, sitemaps and listings.

    \b
    Example:
        newscrawl demo-site --port 8101 --sources-out /tmp/sources.yml --artists-out /tmp/artists.yml
        scrapy crawl news -s NEWSCRAWL_SOURCES=/tmp/sources.yml -s NEWSCRAWL_ARTISTS=/tmp/artists.yml
    """
    from newscrawl.demo import DemoSites

    stop = threading.Event()
    sites = DemoSites(host=host, port=port, edition=edition, articles=articles).start()
    try:
        # The config files appear only once every port is bound: `newscrawl demo` waits
        # for them as the signal that the sites are up.
        if artists_out:
            sites.write_artists(artists_out)
        if sources_out:
            sites.write_sources(sources_out)
        catalog = sites.catalog
        click.echo(
            f"Serving {len(catalog.publishers)} demo publishers "
            f"(edition {edition}, {len(catalog.articles)} article URLs):"
        )
        for publisher in catalog.publishers:
            click.echo(f"  {publisher.id:<16} {sites.base_urls[publisher.id]}  {publisher.name}")
        if sources_out:
            click.echo(f"sources.yml: {sources_out}")
        if artists_out:
            click.echo(f"artists.yml: {artists_out}")
        click.echo("Press Ctrl-C to stop.")
        try:
            # Handle SIGINT ourselves too: a shell starts background jobs with it ignored.
            for signum in (signal.SIGTERM, signal.SIGINT):
                signal.signal(signum, lambda *_: stop.set())
        except ValueError:  # not the main thread (e.g. embedded): Ctrl-C still raises
            pass
        try:
            while not stop.wait(0.5):
                pass
        except KeyboardInterrupt:
            pass
    finally:
        sites.stop()
