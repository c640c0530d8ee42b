"""Item pipelines, one class per step: raw archive → extract → tag → dedupe → store.

A page that cannot become an archived article is rejected with :class:`PageDropped`,
which names the stage and a short reason code; the ledger extension turns every
rejection into a ``drops`` row, so nothing fetched disappears silently.
"""

from __future__ import annotations

import asyncio
import logging
import os
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, date, datetime
from typing import TYPE_CHECKING, Any

from itemadapter import ItemAdapter
from scrapy.exceptions import DropItem, NotConfigured

from newscrawl.article_gate import why_not_an_article
from newscrawl.conditional import validators_of
from newscrawl.dedupe import Deduplicator
from newscrawl.extract_worker import PRELOAD, exit_with, extract_in_worker
from newscrawl.items import Article, NotModified, Page
from newscrawl.refresh import parse_time
from newscrawl.session import CrawlSession
from newscrawl.url_variants import LISTED_AS
from newscrawl.urls import canonicalize_url
from newscrawl.warc import gzip_member
from newscrawl.workers import TaskTimedOut, WorkerDied, WorkerPool

if TYPE_CHECKING:
    from scrapy.crawler import Crawler

logger = logging.getLogger(__name__)


class PageDropped(DropItem):
    """A page or article rejected by a pipeline step, with the ledger's stage and reason."""

    def __init__(self, *, stage: str, reason: str, url: str, detail: str = "") -> None:
        message = f"{stage}/{reason}: {url}" + (f" ({detail})" if detail else "")
        super().__init__(message, log_level="DEBUG")
        self.stage = stage
        self.reason = reason
        self.url = url
        self.detail = detail


# A record smaller than this is compressed on the reactor thread (~0.1 ms for 9 KB): the
# hand-off to the compressor thread and back (a future, a wake-up, the GIL changing
# threads twice) cost the crawl process more than that, ~0.2 CPU ms a page on the
# demo site (docs/benchmarks.md, eighth round). A larger record (real pages average
# 360 KB: ~6 ms) still goes to the thread, so the reactor keeps downloading meanwhile.
INLINE_GZIP_BYTES = 32_768

# The extracted fields an Article takes (its mentions come from the tag step); once, not
# per page.
_ARTICLE_FIELDS = frozenset(Article.__dataclass_fields__) - {"mentions"}


class WarcPipeline:
    """Write every fetched article response to the run's WARC series, and point the
    page at its record, so the archive can be rebuilt without recrawling. A 304 answer
    to a conditional refetch is written as a ``revisit`` record."""

    def __init__(self, crawler: Crawler) -> None:
        from newscrawl.warc import WarcSeries, warc_dir_for

        settings = crawler.settings
        if not settings.getbool("NEWSCRAWL_WARC_ENABLED", True):
            raise NotConfigured("NEWSCRAWL_WARC_ENABLED is off")
        self.crawler = crawler
        directory = warc_dir_for(settings)
        self.series = WarcSeries(
            directory,
            prefix=settings.get("NEWSCRAWL_WARC_PREFIX") or "newscrawl",
            max_size=settings.getint("NEWSCRAWL_WARC_MAX_SIZE", 1_000_000_000),
            gzip_level=settings.getint("NEWSCRAWL_WARC_GZIP_LEVEL", 6),
        )
        self.compressor: ThreadPoolExecutor | None = None

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> WarcPipeline:
        return cls(crawler)

    def open_spider(self) -> None:
        session = CrawlSession.of(self.crawler)
        session.open()
        self.series.run_id = session.run_id
        # Records first, rows second: a power cut after the commit must not leave a row
        # pointing at a record still in the page cache.
        session.before_commit.append(
            (f"{self.series.directory}: cannot sync the WARC files", self.series.sync)
        )

        # Compression is the WARC step's CPU cost; zlib releases the GIL, so a thread
        # keeps a large record's off the reactor.
        self.compressor = ThreadPoolExecutor(1, thread_name_prefix="newscrawl-warc")

    def close_spider(self) -> None:
        if self.compressor is not None:
            self.compressor.shutdown(wait=True)
        self.series.close()

    async def process_item(self, item: Any) -> Any:
        if not isinstance(item, Page | NotModified) or item.warc_file:
            return item
        if isinstance(item, NotModified):
            raw = self.series.encode_revisit(item)
        else:
            raw = self.series.encode_response(item)
        if len(raw) < INLINE_GZIP_BYTES:
            member = gzip_member(raw, self.series.gzip_level)
        else:
            loop = asyncio.get_running_loop()
            member = await loop.run_in_executor(
                self.compressor, gzip_member, raw, self.series.gzip_level
            )
        try:
            item.warc_file, item.warc_offset = self.series.append(member)
        except OSError as error:
            # The WARC folder's disk is full or failing (it may not be the archive's):
            # every later page would be lost the same way, with no row and no drop.
            why = f"{self.series.directory}: cannot write the WARC records: "
            CrawlSession.of(self.crawler).fail(why + (error.strerror or str(error)))
            raise DropItem(f"{why}{error}") from None
        self.crawler.stats.inc_value("newscrawl/warc_records")
        return item


# Extraction workers yield the CPU to the reactor (and to other processes) when cores
# are short: on two cores the reactor is the bottleneck of a crawl (bench/crawl.py).
EXTRACT_NICENESS = 10


class ExtractPipeline:
    """Turn a :class:`Page` into an :class:`Article` with the layered extractor.

    Extraction is the CPU cost of a crawl, so it runs in a pool of worker processes
    (``NEWSCRAWL_EXTRACT_WORKERS``, default: one per core; 0 runs it in-process) and
    the reactor stays free to download. The pool is driven by the event loop itself
    (:mod:`newscrawl.workers`) and its workers run at a lower CPU priority, so on a
    small machine the reactor keeps a core and extraction takes the rest.
    """

    def __init__(self, crawler: Crawler) -> None:
        settings = crawler.settings
        self.crawler = crawler
        self.min_words = settings.getint("NEWSCRAWL_MIN_WORDS", 40)
        workers = settings.get("NEWSCRAWL_EXTRACT_WORKERS")
        self.workers = (os.cpu_count() or 1) if workers in (None, "") else int(workers)
        # A page that keeps a worker busy for minutes (libxml2 is quadratic in an
        # element's attributes) is stopped and dropped as `failed`, not waited for.
        self.timeout = settings.getfloat("NEWSCRAWL_EXTRACT_TIMEOUT", 120) or None
        self.executor: WorkerPool | None = None

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> ExtractPipeline:
        return cls(crawler)

    def open_spider(self) -> None:
        if self.workers > 0:
            self.executor = WorkerPool(
                self.workers,
                niceness=EXTRACT_NICENESS,
                initializer=exit_with,
                initargs=(os.getpid(),),
                preload=PRELOAD,
                task_timeout=self.timeout,
            )

    def close_spider(self) -> None:
        if self.executor is not None:
            self.executor.close()
            self.executor = None

    def _site_names(self, source_id: str) -> tuple[str, ...]:
        # The publisher's name in sources.yml: a page whose headline is only that name
        # (an error page's) says nothing about a story.
        spider = self.crawler.spider
        sources = getattr(spider, "all_sources", None) or getattr(spider, "sources", None) or []
        return tuple(s.name for s in sources if s.id == source_id)

    async def _extract(self, page: Page) -> dict:
        # The fetch time (a crawl's, or the WARC record's when re-extracting) is what
        # relative dates on the page count from, so a replay reads the same dates.
        args = (page.body, page.url, dict(page.headers), dict(page.discovery), page.fetched_at)
        if self.executor is None:
            return extract_in_worker(*args)
        try:
            return await self.executor.run(extract_in_worker, *args)
        except TaskTimedOut as error:
            return {"error": "failed", "detail": f"extraction {error} (NEWSCRAWL_EXTRACT_TIMEOUT)"}
        except WorkerDied as error:  # the page crashed the worker (the others are sent on)
            return {"error": "failed", "detail": str(error)}

    async def process_item(self, item: Any) -> Any:
        if not isinstance(item, Page):
            return item
        from newscrawl.extract import EXTRACTOR_VERSION

        result = await self._extract(item)
        if "error" in result:
            raise PageDropped(
                stage="extract", reason=result["error"], url=item.url, detail=result["detail"]
            )
        fields = result["fields"]
        refused = why_not_an_article(
            fields, min_words=self.min_words, site_names=self._site_names(item.source_id)
        )
        if refused:
            reason, detail = refused
            if reason == "soft_404" and LISTED_AS in (item.discovery or {}):
                # The plain URL of an AMP page a channel listed: that page may be there.
                fetch_listed = getattr(self.crawler.spider, "fetch_listed_spelling", None)
                if fetch_listed is not None:
                    fetch_listed(item)
            raise PageDropped(stage="extract", reason=reason, url=item.url, detail=detail)
        values = {k: v for k, v in fields.items() if k in _ARTICLE_FIELDS}
        values["url"] = item.url
        values["canonical_url"] = canonicalize_url(fields.get("canonical_url") or item.url)
        article = Article(
            **values,
            source_id=item.source_id,
            fetched_at=item.fetched_at,
            discovery=item.discovery,
            warc_file=item.warc_file,
            warc_offset=item.warc_offset,
            extractor_version=EXTRACTOR_VERSION,
            request_url=item.request_url if item.request_url != item.url else "",
            limits=dict(item.limits),
            **validators_of(item.headers),
        )
        # -a since: channels date most pages before they are fetched; this catches the
        # ones only undated channels led to (and dated channels merged too late). An
        # article the archive already holds is refreshed as usual, never made a drop.
        # The date is the requesting run's (in Redis mode, maybe another worker's).
        since = item.limits.get("since")
        if (
            since
            and published_before(article.published_at, since)
            and not is_archived(self.crawler, article)
        ):
            raise PageDropped(
                stage="extract",
                reason="before_since",
                url=item.url,
                detail=f"published {article.published_at[:10]}, before {since}",
            )
        self.crawler.stats.inc_value("newscrawl/extracted")
        return article


class TagPipeline:
    """Find the watched artists an article mentions; articles about nobody on the
    watchlist are dropped (``tag/no_artist``).

    Tagging always uses the whole watchlist. A crawl limited with ``-a artists=`` archives
    only articles about its artists: a new page about other watched artists only is
    dropped as ``tag/not_selected``, which a later run fetches again (it is not a fact
    about the page, as ``no_artist`` is); a page already archived is updated as usual."""

    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler
        self.matcher = None

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> TagPipeline:
        return cls(crawler)

    def open_spider(self) -> None:
        spider = self.crawler.spider
        full = getattr(spider, "full_watchlist", None) or spider.watchlist
        self.matcher = full.matcher()

    def process_item(self, item: Any) -> Any:
        if not isinstance(item, Article):
            return item
        item.mentions = self.matcher.tag(item.title, item.description, item.body)
        if not item.mentions:
            if getattr(self.crawler.spider, "replay", False) and is_archived(self.crawler, item):
                # Re-extraction with a watchlist that no longer names anyone the article
                # mentions: it stays archived (without mentions), never also a drop.
                self.crawler.stats.inc_value("newscrawl/archived_without_artists")
                return item
            raise PageDropped(stage="tag", reason="no_artist", url=item.url)
        # The artists of the run that requested the page (in Redis mode, maybe another
        # worker's), not necessarily this process's -a artists.
        selected = item.limits.get("artists")
        if (
            selected
            and not any(m.artist_id in selected for m in item.mentions)
            and not is_archived(self.crawler, item)
        ):
            named = ", ".join(sorted({m.artist for m in item.mentions}))
            raise PageDropped(
                stage="tag",
                reason="not_selected",
                url=item.url,
                detail=f"mentions {named}, none of this run's -a artists",
            )
        self.crawler.stats.inc_value("newscrawl/tagged")
        return item


def published_before(published_at: str | None, since: str) -> bool:
    """Whether an extracted publication date falls before ``since`` (YYYY-MM-DD, UTC
    midnight; an undated page is not before it)."""
    moment = parse_time(published_at)
    return moment is not None and moment < datetime.combine(
        date.fromisoformat(since), datetime.min.time(), tzinfo=UTC
    )


def is_archived(crawler: Crawler, article: Article) -> bool:
    """True when the archive already holds ``article`` (by canonical URL or fetched URL).
    Always False in Redis mode, where workers have no archive to ask."""
    archive = CrawlSession.of(crawler).open()
    return archive.archived_page(article.canonical_url) is not None or (
        article.url != article.canonical_url and archive.archived_page(article.url) is not None
    )


class DedupePipeline:
    """Drop duplicates (``dedupe/duplicate``) by the rules of :mod:`newscrawl.dedupe`."""

    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler
        self.deduplicator = Deduplicator()

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> DedupePipeline:
        return cls(crawler)

    def process_item(self, item: Any) -> Any:
        if not isinstance(item, Article):
            return item
        archive = CrawlSession.of(self.crawler).open()
        original = self.deduplicator.duplicate_of(item, archive)
        if original is not None:
            raise PageDropped(stage="dedupe", reason="duplicate", url=item.url, detail=original)
        return item


class StorePipeline:
    """Write articles to the archive in batched transactions (``NEWSCRAWL_BATCH_SIZE``)."""

    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> StorePipeline:
        return cls(crawler)

    def open_spider(self) -> None:
        CrawlSession.of(self.crawler).open()

    def close_spider(self) -> None:
        CrawlSession.of(self.crawler).flush()

    def process_item(self, item: Any) -> Any:
        if isinstance(item, Article | NotModified):
            CrawlSession.of(self.crawler).add_article(item)
        else:
            logger.warning("StorePipeline got an unexpected item: %r", ItemAdapter(item).get("url"))
        return item
