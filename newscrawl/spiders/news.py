"""The ``news`` spider: discover article URLs on every configured publisher and fetch them.

Discovery channels (sitemaps, news sitemaps, RSS/Atom feeds, listing pages with
pagination, artist tag/search pages) are parsed by :mod:`newscrawl.discovery`; this
spider only decides what to request and records what it will not fetch in the
coverage ledger. Fetched pages leave as :class:`~newscrawl.items.Page` items for the
pipelines.

This module is the spider's outline: its arguments, its configuration and the state of
a crawl. The work of each step is in its own module:

- :mod:`newscrawl.channel_pages`: the discovery pages' requests and what each yields;
- :mod:`newscrawl.request_decisions`: whether a URL a channel listed is requested;
- :mod:`newscrawl.archive_lookups`: what the archive knows of a page and of past runs;
- :mod:`newscrawl.article_responses`: article requests and what their answers become;
- :mod:`newscrawl.refused_requests`: what the duplicate filter refused.

Arguments (``-a name=value``): ``sources`` (ids, comma-separated), ``artists`` (names:
follow only their artist pages and archive only articles about them, tagged with the
whole watchlist), ``since`` (YYYY-MM-DD: skip entries a channel dates earlier; the extract
step drops new pages published earlier; archived articles are left alone), ``urls`` (fetch exactly
these article URLs, even if archived, without discovery; each must belong to a
configured source).
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from datetime import UTC, date, datetime
from typing import Any

import scrapy
from scrapy import signals
from scrapy.http import Request, Response
from twisted.python.failure import Failure

from newscrawl import article_responses, channel_pages, refused_requests, request_decisions
from newscrawl.archive_lookups import previous_crawl_unfinished
from newscrawl.artists import load_watchlist
from newscrawl.errors import ConfigError
from newscrawl.items import NotModified, Page
from newscrawl.packaged import naming_packaged_files, packaged_config
from newscrawl.refresh import RefreshPolicy, parse_ladder
from newscrawl.session import CrawlSession
from newscrawl.setting_checks import check_settings
from newscrawl.sources import Source, download_slots, load_sources, select_sources
from newscrawl.store import Drop
from newscrawl.urls import domain_allowed


def _split(value: str | None) -> list[str]:
    return [v.strip() for v in (value or "").split(",") if v.strip()]


class NewsSpider(scrapy.Spider):
    """Crawl entertainment-news publishers for articles about watched artists."""

    name = "news"

    def __init__(
        self,
        *args: Any,
        sources: str | None = None,
        artists: str | None = None,
        since: str | None = None,
        urls: str | None = None,
        **kwargs: Any,
    ) -> None:
        # A misspelt argument (-a source=popwire) silently ran a full crawl. Scrapyd adds
        # its own, named with a leading underscore (_job).
        unknown = sorted(k for k in kwargs if not k.startswith("_"))
        if unknown:
            raise ConfigError(
                f"unknown spider argument {unknown[0]!r} (expected sources, artists, since, urls)",
                path="-a",
                field=unknown[0],
            )
        super().__init__(*args, **kwargs)
        self.run_args = {
            k: v
            for k, v in {
                "sources": sources,
                "artists": artists,
                "since": since,
                "urls": urls,
            }.items()
            if v
        }
        self.source_ids = _split(sources)
        self.artist_names = _split(artists)
        self.direct_urls = _split(urls)
        self.since: datetime | None = None
        if since:
            try:
                self.since = datetime.combine(
                    date.fromisoformat(since), datetime.min.time(), tzinfo=UTC
                )
            except ValueError:
                raise ConfigError(
                    f"expected a date YYYY-MM-DD, got {since!r}", path="-a", field="since"
                ) from None

    @classmethod
    def update_settings(cls, settings: Any) -> None:
        """Give each source its download slot with its politeness overrides (sources
        sharing a host share one: see :func:`~newscrawl.sources.download_slots`)."""
        super().update_settings(settings)
        path = settings.get("NEWSCRAWL_SOURCES") or packaged_config("sources.yml")
        try:
            sources = load_sources(path)
        except ConfigError:
            return  # reported by configure() with file, entry and field
        slots = dict(settings.getdict("DOWNLOAD_SLOTS"))
        for name, slot in download_slots(sources)[1].items():
            slots.setdefault(name, slot)
        settings.set("DOWNLOAD_SLOTS", slots, priority="spider")

    @classmethod
    def from_crawler(cls, crawler: Any, *args: Any, **kwargs: Any) -> NewsSpider:
        spider = super().from_crawler(crawler, *args, **kwargs)
        spider.configure(crawler.settings)
        crawler.signals.connect(spider.request_dropped, signal=signals.request_dropped)
        return spider

    def configure(self, settings: Any) -> None:
        """Load sources and watchlist (a bad file is a ConfigError naming file, entry, field)."""
        sources_path = settings.get("NEWSCRAWL_SOURCES") or packaged_config("sources.yml")
        artists_path = settings.get("NEWSCRAWL_ARTISTS") or packaged_config("artists.yml")
        with naming_packaged_files():
            self.all_sources: list[Source] = load_sources(sources_path)
            self.sources = select_sources(self.all_sources, self.source_ids, path=str(sources_path))
            watchlist = load_watchlist(artists_path)
        # -a artists= limits what this run looks for (artist pages) and archives, not what
        # it records: articles are tagged with the whole watchlist (full_watchlist), so an
        # article archived by a limited run carries every watched artist it mentions.
        self.full_watchlist = watchlist
        self.watchlist = watchlist.select(self.artist_names) if self.artist_names else watchlist
        # What the pipelines apply to the pages this run requests (Page.limits).
        self.limits: dict[str, Any] = {}
        if self.artist_names:
            self.limits["artists"] = sorted(a.id for a in self.watchlist.artists)
        if self.since is not None:
            self.limits["since"] = self.since.date().isoformat()
        self.refresh = RefreshPolicy(
            parse_ladder(settings.get("NEWSCRAWL_REFRESH_AGES", "1h,1d,7d"))
        )
        # Checked here, where a bad value is a one-line error before anything starts (the
        # steps that read them failed every page, or stopped with a traceback).
        check_settings(settings)
        self.incremental = settings.getbool("NEWSCRAWL_INCREMENTAL", True)
        # Refetches send the archived validators (newscrawl/conditional.py).
        self.conditional = self.incremental and settings.getbool(
            "NEWSCRAWL_CONDITIONAL_REQUESTS", True
        )
        # Redis mode: a frontier ("seen" set, queue) shared with other worker processes.
        self.shared_frontier = bool(settings.get("NEWSCRAWL_REDIS_URL"))
        self.by_id = {s.id: s for s in self.all_sources}
        # Sources whose domains overlap share one download slot (and its limits).
        self.slot_of, slot_settings = download_slots(self.all_sources)
        self.paced_slots = {name for name, slot in slot_settings.items() if "delay" in slot}
        # URL → merged evidence of every channel that listed it (popped when fetched).
        self.candidates: dict[str, dict[str, Any]] = {}
        # URL → what this crawl decided for it (see consider()).
        self.decided: dict[str, str] = {}
        # Source id → pages of its max_pages this crawl has requested.
        self.budget_used: dict[str, int] = {}
        # Discovery pages fetched a second time because the duplicate filter refused
        # them after their URL was requested as an article (see request_dropped()).
        self.channels_refetched: set[str] = set()
        # Redis mode: article URLs the shared "seen" set refused (counted as skipped once).
        self.refused_as_seen: set[str] = set()
        # The previous crawl did not finish: follow listings past known territory.
        self.catch_up = False
        for url in self.direct_urls:
            if self.source_for(url) is None:
                raise ConfigError(
                    f"{url} is not on any configured source's allowed_domains",
                    path="-a",
                    field="urls",
                )

    # -- what the other modules ask of the spider -----------------------------------

    @property
    def session(self) -> CrawlSession:
        return CrawlSession.of(self.crawler)

    def source_for(self, url: str) -> Source | None:
        for source in self.all_sources:
            if domain_allowed(url, source.allowed_domains):
                return source
        return None

    def drop(
        self,
        url: str,
        source: Source | None,
        stage: str,
        reason: str,
        detail: str = "",
        status: int | None = None,
    ) -> None:
        """Record in the coverage ledger why ``url`` is not fetched, or not archived."""
        self.session.drop(
            Drop(
                url=url,
                stage=stage,
                reason=reason,
                source_id=source.id if source else None,
                detail=detail or None,
                status=status,
            )
        )

    def slot_meta(self, source: Source) -> dict[str, Any]:
        """Request meta that puts a request for ``source`` in its download slot."""
        slot = self.slot_of.get(source.id, source.id)
        meta: dict[str, Any] = {"source_id": source.id, "download_slot": slot}
        if slot in self.paced_slots:
            # The operator set this source's pace; AutoThrottle must not change it.
            meta["autothrottle_dont_adjust_delay"] = True
        return meta

    def consider(
        self, source: Source, url: str, evidence: dict[str, Any], *, report_off_pattern: bool
    ) -> tuple[str, Request | None]:
        """Decide whether to request a candidate article URL (newscrawl/request_decisions.py)."""
        return request_decisions.consider(
            self, source, url, evidence, report_off_pattern=report_off_pattern
        )

    # -- start ----------------------------------------------------------------------

    def _keep_in_job_state(self) -> None:
        """With a JOBDIR, Scrapy saves ``self.state`` when the crawl stops and restores
        it on resume: keep the crawl's decisions, evidence and budgets there, so that a
        resumed crawl neither requests a URL again nor spends a source's budget twice."""
        state = getattr(self, "state", None)
        if state is None:
            return
        self.candidates = state.setdefault("candidates", self.candidates)
        self.decided = state.setdefault("decided", self.decided)
        self.budget_used = state.setdefault("budget_used", self.budget_used)

    async def start(self) -> AsyncIterator[Any]:
        self._keep_in_job_state()
        self.session.open()
        # A job resumed from its JOBDIR needs no catch-up: its queue holds what is left.
        resumed = bool(getattr(self, "state", {}).get("decided"))
        self.catch_up = not resumed and previous_crawl_unfinished(self.session, self.name)
        if self.catch_up:
            self.logger.info(
                "The previous crawl did not finish: listings are followed to max_listing_pages"
            )
        if self.direct_urls:
            # Fetch exactly these pages, now: no discovery, no incremental skipping.
            for url in self.direct_urls:
                source = self.source_for(url)
                _, request = self.consider(source, url, {"channel": "url"}, report_off_pattern=True)
                if request is not None:
                    yield request
            return
        for request in channel_pages.discovery_requests(self):
            yield request

    # -- callbacks and errbacks -----------------------------------------------------
    # Scrapy names a request's callback by the spider method it is when it stores the
    # request (a JOBDIR, the Redis queue), so each stays a method here and does its
    # work in its module.

    def parse_sitemap(self, response: Response) -> Iterator[Request]:
        yield from channel_pages.sitemap_requests(self, response)

    def parse_robots_txt(self, response: Response) -> Iterator[Request]:
        yield from channel_pages.robots_txt_requests(self, response)

    def parse_feed(self, response: Response) -> Iterator[Request]:
        yield from channel_pages.feed_requests(self, response)

    def parse_listing(self, response: Response) -> Iterator[Request]:
        yield from channel_pages.listing_requests(self, response)

    def channel_failed(self, failure: Failure) -> None:
        channel_pages.record_channel_failure(self, failure)

    def parse_article(self, response: Response) -> Iterator[Page | NotModified | Request]:
        yield from article_responses.article_answer(self, response)

    def article_failed(self, failure: Failure) -> None:
        article_responses.record_article_failure(self, failure)

    def fetch_listed_spelling(self, page: Page) -> None:
        """The extract step's call for a soft 404 (newscrawl/article_responses.py)."""
        article_responses.fetch_listed_spelling(self, page)

    def request_dropped(self, request: Request) -> None:
        """The request_dropped signal's handler (newscrawl/refused_requests.py)."""
        refused_requests.record_refused_request(self, request)
