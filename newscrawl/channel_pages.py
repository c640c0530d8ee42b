"""The news spider's discovery pages: sitemaps (and the robots.txt naming them), feeds,
listings and artist pages, and what the spider requests from each.

:mod:`newscrawl.discovery` parses a page into URLs with their evidence; here each URL
goes to :func:`~newscrawl.request_decisions.consider`, child sitemaps and a listing's
next page are requested in turn, and what makes a channel stop is decided: a sitemap
index too deep, a child sitemap on someone else's host (sitemap_hosts.py), a listing
page that lists nothing new.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Any
from urllib.parse import quote_plus

from scrapy.http import Request, Response
from twisted.python.failure import Failure

from newscrawl.discovery import (
    MAX_SITEMAP_BYTES,
    is_robots_txt,
    links_fingerprint,
    parse_feed,
    parse_listing,
    parse_robots_sitemaps,
    parse_sitemap,
)
from newscrawl.request_decisions import consider, older_than_since
from newscrawl.sitemap_hosts import refused_children
from newscrawl.urls import canonicalize_url, domain_allowed

if TYPE_CHECKING:
    from newscrawl.session import CrawlSession
    from newscrawl.sources import Source
    from newscrawl.spiders.news import NewsSpider

CHANNEL_PRIORITY = {"sitemap": 30, "feed": 20, "listing": 10, "artist-page": 10}
MAX_SITEMAP_DEPTH = 4
"""Sitemap indexes are followed this many levels deep at most: sitemaps.org allows one
level, and an index that links to the next index forever is a crawler trap."""


def channel_request(
    spider: NewsSpider,
    url: str,
    source: Source,
    callback: Callable[..., Any],
    channel: str,
    **meta: Any,
) -> Request:
    """The request for a discovery page of ``source``, answered by ``callback`` (one of
    the spider's ``parse_*`` methods) or the spider's ``channel_failed``."""
    return Request(
        url,
        callback=callback,
        errback=spider.channel_failed,
        # Dated channels first, listings next, articles last: a page's evidence from
        # every channel is merged before it is fetched.
        priority=CHANNEL_PRIORITY.get(channel, 10),
        meta={
            **spider.slot_meta(source),
            "channel": channel,
            # A sitemap may be 50 MB uncompressed (the sitemaps.org limit), more than
            # DOWNLOAD_MAXSIZE allows an article page.
            **({"download_maxsize": MAX_SITEMAP_BYTES} if channel == "sitemap" else {}),
            **meta,
        },
    )


def discovery_requests(spider: NewsSpider) -> Iterator[Request]:
    """The first request of every channel of every source this run crawls."""
    walk = _walk_meta(spider.session)
    for source in spider.sources:
        for url in source.sitemaps:
            # A robots.txt stands for the sitemaps its Sitemap: lines name (as in
            # Scrapy's SitemapSpider).
            parse = spider.parse_robots_txt if is_robots_txt(url) else spider.parse_sitemap
            yield channel_request(spider, url, source, parse, "sitemap")
        for url in source.feeds:
            yield channel_request(spider, url, source, spider.parse_feed, "feed")
        for url in source.listings:
            yield channel_request(
                spider, url, source, spider.parse_listing, "listing", listing_page=1, **walk
            )
        for template in source.artist_pages:
            for artist in spider.watchlist.artists:
                url = template.replace("{slug}", artist.id).replace(
                    "{query}", quote_plus(artist.name)
                )
                yield channel_request(
                    spider,
                    url,
                    source,
                    spider.parse_listing,
                    "artist-page",
                    listing_page=1,
                    artist=artist.id,
                    **walk,
                )


def sitemap_requests(spider: NewsSpider, response: Response) -> Iterator[Request]:
    """A sitemap's child sitemaps to follow and the requests for the articles it lists."""
    source = spider.by_id[response.meta["source_id"]]
    stats = spider.crawler.stats
    try:
        result = parse_sitemap(response.body, response.url)
    except ValueError as error:
        spider.logger.warning("Sitemap %s unreadable: %s", response.url, error)
        stats.inc_value("newscrawl/channel_errors")
        return
    if result.kind == "invalid":
        spider.logger.warning("Not a sitemap: %s", response.url)
        stats.inc_value("newscrawl/channel_errors")
        return
    depth = response.meta.get("sitemap_depth", 1)
    if result.sitemaps and depth >= MAX_SITEMAP_DEPTH:
        spider.logger.warning(
            "Sitemap index %s is %d levels deep; its children are not followed",
            response.url,
            depth,
        )
        stats.inc_value("newscrawl/sitemap_depth_limit")
        result.sitemaps = []
    children = [c for c in result.sitemaps if not older_than_since(spider.since, c.evidence)]
    refused = refused_children([c.url for c in children], response.url, source)
    for why, urls in refused.items():
        # Not the publisher's (sitemap_hosts.py): said once per reason, counted per child.
        stats.inc_value("newscrawl/sitemap_offsite", len(urls))
        many = f" (and {len(urls) - 1} more)" if len(urls) > 1 else ""
        spider.logger.warning(
            "Child sitemap %s of %s not followed%s: %s", urls[0], response.url, many, why
        )
    skipped = {url for urls in refused.values() for url in urls}
    for child in children:
        if child.url not in skipped:
            yield channel_request(
                spider,
                child.url,
                source,
                spider.parse_sitemap,
                "sitemap",
                sitemap_depth=depth + 1,
            )
    for entry in result.urls:
        evidence = {**entry.evidence, "via": response.url}
        _, request = consider(spider, source, entry.url, evidence, report_off_pattern=True)
        if request is not None:
            yield request


def robots_txt_requests(spider: NewsSpider, response: Response) -> Iterator[Request]:
    """The sitemaps a source's robots.txt names. The middleware answers this request
    with the robots.txt it fetched to obey it. Sitemaps.org lets robots.txt name a
    sitemap on another host (a CDN): the publisher vouches for it, so it is followed."""
    source = spider.by_id[response.meta["source_id"]]
    urls = parse_robots_sitemaps(response.body, response.url)
    if not urls:
        spider.logger.warning("robots.txt %s names no sitemaps", response.url)
        spider.crawler.stats.inc_value("newscrawl/channel_errors")
    for url in urls:
        yield channel_request(spider, url, source, spider.parse_sitemap, "sitemap")


def feed_requests(spider: NewsSpider, response: Response) -> Iterator[Request]:
    """The requests for the articles an RSS or Atom feed lists."""
    source = spider.by_id[response.meta["source_id"]]
    entries = parse_feed(response.body, response.url)
    if not entries:
        spider.logger.warning("Feed %s has no entries", response.url)
    for entry in entries:
        evidence = {**entry.evidence, "via": response.url}
        _, request = consider(spider, source, entry.url, evidence, report_off_pattern=True)
        if request is not None:
            yield request


def listing_requests(spider: NewsSpider, response: Response) -> Iterator[Request]:
    """The requests for the articles a listing (or artist) page links to, and for its
    next page while it lists articles the archive does not have yet."""
    source = spider.by_id[response.meta["source_id"]]
    channel = response.meta["channel"]
    page_number = response.meta.get("listing_page", 1)
    if not hasattr(response, "text"):
        return
    result = parse_listing(response.body, response.url, encoding=response.encoding)
    new_articles, skipped = 0, []
    for url in result.links:
        evidence = {"channel": channel, "via": response.url}
        outcome, request = consider(spider, source, url, evidence, report_off_pattern=False)
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
    if not new_articles and skipped and spider.shared_frontier:
        new_articles = _requested_by_this_crawl(spider.session, skipped, response.meta)
    fingerprint = links_fingerprint([u for u in result.links if source.is_article_url(u)])
    if fingerprint == response.meta.get("listing_fingerprint"):  # the page before, again
        spider.crawler.stats.inc_value("newscrawl/listing_repeated")
    elif (new_articles or spider.catch_up) and page_number < source.max_listing_pages:
        more = {"listing_page": page_number + 1, "listing_fingerprint": fingerprint}
        if "crawl_began" in response.meta:
            more["crawl_began"] = response.meta["crawl_began"]
        for url in result.next_pages[:1]:
            if domain_allowed(url, source.allowed_domains):
                yield channel_request(spider, url, source, spider.parse_listing, channel, **more)


def record_channel_failure(spider: NewsSpider, failure: Failure) -> None:
    """A discovery page that could not be fetched: counted and logged, no drop recorded."""
    request = failure.request
    spider.crawler.stats.inc_value("newscrawl/channel_errors")
    spider.logger.warning("Discovery page %s failed: %s", request.url, failure.getErrorMessage())


def _walk_meta(session: CrawlSession) -> dict[str, Any]:
    """Redis mode: what this run's listing walks carry to tell this crawl's requests
    from known territory, whichever worker reads their later pages."""
    began = getattr(session.open(), "crawl_began", None)
    return {"crawl_began": began()} if began else {}


def _requested_by_this_crawl(session: CrawlSession, urls: list[str], meta: dict[str, Any]) -> int:
    """How many of ``urls`` (skipped: in the shared "seen" set) workers of this crawl
    requested; all of them for a walk queued without its start (an older worker)."""
    if "crawl_began" not in meta:
        return len(urls)
    return len(session.open().requested_since(urls, meta["crawl_began"]))
