"""Whether the news spider requests an article URL a channel listed (or ``-a urls=`` named).

Each URL is decided once per crawl, whichever channels list it: ``requested`` (now, or
earlier in this crawl: the page is new or due for a refresh), ``skipped`` (archived and
fresh), ``dropped`` (recorded in the coverage ledger: offsite, off_pattern, before_since,
budget) or ``ignored`` (a listing's link to a page that is not an article of the source).
What the crawl decided, the evidence of each URL requested and the pages each source
has spent of its ``max_pages`` are the spider's ``decided``, ``candidates`` and
``budget_used``, which a JOBDIR keeps across a pause.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from scrapy.http import Request

from newscrawl.archive_lookups import only_a_copy_of, spelling_lookup
from newscrawl.article_responses import article_request
from newscrawl.conditional import make_conditional, validators_for
from newscrawl.refresh import parse_time
from newscrawl.url_variants import LISTED_AS, request_spelling
from newscrawl.urls import canonicalize_url, domain_allowed

if TYPE_CHECKING:
    from datetime import datetime

    from newscrawl.sources import Source
    from newscrawl.spiders.news import NewsSpider

Evidence = dict[str, Any]
"""What the channels that listed a URL say about it (``channel``, ``via``, ``lastmod``,
``published``, ...): it travels with the request and becomes ``Page.discovery``."""


def consider(
    spider: NewsSpider, source: Source, url: str, evidence: Evidence, *, report_off_pattern: bool
) -> tuple[str, Request | None]:
    """Decide what to do with a candidate article URL.

    Returns the outcome and a request when one is to be sent. Outcomes: ``requested``
    (now, or earlier in this crawl: the page is new or due), ``skipped`` (archived
    and fresh), ``dropped`` (recorded in the ledger), ``ignored`` (not an article
    link of this source, found on a listing).
    """
    url = canonicalize_url(url)
    if not spider.direct_urls:
        # One request per article: its plain URL for an AMP one, the spelling already
        # requested or archived for one that differs by a trailing slash.
        listed = url
        url = request_spelling(
            url, source, decided=spider.decided, archived=spelling_lookup(spider)
        )
        if url != listed:
            evidence = {**evidence, LISTED_AS: listed}
    if url in spider.candidates:  # requested, not fetched yet: merge what channels say
        merged = spider.candidates[url]
        channels = merged.setdefault("channels", [])
        if evidence.get("channel") and evidence["channel"] not in channels:
            channels.append(evidence["channel"])
        for key, value in evidence.items():
            merged.setdefault(key, value)
    previous = spider.decided.get(url)
    if previous is not None:
        # A channel dating the page (sitemap lastmod, feed updated) may show that an
        # archived page skipped on another channel's word has changed since.
        dated = any(evidence.get(k) for k in ("lastmod", "updated"))
        if not (previous == "skipped" and dated):
            return previous, None
    outcome, request = _decide(spider, source, url, evidence, report_off_pattern=report_off_pattern)
    if outcome != "ignored":  # a sitemap or feed listing it later still reports it
        spider.decided[url] = outcome
    return outcome, request


def older_than_since(since: datetime | None, evidence: Evidence) -> bool:
    """True when a channel dates the page (or child sitemap) before ``-a since=``."""
    if since is None:
        return False
    for key in ("published", "updated", "lastmod"):
        moment = parse_time(evidence.get(key))
        if moment is not None:
            return moment < since
    return False


def _decide(
    spider: NewsSpider, source: Source, url: str, evidence: Evidence, *, report_off_pattern: bool
) -> tuple[str, Request | None]:
    """The decision for ``url`` (a spelling to request, canonical), asked the first time
    or again when a dating channel lists a page skipped earlier in this crawl."""
    if not domain_allowed(url, source.allowed_domains):
        if not report_off_pattern:
            return "ignored", None
        spider.drop(
            url, source, "discover", "offsite", f"not on {', '.join(source.allowed_domains)}"
        )
        return "dropped", None
    if not source.is_article_url(url):
        if not report_off_pattern:
            return "ignored", None
        spider.drop(url, source, "discover", "off_pattern", f"does not match {source.article_url}")
        return "dropped", None
    if url not in spider.decided:
        spider.session.count(source.id, "discovered")
    known = dropped = None
    seen = False
    if (spider.incremental or spider.since is not None) and not spider.direct_urls:
        archive = spider.session.open()
        known, dropped = archive.archived_page(url), archive.dropped_page(url)
        if only_a_copy_of(known, url):
            # What is archived is another publisher's syndicated copy of this page:
            # fetch the original, which replaces the copy (store: replaced_copy).
            known = None
        # Redis mode: no archive to ask; the shared "seen" set says it was fetched.
        seen = bool(getattr(archive, "seen", None) and archive.seen(url))
    if older_than_since(spider.since, evidence):
        if known is not None or dropped is not None or seen:
            # -a since= leaves what the archive already holds alone: an archived
            # article is not a drop, and an earlier drop keeps its own reason.
            if spider.decided.get(url) != "skipped":
                spider.session.count(source.id, "skipped")
            return "skipped", None
        detail = f"channel dates it before {spider.since.date()}"
        spider.drop(url, source, "discover", "before_since", detail)
        return "dropped", None
    if spider.incremental and not spider.direct_urls:
        decision = spider.refresh.decide(known, evidence, dropped=dropped)
        if seen:
            # Redis mode: the archive's owner decides whether the channel's date
            # makes the page worth fetching again (newscrawl.scale.refresh_queue).
            spider.session.open().channel_dates_seen(url, source.id, evidence)
        if seen or not decision.fetch:
            if spider.decided.get(url) != "skipped":
                spider.session.count(source.id, "skipped")
            return "skipped", None
        if spider.decided.get(url) == "skipped":
            spider.session.count(source.id, "skipped", -1)
    used = spider.budget_used.get(source.id, 0)
    if used >= source.max_pages:
        spider.drop(url, source, "discover", "budget", f"max_pages {source.max_pages} reached")
        return "dropped", None
    spider.budget_used[source.id] = used + 1
    spider.candidates[url] = {**evidence, "channels": [evidence.get("channel", "url")]}
    spider.session.count(source.id, "requested")
    # (The evidence travels with the request when another process fetches it.)
    meta = {"newscrawl_evidence": spider.candidates[url], "newscrawl_limits": spider.limits}
    request = article_request(spider, source, url, meta)
    if spider.conditional and source.conditional_requests:
        request = make_conditional(request, validators_for(known, url))
    return "requested", request
