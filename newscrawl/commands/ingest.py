"""``newscrawl ingest``: the one archive writer of Redis mode."""

from __future__ import annotations

import logging
import signal
from pathlib import Path
from typing import TYPE_CHECKING

import click

from newscrawl.errors import NewscrawlError
from newscrawl.extras import require_scale

if TYPE_CHECKING:
    from newscrawl.refresh import RefreshPolicy


@click.command()
@click.option(
    "--redis",
    "redis_url",
    required=True,
    metavar="URL",
    help="Redis the workers push to (their NEWSCRAWL_REDIS_URL), e.g. redis://host:6379/0.",
)
@click.option(
    "--db",
    "db_path",
    required=True,
    type=click.Path(dir_okay=False),
    help="Archive database to write (created if missing; its folder must exist).",
)
@click.option(
    "--idle-exit",
    type=click.FloatRange(min=0),
    metavar="SECONDS",
    help="Stop once the queue has been empty, with no worker alive, this long."
    " Without it, run until interrupted.",
)
@click.option(
    "--batch",
    "batch_size",
    type=click.IntRange(min=1),
    default=100,
    show_default=True,
    help="Messages per transaction.",
)
@click.option(
    "--prefix",
    default="news",
    show_default=True,
    help="Key prefix of the crawl (the workers' NEWSCRAWL_REDIS_PREFIX, default the spider name).",
)
@click.option(
    "--refresh-every",
    type=click.FloatRange(min=1),
    metavar="SECONDS",
    help="Also queue the refetches the archive says are due (as `newscrawl refresh`"
    " does) at start and then this often.",
)
@click.option(
    "--refresh-ages",
    default="1h,1d,7d",
    show_default=True,
    help="Age ladder of --refresh-every (the workers' NEWSCRAWL_REFRESH_AGES).",
)
def ingest(
    redis_url: str,
    db_path: str,
    idle_exit: float | None,
    batch_size: int,
    prefix: str,
    refresh_every: float | None,
    refresh_ages: str,
) -> None:
    """Drain the Redis item queue of scale-out workers into the archive.

    Workers started with `scrapy crawl news -s NEWSCRAWL_REDIS_URL=...` push articles,
    drops and their run's start and end to Redis; this command is the single writer
    that stores them through the same dedupe and store steps as a local crawl. A
    message leaves Redis only after its transaction committed, so killing the
    ingester loses nothing, and restarting it doubles nothing. SIGTERM or Ctrl-C
    finishes the current batch, then stops.

    \b
    Example:
        newscrawl ingest --redis redis://127.0.0.1:6379/0 --db archive/archive.db
        newscrawl ingest --redis redis://queue.lan:6379/0 --db /srv/archive.db --idle-exit 60
        newscrawl ingest --redis redis://queue.lan:6379/0 --db /srv/archive.db --refresh-every 600
    """
    if refresh_every is None and (
        click.get_current_context().get_parameter_source("refresh_ages")
        is not click.core.ParameterSource.DEFAULT
    ):
        # It was accepted and ignored: no refetch would ever be queued by this ingester.
        raise NewscrawlError("--refresh-ages applies only with --refresh-every SECONDS")
    policy = None
    if refresh_every is not None:
        from newscrawl.refresh import policy_from_option

        policy = policy_from_option(refresh_ages, "--refresh-ages")  # before Redis
    require_scale("newscrawl ingest")
    from newscrawl.scale.ingest import Ingester

    db = Path(db_path)
    if not db.parent.exists():
        raise NewscrawlError(f"{db}: folder {db.parent} does not exist")
    logging.basicConfig(level=logging.WARNING, format="  %(message)s")
    logging.getLogger("newscrawl.scale").setLevel(logging.INFO)

    def progress(totals) -> None:
        click.echo(f"  {totals.summary()}", err=True)

    refresh = None
    if policy is not None:
        refresh = scheduled_refresh(redis_url, db, prefix=prefix, policy=policy)
    ingester = Ingester(
        redis_url,
        db,
        prefix=prefix,
        batch_size=batch_size,
        idle_exit=idle_exit,
        progress=progress,
        refresh=refresh,
        refresh_every=refresh_every or 0,
        # Said once the ingester holds Redis, the archive and the lock: an error before
        # (no Redis, another ingester) is then the only line, not the second after it.
        on_start=lambda: click.echo(
            f"Ingesting {prefix}:items into {db} (Ctrl-C stops after the current batch)",
            err=True,
        ),
    )
    signal.signal(signal.SIGTERM, ingester.stop)
    signal.signal(signal.SIGINT, ingester.stop)
    totals = ingester.run()
    click.echo(f"Ingested {totals.summary()}.", err=True)


def scheduled_refresh(redis_url: str, db: Path, *, prefix: str, policy: RefreshPolicy):
    """The scheduling step of ``--refresh-every``: one ``newscrawl refresh``."""
    from newscrawl.scale.redis_queue import RedisKeys, connect
    from newscrawl.scale.refresh_queue import schedule_refreshes

    server = connect(redis_url)
    keys = RedisKeys(prefix)
    return lambda: schedule_refreshes(server, db, keys=keys, policy=policy)
