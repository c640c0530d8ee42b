"""``newscrawl stats``: the crawl funnel per run and source, and drops by reason."""

from __future__ import annotations

import click


@click.command()
@click.option(
    "--db", "db_path", required=True, type=click.Path(dir_okay=False), help="Archive database."
)
@click.option(
    "--runs",
    default=10,
    show_default=True,
    type=click.IntRange(min=1),
    help="How many recent runs to show.",
)
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of tables.")
def stats(db_path: str, runs: int, as_json: bool) -> None:
    """Print the crawl funnel per run and source: discovered, requested, fetched,
    skipped as already archived, archived and dropped, then drops by reason.

    A run writes its funnel counters when it finishes. For a run still going, or killed,
    stats shows instead what the archive holds from it: the articles it wrote (new,
    updated, unchanged) and its drops, per source (in --json: "in_archive").

    \b
    Example:
        newscrawl stats --db archive/archive.db
        newscrawl stats --db archive/archive.db --runs 1 --json
    """
    from newscrawl.summary import funnel, print_funnel

    if as_json:
        import json

        click.echo(json.dumps(funnel(db_path, runs=runs), indent=2))
    else:
        print_funnel(db_path, runs=runs)
