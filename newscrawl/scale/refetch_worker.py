"""A refetch on the worker side: ready a request the archive's owner queued
(:mod:`newscrawl.scale.refresh_queue`) for this worker, or leave it unsent.

The request gets its source's download slot and politeness, as the spider gives the
requests it makes itself, and spends a page of the source's ``max_pages`` in this worker
run, as a refetch in a local crawl does: a scheduling step may queue thousands of due
pages of one publisher at once (the 1d step of a day's articles), and without a budget
every worker run fetched all of them.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

from newscrawl.conditional import without_validators
from newscrawl.scale.refresh_queue import claim_key

if TYPE_CHECKING:
    from scrapy import Request, Spider

logger = logging.getLogger(__name__)

_PREPARED = "newscrawl_refresh_prepared"


def prepare_refetch(request: Request, spider: Spider) -> Request | None:
    """Ready a refetch taken from the queue for this worker: its source's download slot
    and politeness, no validators when this worker's crawl sends none
    (``NEWSCRAWL_CONDITIONAL_REQUESTS=0``) or its source says so
    (``conditional_requests: false``); it spends a page of the source's ``max_pages``
    in this worker run, as a local crawl's refetch does. None when the request is not
    sent: this worker does not know the source (its sources file lacks it), this run
    does not crawl it (:func:`_in_this_run`), or the run's budget for it is spent
    (:func:`_over_budget`)."""
    if request.meta.get(_PREPARED):
        return request
    by_id = getattr(spider, "by_id", {})
    source = by_id.get(request.meta.get("source_id"))
    if source is None:
        logger.warning(
            "Refetch of %s not sent: source %r is not in this worker's sources file",
            request.url,
            request.meta.get("source_id"),
        )
        return None
    if not _in_this_run(source, spider):
        _release(request, spider)
        return None
    if _over_budget(request, source, spider):
        return None
    if not getattr(spider, "conditional", True) or not source.conditional_requests:
        request = without_validators(request, request.url)
    request.meta.update(spider.slot_meta(source))
    request.meta[_PREPARED] = True
    # A candidate of this run, as the channel's find of a due page is in a local crawl:
    # counted as requested alone, the funnel had more requests than candidates (the
    # URL, in the "seen" set, is also a skipped candidate when a channel lists it).
    spider.session.count(source.id, "discovered")
    spider.session.count(source.id, "requested")
    spider.crawler.stats.inc_value("newscrawl/refetches")
    return request


def _in_this_run(source: Any, spider: Spider) -> bool:
    """Whether this run crawls ``source``. A node given some sources (``-a sources=``,
    partitioned crawls: docs/scaling.md) leaves the others' refetches unsent, with their
    claims released, so that their publishers are fetched by their own node only, at its
    pace; the scheduling step for that node (``newscrawl refresh --sources ... --queue
    ...``) queues them again. One warning per source and run."""
    if source.id in {s.id for s in getattr(spider, "sources", ())}:
        return True
    stats = spider.crawler.stats
    if not stats.get_value(f"newscrawl/refetches_other_sources/{source.id}"):
        logger.warning(
            "Refetches of %s not sent: this run crawls only %s (-a sources=); queue a"
            " node's refetches onto its own queue with newscrawl refresh --sources ... --queue ...",
            source.id,
            ", ".join(s.id for s in spider.sources),
        )
    stats.inc_value(f"newscrawl/refetches_other_sources/{source.id}")
    stats.inc_value("newscrawl/refetches_other_sources")
    return False


def _release(request: Request, spider: Spider) -> None:
    """Give up the claim of a refetch this run does not send: the page is still due, and
    the next scheduling step queues it again."""
    writer = spider.session.open()
    writer.server.delete(claim_key(writer.keys, request.url))


def _over_budget(request: Request, source: Any, spider: Spider) -> bool:
    """Spend a page of ``source``'s budget in this run for ``request``, or, when none is
    left, release the refetch's claim: the page is still due, so the next scheduling
    step queues it again, for a worker run with pages left (the local crawl leaves a
    due page over budget to the next run too). No drop: the ingester would keep it out
    (a refetch is of an archived article or an earlier drop, and ``budget`` is a limit)."""
    used = spider.budget_used.get(source.id, 0)
    if used < source.max_pages:
        spider.budget_used[source.id] = used + 1
        return False
    _release(request, spider)
    stats = spider.crawler.stats
    if not stats.get_value(f"newscrawl/refetches_over_budget/{source.id}"):
        logger.info(
            "max_pages %d of %s spent: its refetches are left to a later run",
            source.max_pages,
            source.id,
        )
    stats.inc_value(f"newscrawl/refetches_over_budget/{source.id}")
    stats.inc_value("newscrawl/refetches_over_budget")
    return True
