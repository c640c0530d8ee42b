"""The ``news`` spider: discover article URLs on every configured publisher and fetch them.

Discovery channels (sitemaps, news sitemaps, RSS/Atom feeds, listing pages with
pagination, artist tag/search pages) are parsed by :mod:`newscrawl.discovery`; this
spider only decides what to request and records what it will not fetch in the
coverage ledger. Fetched pages leave as :class:`~newscrawl.items.Page` items for the
pipelines.

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
from http import HTTPStatus
from typing import Any
from urllib.parse import quote_plus

import scrapy
from scrapy import signals
from scrapy.http import Request, Response
from scrapy.spidermiddlewares.httperror import HttpError
from twisted.python.failure import Failure

from newscrawl.artists import load_watchlist
from newscrawl.conditional import (
    VALIDATORS_META,
    answers_not_modified,
    make_conditional,
    names_another_version,
    not_modified_item,
    validators_for,
    without_validators,
)
from newscrawl.discovery import (
    MAX_SITEMAP_BYTES,
    is_robots_txt,
    links_fingerprint,
    parse_feed,
    parse_listing,
    parse_robots_sitemaps,
    parse_sitemap,
)
from newscrawl.errors import ConfigError
from newscrawl.fetch_failures import failure_reason, requested_url
from newscrawl.items import NotModified, Page
from newscrawl.packaged import naming_packaged_files, packaged_config
from newscrawl.redirects import redirected_off_articles
from newscrawl.refresh import RefreshPolicy, parse_ladder, parse_time
from newscrawl.session import CrawlSession
from newscrawl.setting_checks import check_settings
from newscrawl.sitemap_hosts import refused_children
from newscrawl.sources import Source, download_slots, load_sources, select_sources
from newscrawl.store import Drop
from newscrawl.url_variants import (
    FIRST_SPELLING,
    LISTED_AS,
    request_spelling,
    spelling_after_missing,
)
from newscrawl.urls import canonicalize_url, domain_allowed, site_of

CHANNEL_PRIORITY = {"sitemap": 30, "feed": 20, "listing": 10, "artist-page": 10}
# Error statuses the article callback drops with their status. Redirects are left to
# Scrapy's RedirectMiddleware (``handle_httpstatus_all`` would switch it off); any other
# status reaches article_failed as an HttpError and is recorded the same way.
ARTICLE_STATUSES = tuple(status.value for status in HTTPStatus if status.value >= 400)
MAX_SITEMAP_DEPTH = 4
"""Sitemap indexes are followed this many levels deep at most: sitemaps.org allows one
level, and an index that links to the next index forever is a crawler trap."""


def only_a_copy_of(known: dict | None, url: str) -> bool:
    """True when the archived row found for ``url`` is another site's syndicated copy
    whose canonical URL is ``url``: the publisher's own page is not archived yet."""
    return (
        known is not None
        and known.get("url") != url
        and known.get("canonical_url") == url
        and site_of(known.get("url") or "") != site_of(url)
    )


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

    # -- helpers --------------------------------------------------------------------

    @property
    def session(self) -> CrawlSession:
        return CrawlSession.of(self.crawler)

    def source_for(self, url: str) -> Source | None:
        for source in self.all_sources:
            if domain_allowed(url, source.allowed_domains):
                return source
        return None

    def _drop(
        self,
        url: str,
        source: Source | None,
        stage: str,
        reason: str,
        detail: str = "",
        status: int | None = None,
    ) -> None:
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

    def _slot_meta(self, source: Source) -> dict[str, Any]:
        slot = self.slot_of.get(source.id, source.id)
        meta: dict[str, Any] = {"source_id": source.id, "download_slot": slot}
        if slot in self.paced_slots:
            # The operator set this source's pace; AutoThrottle must not change it.
            meta["autothrottle_dont_adjust_delay"] = True
        return meta

    def _channel_request(
        self, url: str, source: Source, callback: Any, channel: str, **meta: Any
    ) -> Request:
        return Request(
            url,
            callback=callback,
            errback=self.channel_failed,
            # Dated channels first, listings next, articles last: a page's evidence from
            # every channel is merged before it is fetched.
            priority=CHANNEL_PRIORITY.get(channel, 10),
            meta={
                **self._slot_meta(source),
                "channel": channel,
                # A sitemap may be 50 MB uncompressed (the sitemaps.org limit), more than
                # DOWNLOAD_MAXSIZE allows an article page.
                **({"download_maxsize": MAX_SITEMAP_BYTES} if channel == "sitemap" else {}),
                **meta,
            },
        )

    def _older_than_since(self, evidence: dict[str, Any]) -> bool:
        if self.since is None:
            return False
        for key in ("published", "updated", "lastmod"):
            moment = parse_time(evidence.get(key))
            if moment is not None:
                return moment < self.since
        return False

    def consider(
        self, source: Source, url: str, evidence: dict[str, Any], *, report_off_pattern: bool
    ) -> tuple[str, Request | None]:
        """Decide what to do with a candidate article URL.

        Returns the outcome and a request when one is to be sent. Outcomes: ``requested``
        (now, or earlier in this crawl: the page is new or due), ``skipped`` (archived
        and fresh), ``dropped`` (recorded in the ledger), ``ignored`` (not an article
        link of this source, found on a listing).
        """
        url = canonicalize_url(url)
        if not self.direct_urls:
            # One request per article: its plain URL for an AMP one, the spelling already
            # requested or archived for one that differs by a trailing slash.
            listed = url
            url = request_spelling(
                url, source, decided=self.decided, archived=self._archive_lookup()
            )
            if url != listed:
                evidence = {**evidence, LISTED_AS: listed}
        if url in self.candidates:  # requested, not fetched yet: merge what channels say
            merged = self.candidates[url]
            channels = merged.setdefault("channels", [])
            if evidence.get("channel") and evidence["channel"] not in channels:
                channels.append(evidence["channel"])
            for key, value in evidence.items():
                merged.setdefault(key, value)
        previous = self.decided.get(url)
        if previous is not None:
            # A channel dating the page (sitemap lastmod, feed updated) may show that an
            # archived page skipped on another channel's word has changed since.
            dated = any(evidence.get(k) for k in ("lastmod", "updated"))
            if not (previous == "skipped" and dated):
                return previous, None
        outcome, request = self._decide(
            source, url, evidence, report_off_pattern=report_off_pattern
        )
        if outcome != "ignored":  # a sitemap or feed listing it later still reports it
            self.decided[url] = outcome
        return outcome, request

    def _archive_lookup(self) -> Any:
        if not (self.incremental or self.since is not None):
            return None
        archive = self.session.open()
        # Redis mode: no archive to ask; the shared "seen" set has the spellings requested.
        return getattr(archive, "seen", None) or archive.archived_page

    def _decide(
        self, source: Source, url: str, evidence: dict[str, Any], *, report_off_pattern: bool
    ) -> tuple[str, Request | None]:
        if not domain_allowed(url, source.allowed_domains):
            if not report_off_pattern:
                return "ignored", None
            self._drop(
                url, source, "discover", "offsite", f"not on {', '.join(source.allowed_domains)}"
            )
            return "dropped", None
        if not source.is_article_url(url):
            if not report_off_pattern:
                return "ignored", None
            self._drop(
                url, source, "discover", "off_pattern", f"does not match {source.article_url}"
            )
            return "dropped", None
        if url not in self.decided:
            self.session.count(source.id, "discovered")
        known = dropped = None
        seen = False
        if (self.incremental or self.since is not None) and not self.direct_urls:
            archive = self.session.open()
            known, dropped = archive.archived_page(url), archive.dropped_page(url)
            if only_a_copy_of(known, url):
                # What is archived is another publisher's syndicated copy of this page:
                # fetch the original, which replaces the copy (store: replaced_copy).
                known = None
            # Redis mode: no archive to ask; the shared "seen" set says it was fetched.
            seen = bool(getattr(archive, "seen", None) and archive.seen(url))
        if self._older_than_since(evidence):
            if known is not None or dropped is not None or seen:
                # -a since= leaves what the archive already holds alone: an archived
                # article is not a drop, and an earlier drop keeps its own reason.
                if self.decided.get(url) != "skipped":
                    self.session.count(source.id, "skipped")
                return "skipped", None
            detail = f"channel dates it before {self.since.date()}"
            self._drop(url, source, "discover", "before_since", detail)
            return "dropped", None
        if self.incremental and not self.direct_urls:
            decision = self.refresh.decide(known, evidence, dropped=dropped)
            if seen:
                # Redis mode: the archive's owner decides whether the channel's date
                # makes the page worth fetching again (newscrawl.scale.refresh_queue).
                self.session.open().channel_dates_seen(url, source.id, evidence)
            if seen or not decision.fetch:
                if self.decided.get(url) != "skipped":
                    self.session.count(source.id, "skipped")
                return "skipped", None
            if self.decided.get(url) == "skipped":
                self.session.count(source.id, "skipped", -1)
        used = self.budget_used.get(source.id, 0)
        if used >= source.max_pages:
            self._drop(url, source, "discover", "budget", f"max_pages {source.max_pages} reached")
            return "dropped", None
        self.budget_used[source.id] = used + 1
        self.candidates[url] = {**evidence, "channels": [evidence.get("channel", "url")]}
        self.session.count(source.id, "requested")
        # (The evidence travels with the request when another process fetches it.)
        meta = {"newscrawl_evidence": self.candidates[url], "newscrawl_limits": self.limits}
        request = self._article_request(source, url, meta)
        if self.conditional and source.conditional_requests:
            request = make_conditional(request, validators_for(known, url))
        return "requested", request

    def _article_request(self, source: Source, url: str, meta: dict[str, Any]) -> Request:
        return Request(
            url,
            callback=self.parse_article,
            errback=self.article_failed,
            meta={
                **self._slot_meta(source),
                "newscrawl_article": True,
                "handle_httpstatus_list": ARTICLE_STATUSES,
                **meta,
            },
            # -a urls: exactly these pages, now, even if a shared "seen" set has them.
            dont_filter=bool(self.direct_urls),
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

    def _after_an_unfinished_run(self) -> bool:
        """True when the previous crawl of this archive did not finish (killed, stopped,
        its disk full): pages it fetched last may be missing behind listing pages whose
        other links are all archived, so this crawl does not stop at known territory."""
        archive, run_id = self.session.archive, self.session.run_id
        if archive is None or run_id is None or not hasattr(archive, "db"):
            # (Redis mode: no archive here; the shared queue keeps what a run left.)
            return False
        if getattr(self, "state", {}).get("decided"):
            return False  # a job resumed from its JOBDIR: its queue holds what is left
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
            {"spider": self.name, "run": run_id},
        ).fetchone()
        return bool(row and row[0])

    async def start(self) -> AsyncIterator[Any]:
        self._keep_in_job_state()
        self.session.open()
        self.catch_up = self._after_an_unfinished_run()
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
        walk = self._walk_meta()
        for source in self.sources:
            for url in source.sitemaps:
                # A robots.txt stands for the sitemaps its Sitemap: lines name (as in
                # Scrapy's SitemapSpider).
                parse = self.parse_robots_txt if is_robots_txt(url) else self.parse_sitemap
                yield self._channel_request(url, source, parse, "sitemap")
            for url in source.feeds:
                yield self._channel_request(url, source, self.parse_feed, "feed")
            for url in source.listings:
                yield self._channel_request(
                    url, source, self.parse_listing, "listing", listing_page=1, **walk
                )
            for template in source.artist_pages:
                for artist in self.watchlist.artists:
                    url = template.replace("{slug}", artist.id).replace(
                        "{query}", quote_plus(artist.name)
                    )
                    yield self._channel_request(
                        url,
                        source,
                        self.parse_listing,
                        "artist-page",
                        listing_page=1,
                        artist=artist.id,
                        **walk,
                    )

    # -- channels -------------------------------------------------------------------

    def parse_sitemap(self, response: Response) -> Iterator[Request]:
        source = self.by_id[response.meta["source_id"]]
        try:
            result = parse_sitemap(response.body, response.url)
        except ValueError as error:
            self.logger.warning("Sitemap %s unreadable: %s", response.url, error)
            self.crawler.stats.inc_value("newscrawl/channel_errors")
            return
        if result.kind == "invalid":
            self.logger.warning("Not a sitemap: %s", response.url)
            self.crawler.stats.inc_value("newscrawl/channel_errors")
            return
        depth = response.meta.get("sitemap_depth", 1)
        if result.sitemaps and depth >= MAX_SITEMAP_DEPTH:
            self.logger.warning(
                "Sitemap index %s is %d levels deep; its children are not followed",
                response.url,
                depth,
            )
            self.crawler.stats.inc_value("newscrawl/sitemap_depth_limit")
            result.sitemaps = []
        children = [c for c in result.sitemaps if not self._older_than_since(c.evidence)]
        refused = refused_children([c.url for c in children], response.url, source)
        for why, urls in refused.items():
            # Not the publisher's (sitemap_hosts.py): said once per reason, counted per child.
            self.crawler.stats.inc_value("newscrawl/sitemap_offsite", len(urls))
            many = f" (and {len(urls) - 1} more)" if len(urls) > 1 else ""
            self.logger.warning(
                "Child sitemap %s of %s not followed%s: %s", urls[0], response.url, many, why
            )
        skipped = {url for urls in refused.values() for url in urls}
        for child in children:
            if child.url not in skipped:
                yield self._channel_request(
                    child.url, source, self.parse_sitemap, "sitemap", sitemap_depth=depth + 1
                )
        for entry in result.urls:
            evidence = {**entry.evidence, "via": response.url}
            _, request = self.consider(source, entry.url, evidence, report_off_pattern=True)
            if request is not None:
                yield request

    def parse_robots_txt(self, response: Response) -> Iterator[Request]:
        """The sitemaps a source's robots.txt names. The middleware answers this request
        with the robots.txt it fetched to obey it. Sitemaps.org lets robots.txt name a
        sitemap on another host (a CDN): the publisher vouches for it, so it is followed."""
        source = self.by_id[response.meta["source_id"]]
        urls = parse_robots_sitemaps(response.body, response.url)
        if not urls:
            self.logger.warning("robots.txt %s names no sitemaps", response.url)
            self.crawler.stats.inc_value("newscrawl/channel_errors")
        for url in urls:
            yield self._channel_request(url, source, self.parse_sitemap, "sitemap")

    def parse_feed(self, response: Response) -> Iterator[Request]:
        source = self.by_id[response.meta["source_id"]]
        entries = parse_feed(response.body, response.url)
        if not entries:
            self.logger.warning("Feed %s has no entries", response.url)
        for entry in entries:
            evidence = {**entry.evidence, "via": response.url}
            _, request = self.consider(source, entry.url, evidence, report_off_pattern=True)
            if request is not None:
                yield request

    def parse_listing(self, response: Response) -> Iterator[Request]:
        source = self.by_id[response.meta["source_id"]]
        channel = response.meta["channel"]
        page_number = response.meta.get("listing_page", 1)
        if not hasattr(response, "text"):
            return
        result = parse_listing(response.body, response.url, encoding=response.encoding)
        new_articles, skipped = 0, []
        for url in result.links:
            evidence = {"channel": channel, "via": response.url}
            outcome, request = self.consider(source, url, evidence, report_off_pattern=False)
            if outcome == "requested":
                new_articles += 1
            elif outcome == "skipped":
                skipped.append(canonicalize_url(url))
            if request is not None:
                yield request
        # Follow pagination while pages list articles the archive does not have yet
        # (found here or by another channel in this crawl); stop at known territory,
        # unless the previous crawl did not finish. In Redis mode the shared "seen" set
        # also holds what another worker of this crawl requested moments ago (its copy of
        # this page, or a sitemap): those links count as new (newscrawl.scale.territory).
        if not new_articles and skipped and self.shared_frontier:
            new_articles = self._requested_by_this_crawl(skipped, response.meta)
        fingerprint = links_fingerprint([u for u in result.links if source.is_article_url(u)])
        if fingerprint == response.meta.get("listing_fingerprint"):  # the page before, again
            self.crawler.stats.inc_value("newscrawl/listing_repeated")
        elif (new_articles or self.catch_up) and page_number < source.max_listing_pages:
            more = {"listing_page": page_number + 1, "listing_fingerprint": fingerprint}
            if "crawl_began" in response.meta:
                more["crawl_began"] = response.meta["crawl_began"]
            for url in result.next_pages[:1]:
                if domain_allowed(url, source.allowed_domains):
                    yield self._channel_request(url, source, self.parse_listing, channel, **more)

    def _walk_meta(self) -> dict[str, Any]:
        """Redis mode: what this run's listing walks carry to tell this crawl's requests
        from known territory, whichever worker reads their later pages."""
        began = getattr(self.session.open(), "crawl_began", None)
        return {"crawl_began": began()} if began else {}

    def _requested_by_this_crawl(self, urls: list[str], meta: dict[str, Any]) -> int:
        """How many of ``urls`` (skipped: in the shared "seen" set) workers of this crawl
        requested; all of them for a walk queued without its start (an older worker)."""
        if "crawl_began" not in meta:
            return len(urls)
        return len(self.session.open().requested_since(urls, meta["crawl_began"]))

    def channel_failed(self, failure: Failure) -> None:
        request = failure.request
        self.crawler.stats.inc_value("newscrawl/channel_errors")
        self.logger.warning("Discovery page %s failed: %s", request.url, failure.getErrorMessage())

    # -- articles -------------------------------------------------------------------

    def parse_article(self, response: Response) -> Iterator[Page | NotModified | Request]:
        source = self.by_id[response.meta["source_id"]]
        request_url = requested_url(response.request)
        evidence = self.candidates.pop(request_url, None) or response.meta.get(
            "newscrawl_evidence", {}
        )
        self.session.count(source.id, "fetched")
        if answers_not_modified(response):
            self.crawler.stats.inc_value("newscrawl/not_modified")
            yield not_modified_item(response, source_id=source.id, discovery=evidence)
            return
        if response.status == 304 and VALIDATORS_META in response.meta:
            # From another URL than the one whose validators were sent (after a
            # redirect), or about another version (another ETag): it says nothing about
            # the archived page; fetch it in full.
            self.session.count(source.id, "fetched", -1)
            other = "other_version" if names_another_version(response) else "elsewhere"
            self.crawler.stats.inc_value(f"newscrawl/not_modified_{other}")
            yield without_validators(response.request, request_url)
            return
        if (
            response.status in (404, 410)
            and not self.direct_urls  # -a urls=: exactly the URLs given
            and (
                listed := spelling_after_missing(
                    response.request,
                    evidence,
                    self._archived(response, request_url),
                    homepage=source.homepage,
                )
            )
        ):
            # The plain URL of an AMP page the channel listed is not there, or the URL
            # of an archived article is not: fetch its other spelling (url_variants.py).
            self.session.count(source.id, "fetched", -1)
            self.candidates[listed.url] = listed.meta["newscrawl_evidence"]
            self.decided[listed.url] = "requested"
            yield listed
            return
        if response.status >= 300 or response.status < 200 or response.status == 204:
            reason, detail = "http_status", f"HTTP {response.status}"
            if response.status in (404, 410) and self._archived(response, request_url):
                # An archived article taken off the site: the archived version stays;
                # the ledger says when the page was found gone (a refresh counts from then).
                reason = "removed"
                detail = f"HTTP {response.status} on refetch; the archived version is kept"
                request_url = response.meta.get(FIRST_SPELLING, request_url)
            self._drop(request_url, source, "fetch", reason, detail, status=response.status)
            return
        if not domain_allowed(response.url, source.allowed_domains):
            self._drop(request_url, source, "fetch", "offsite", f"redirected to {response.url}")
            return
        if response.meta.get("redirect_urls") and (  # to a removed story's home page, say
            off := redirected_off_articles(
                source, response.url, archived=bool(self._archived(response, request_url))
            )
        ):
            self._drop(request_url, source, "fetch", *off)
            return
        headers = {
            key.decode("latin-1"): values[-1].decode("latin-1")
            for key, values in response.headers.items()
            if values
        }
        yield Page(
            url=canonicalize_url(response.url),
            source_id=source.id,
            status=response.status,
            body=response.body,
            headers=headers,
            request_url=request_url,
            fetched_at=datetime.now(UTC).replace(microsecond=0).isoformat(),
            discovery=evidence,
            limits=dict(response.meta.get("newscrawl_limits") or {}),
        )

    def fetch_listed_spelling(self, page: Page) -> None:
        """``page`` is the plain URL the crawl asked for instead of the spelling a channel
        listed, and the extract step found a "page not found" page (soft_404, status 200):
        fetch the listed spelling, as after a 404 (url_variants.py)."""
        listed = (page.discovery or {}).get(LISTED_AS)
        source = self.by_id.get(page.source_id)
        if not listed or source is None or self.decided.get(listed) == "requested":
            return
        evidence = {k: v for k, v in page.discovery.items() if k != LISTED_AS}
        self.candidates[listed] = evidence
        self.decided[listed] = "requested"
        self.session.count(source.id, "requested")
        meta = {"newscrawl_evidence": evidence, "newscrawl_limits": dict(page.limits)}
        self.crawler.engine.crawl(self._article_request(source, listed, meta))

    def _archived(self, response: Response, request_url: str) -> Any:
        # (A Redis-mode worker cannot ask the archive: a refetch its owner queued says
        # whether the archive holds the page.)
        archived = (response.meta.get("newscrawl_refresh") or {}).get("archived")
        return archived or self.session.open().archived_page(request_url)

    def article_failed(self, failure: Failure) -> None:
        request = failure.request
        source = self.by_id.get(request.meta.get("source_id"))
        url = requested_url(request)
        self.candidates.pop(url, None)
        reason, detail, status = failure_reason(failure)
        if source is not None and (failure.check(HttpError) or status is not None):
            # The page answered (an HTTP error, or a 429 / 503 that gave it up): a fetch.
            self.session.count(source.id, "fetched")
        self._drop(url, source, "fetch", reason, detail, status=status)

    def _refetch_channel(self, request: Request) -> None:
        """A discovery page (a listing's next page, a feed, a sitemap) whose URL this
        crawl already requested as an article candidate (a sitemap listing a listing
        page, say): the duplicate filter refused it, and what it lists, a whole
        pagination chain from there on, would never be found. Fetch it again, once, as
        the discovery page it is."""
        channel = request.meta.get("channel")
        if not channel or request.meta.get("redirect_urls") or request.dont_filter:
            return
        if self.shared_frontier:
            return  # the shared "seen" set: another worker may hold it; nothing to redo
        url = canonicalize_url(request.url)
        if self.decided.get(url) != "requested" or url in self.channels_refetched:
            return
        self.channels_refetched.add(url)
        self.crawler.stats.inc_value("newscrawl/channels_refetched")
        self.crawler.engine.crawl(request.replace(dont_filter=True))

    def request_dropped(self, request: Request) -> None:
        """The scheduler's duplicate filter refused a request. For an article redirected
        back to a URL of its own chain, or to a page this crawl already requested, record
        why: no callback or errback runs for it, so it would leave no trace. A discovery
        page refused because its URL was requested as an article is fetched again."""
        chain = request.meta.get("redirect_urls")
        if not request.meta.get("newscrawl_article"):
            self._refetch_channel(request)
            return
        source = self.by_id.get(request.meta.get("source_id"))
        url = requested_url(request)
        self.candidates.pop(url, None)
        if not chain:
            # Not a redirect: in a local crawl (the spider requests an article URL once),
            # the same URL was requested as a discovery page (a site's home page listed
            # in its own sitemap, say); the ledger says so. In Redis mode the shared
            # "seen" set refuses what another worker requested (between this worker's
            # seen() check and its request): skipped, as if seen() had said so, and
            # its budget given back; nothing to record.
            if self.shared_frontier:
                canonical = canonicalize_url(url)
                if source is not None:
                    self.session.count(source.id, "requested", -1)
                    self.budget_used[source.id] = self.budget_used.get(source.id, 1) - 1
                    if canonical not in self.refused_as_seen:  # a dated channel retried it
                        self.session.count(source.id, "skipped")
                self.refused_as_seen.add(canonical)
                self.decided[canonical] = "skipped"
                return
            self._drop(
                url, source, "fetch", "duplicate", "requested as a discovery page by this crawl"
            )
            return
        if canonicalize_url(request.url) in {canonicalize_url(u) for u in chain}:
            self._drop(url, source, "fetch", "redirect_loop", " -> ".join([*chain, request.url]))
        elif source is not None and (
            off_articles := redirected_off_articles(
                source, request.url, archived=bool(self.session.open().archived_page(url))
            )
        ):
            # The home page (or a section page) a removed story redirects to, refused
            # because this crawl requested it as a listing: not a "duplicate".
            self._drop(url, source, "fetch", *off_articles)
        else:
            detail = f"redirects to {request.url}, requested separately"
            self._drop(url, source, "fetch", "duplicate", detail)
