"""Requests of the news spider that Scrapy's duplicate filter refused.

No callback or errback runs for a refused request, so without this it left no trace:
an article redirected back into its own redirect chain, or to a page this crawl
requested already, is a ``fetch`` drop saying which; a discovery page refused because
its URL was requested as an article is fetched again; in Redis mode, an article the
shared "seen" set refused counts as skipped.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from scrapy.http import Request

from newscrawl.fetch_failures import requested_url
from newscrawl.redirects import redirected_off_articles
from newscrawl.urls import canonicalize_url

if TYPE_CHECKING:
    from newscrawl.spiders.news import NewsSpider


def record_refused_request(spider: NewsSpider, request: Request) -> None:
    """The scheduler's duplicate filter refused ``request``. For an article redirected
    back to a URL of its own chain, or to a page this crawl already requested, record
    why: no callback or errback runs for it, so it would leave no trace. A discovery
    page refused because its URL was requested as an article is fetched again."""
    chain = request.meta.get("redirect_urls")
    if not request.meta.get("newscrawl_article"):
        _refetch_channel(spider, request)
        return
    source = spider.by_id.get(request.meta.get("source_id"))
    url = requested_url(request)
    spider.candidates.pop(url, None)
    if not chain:
        # Not a redirect: in a local crawl (the spider requests an article URL once),
        # the same URL was requested as a discovery page (a site's home page listed
        # in its own sitemap, say); the ledger says so. In Redis mode the shared
        # "seen" set refuses what another worker requested (between this worker's
        # seen() check and its request): skipped, as if seen() had said so, and
        # its budget given back; nothing to record.
        if spider.shared_frontier:
            canonical = canonicalize_url(url)
            if source is not None:
                spider.session.count(source.id, "requested", -1)
                spider.budget_used[source.id] = spider.budget_used.get(source.id, 1) - 1
                if canonical not in spider.refused_as_seen:  # a dated channel retried it
                    spider.session.count(source.id, "skipped")
            spider.refused_as_seen.add(canonical)
            spider.decided[canonical] = "skipped"
            return
        spider.drop(
            url, source, "fetch", "duplicate", "requested as a discovery page by this crawl"
        )
        return
    if canonicalize_url(request.url) in {canonicalize_url(u) for u in chain}:
        spider.drop(url, source, "fetch", "redirect_loop", " -> ".join([*chain, request.url]))
    elif source is not None and (
        off_articles := redirected_off_articles(
            source, request.url, archived=bool(spider.session.open().archived_page(url))
        )
    ):
        # The home page (or a section page) a removed story redirects to, refused
        # because this crawl requested it as a listing: not a "duplicate".
        spider.drop(url, source, "fetch", *off_articles)
    else:
        detail = f"redirects to {request.url}, requested separately"
        spider.drop(url, source, "fetch", "duplicate", detail)


def _refetch_channel(spider: NewsSpider, request: Request) -> None:
    """A discovery page (a listing's next page, a feed, a sitemap) whose URL this
    crawl already requested as an article candidate (a sitemap listing a listing
    page, say): the duplicate filter refused it, and what it lists, a whole
    pagination chain from there on, would never be found. Fetch it again, once, as
    the discovery page it is."""
    channel = request.meta.get("channel")
    if not channel or request.meta.get("redirect_urls") or request.dont_filter:
        return
    if spider.shared_frontier:
        return  # the shared "seen" set: another worker may hold it; nothing to redo
    url = canonicalize_url(request.url)
    if spider.decided.get(url) != "requested" or url in spider.channels_refetched:
        return
    spider.channels_refetched.add(url)
    spider.crawler.stats.inc_value("newscrawl/channels_refetched")
    spider.crawler.engine.crawl(request.replace(dont_filter=True))
