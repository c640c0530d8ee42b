"""What the news spider asks the archive: about a page before and after fetching it,
and about the crawls before this one.

A local crawl's session opens the SQLite archive (:class:`~newscrawl.store.Archive`). A
Redis-mode worker has no archive to ask: its session opens the shared frontier
(:mod:`newscrawl.scale`), whose "seen" set holds the URLs some worker of the crawl
requested, and a refetch the archive's owner queued carries the archived row it is for.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from newscrawl.urls import site_of

if TYPE_CHECKING:
    from scrapy.http import Response

    from newscrawl.session import CrawlSession
    from newscrawl.spiders.news import NewsSpider


def only_a_copy_of(known: dict | None, url: str) -> bool:
    """True when the archived row found for ``url`` is another site's syndicated copy
    whose canonical URL is ``url``: the publisher's own page is not archived yet."""
    return (
        known is not None
        and known.get("url") != url
        and known.get("canonical_url") == url
        and site_of(known.get("url") or "") != site_of(url)
    )


def spelling_lookup(spider: NewsSpider) -> Callable[[str], Any] | None:
    """How :func:`~newscrawl.url_variants.request_spelling` finds the spellings of an
    article the archive holds; None when this run asks the archive nothing (neither
    incremental nor limited by ``-a since=``)."""
    if not (spider.incremental or spider.since is not None):
        return None
    archive = spider.session.open()
    # Redis mode: no archive to ask; the shared "seen" set has the spellings requested.
    return getattr(archive, "seen", None) or archive.archived_page


def archived_page_for(session: CrawlSession, response: Response, request_url: str) -> Any:
    """The archived row of the article ``request_url`` asked for (None when not archived)."""
    # (A Redis-mode worker cannot ask the archive: a refetch its owner queued says
    # whether the archive holds the page.)
    archived = (response.meta.get("newscrawl_refresh") or {}).get("archived")
    return archived or session.open().archived_page(request_url)


def previous_crawl_unfinished(session: CrawlSession, spider_name: str) -> bool:
    """True when the previous crawl of this archive did not finish (killed, stopped,
    its disk full): pages it fetched last may be missing behind listing pages whose
    other links are all archived, so this crawl does not stop at known territory."""
    archive, run_id = session.archive, session.run_id
    if archive is None or run_id is None or not hasattr(archive, "db"):
        # (Redis mode: no archive here; the shared queue keeps what a run left.)
        return False
    # Any unfinished run since the last finished run that walked every listing: a
    # finished run limited to some URLs, sources or dates in between did not find
    # again what the unfinished one lost.
    row = archive.db.execute(
        "select count(*) from crawl_runs where spider = :spider and id < :run"
        " and finish_reason is not 'finished'"
        " and id > coalesce((select max(id) from crawl_runs where spider = :spider"
        "   and id < :run and finish_reason = 'finished'"
        "   and json_extract(args, '$.urls') is null"
        "   and json_extract(args, '$.sources') is null"
        "   and json_extract(args, '$.since') is null), 0)",
        {"spider": spider_name, "run": run_id},
    ).fetchone()
    return bool(row and row[0])
