"""``newscrawl refresh``: queue the refetches the archive says are due, for Redis-mode workers."""

from __future__ import annotations

import logging

import click

from newscrawl.extras import require_scale


@click.command()
@click.option(
    "--redis",
    "redis_url",
    required=True,
    metavar="URL",
    help="Redis the workers share (their NEWSCRAWL_REDIS_URL), e.g. redis://host:6379/0.",
)
@click.option(
    "--db",
    "db_path",
    required=True,
    type=click.Path(dir_okay=False),
    help="The archive `newscrawl ingest` writes (only read here).",
)
@click.option(
    "--ages",
    default="1h,1d,7d",
    show_default=True,
    help="Age ladder: an article is refetched once after each step past its publication"
    " (the workers' NEWSCRAWL_REFRESH_AGES; '' refetches no article by age).",
)
@click.option(
    "--prefix",
    default="news",
    show_default=True,
    help="Key prefix of the crawl (the workers' NEWSCRAWL_REDIS_PREFIX, default the spider name).",
)
@click.option(
    "--queue",
    "queue_key",
    metavar="KEY",
    help="Request queue to push to (default <prefix>:requests; the SCHEDULER_QUEUE_KEY of"
    " the workers that should fetch them, when nodes have their own queues).",
)
@click.option(
    "--sources",
    "source_ids",
    metavar="IDS",
    help="Only the due pages of these sources (comma-separated ids): with --queue, the"
    " refetches of one node of a partitioned crawl (its -a sources= and its queue).",
)
@click.option(
    "--claim-ttl",
    type=click.FloatRange(min=1),
    default=24 * 3600.0,
    show_default=True,
    metavar="SECONDS",
    help="A queued refetch whose outcome never reaches the archive may be queued again"
    " after this long.",
)
def refresh(
    redis_url: str,
    db_path: str,
    ages: str,
    prefix: str,
    queue_key: str | None,
    source_ids: str | None,
    claim_ttl: float,
) -> None:
    """Queue refetches of archived articles for Redis-mode workers.

    A worker never reads the archive, so in Redis mode the archive's owner decides what
    is fetched again: an article whose age-ladder step passed since its last fetch
    (sent with its ETag / Last-Modified, so an unchanged page answers 304), and a page
    whose last fetch failed with an HTTP error (not 404 / 410) or a network error. Each
    goes onto the shared request queue once: while its refetch is queued or in flight,
    another run of this command (or of `ingest --refresh-every`) skips it. The
    workers' outcomes reach the archive through `newscrawl ingest`, as in a local crawl.

    \b
    Example:
        newscrawl refresh --redis redis://127.0.0.1:6379/0 --db archive/archive.db
        newscrawl refresh --redis redis://queue.lan:6379/0 --db /srv/archive.db --ages 1h,1d
        newscrawl refresh --redis redis://queue.lan:6379/0 --db /srv/archive.db \\
            --sources popwire,stagescreen --queue news:requests:eu
    """
    require_scale("newscrawl refresh")
    from newscrawl.refresh import policy_from_option
    from newscrawl.scale.redis_queue import RedisKeys, connect
    from newscrawl.scale.refresh_queue import schedule_refreshes

    policy = policy_from_option(ages, "--ages")
    if queue_key is not None and not queue_key.strip():
        # An empty key pushed the refetches where no worker reads.
        raise click.BadParameter("give the workers' SCHEDULER_QUEUE_KEY", param_hint="--queue")
    sources = None
    if source_ids is not None:
        sources = [part.strip() for part in source_ids.split(",") if part.strip()]
        if not sources:
            raise click.BadParameter("give one or more source ids", param_hint="--sources")
    logging.basicConfig(level=logging.WARNING, format="  %(message)s")
    server = connect(redis_url)
    try:
        result = schedule_refreshes(
            server,
            db_path,
            keys=RedisKeys(prefix),
            policy=policy,
            queue_key=queue_key,
            claim_ttl=claim_ttl,
            sources=sources,
        )
    finally:
        server.close()
    click.echo(f"Refresh: {result.summary()}.", err=True)
