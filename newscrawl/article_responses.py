"""The news spider's article requests, and what their answers become.

An answer becomes a :class:`~newscrawl.items.Page` for the pipelines, a
:class:`~newscrawl.items.NotModified` (a 304 to a conditional refetch), a request for
another spelling of the article (url_variants.py), or a ``fetch`` drop in the coverage
ledger: an error status, a redirect offsite or off the source's articles
(redirects.py), a failed download (fetch_failures.py).
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from http import HTTPStatus
from typing import TYPE_CHECKING, Any

from scrapy.http import Request, Response
from scrapy.spidermiddlewares.httperror import HttpError
from twisted.python.failure import Failure

from newscrawl.archive_lookups import archived_page_for
from newscrawl.conditional import (
    VALIDATORS_META,
    answers_not_modified,
    names_another_version,
    not_modified_item,
    without_validators,
)
from newscrawl.fetch_failures import failure_reason, requested_url
from newscrawl.items import NotModified, Page
from newscrawl.redirects import redirected_off_articles
from newscrawl.url_variants import FIRST_SPELLING, LISTED_AS, spelling_after_missing
from newscrawl.urls import canonicalize_url, domain_allowed

if TYPE_CHECKING:
    from newscrawl.sources import Source
    from newscrawl.spiders.news import NewsSpider

# Error statuses the article callback drops with their status. Redirects are left to
# Scrapy's RedirectMiddleware (``handle_httpstatus_all`` would switch it off); any other
# status reaches article_failed as an HttpError and is recorded the same way.
ARTICLE_STATUSES = tuple(status.value for status in HTTPStatus if status.value >= 400)


def article_request(spider: NewsSpider, source: Source, url: str, meta: dict[str, Any]) -> Request:
    """The request for the article at ``url``, answered by the spider's ``parse_article``
    (or ``article_failed``)."""
    return Request(
        url,
        callback=spider.parse_article,
        errback=spider.article_failed,
        meta={
            **spider.slot_meta(source),
            "newscrawl_article": True,
            "handle_httpstatus_list": ARTICLE_STATUSES,
            **meta,
        },
        # -a urls: exactly these pages, now, even if a shared "seen" set has them.
        dont_filter=bool(spider.direct_urls),
    )


def article_answer(
    spider: NewsSpider, response: Response
) -> Iterator[Page | NotModified | Request]:
    """What the answer to an article request becomes (see the module's docstring)."""
    session = spider.session
    source = spider.by_id[response.meta["source_id"]]
    request_url = requested_url(response.request)
    evidence = spider.candidates.pop(request_url, None) or response.meta.get(
        "newscrawl_evidence", {}
    )
    session.count(source.id, "fetched")
    if answers_not_modified(response):
        spider.crawler.stats.inc_value("newscrawl/not_modified")
        yield not_modified_item(response, source_id=source.id, discovery=evidence)
        return
    if response.status == 304 and VALIDATORS_META in response.meta:
        # From another URL than the one whose validators were sent (after a
        # redirect), or about another version (another ETag): it says nothing about
        # the archived page; fetch it in full.
        session.count(source.id, "fetched", -1)
        other = "other_version" if names_another_version(response) else "elsewhere"
        spider.crawler.stats.inc_value(f"newscrawl/not_modified_{other}")
        yield without_validators(response.request, request_url)
        return
    if (
        response.status in (404, 410)
        and not spider.direct_urls  # -a urls=: exactly the URLs given
        and (
            listed := spelling_after_missing(
                response.request,
                evidence,
                archived_page_for(session, response, request_url),
                homepage=source.homepage,
            )
        )
    ):
        # The plain URL of an AMP page the channel listed is not there, or the URL
        # of an archived article is not: fetch its other spelling (url_variants.py).
        session.count(source.id, "fetched", -1)
        spider.candidates[listed.url] = listed.meta["newscrawl_evidence"]
        spider.decided[listed.url] = "requested"
        yield listed
        return
    if response.status >= 300 or response.status < 200 or response.status == 204:
        reason, detail = "http_status", f"HTTP {response.status}"
        if response.status in (404, 410) and archived_page_for(session, response, request_url):
            # An archived article taken off the site: the archived version stays;
            # the ledger says when the page was found gone (a refresh counts from then).
            reason = "removed"
            detail = f"HTTP {response.status} on refetch; the archived version is kept"
            request_url = response.meta.get(FIRST_SPELLING, request_url)
        spider.drop(request_url, source, "fetch", reason, detail, status=response.status)
        return
    if not domain_allowed(response.url, source.allowed_domains):
        spider.drop(request_url, source, "fetch", "offsite", f"redirected to {response.url}")
        return
    if response.meta.get("redirect_urls") and (  # to a removed story's home page, say
        off := redirected_off_articles(
            source,
            response.url,
            archived=bool(archived_page_for(session, response, request_url)),
        )
    ):
        spider.drop(request_url, source, "fetch", *off)
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


def record_article_failure(spider: NewsSpider, failure: Failure) -> None:
    """An article request that failed (download error, an HTTP status outside
    :data:`ARTICLE_STATUSES`, robots.txt, a publisher that kept throttling): a drop."""
    request = failure.request
    source = spider.by_id.get(request.meta.get("source_id"))
    url = requested_url(request)
    spider.candidates.pop(url, None)
    reason, detail, status = failure_reason(failure)
    if source is not None and (failure.check(HttpError) or status is not None):
        # The page answered (an HTTP error, or a 429 / 503 that gave it up): a fetch.
        spider.session.count(source.id, "fetched")
    spider.drop(url, source, "fetch", reason, detail, status=status)


def fetch_listed_spelling(spider: NewsSpider, page: Page) -> None:
    """``page`` is the plain URL the crawl asked for instead of the spelling a channel
    listed, and the extract step found a "page not found" page (soft_404, status 200):
    fetch the listed spelling, as after a 404 (url_variants.py)."""
    listed = (page.discovery or {}).get(LISTED_AS)
    source = spider.by_id.get(page.source_id)
    if not listed or source is None or spider.decided.get(listed) == "requested":
        return
    evidence = {k: v for k, v in page.discovery.items() if k != LISTED_AS}
    spider.candidates[listed] = evidence
    spider.decided[listed] = "requested"
    spider.session.count(source.id, "requested")
    meta = {"newscrawl_evidence": evidence, "newscrawl_limits": dict(page.limits)}
    spider.crawler.engine.crawl(article_request(spider, source, listed, meta))
