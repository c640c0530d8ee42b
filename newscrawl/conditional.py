"""Conditional refetches: send what the archive knows, and accept "304 Not Modified".

Every archived article keeps the validators its last full response carried
(``articles.etag``, ``articles.last_modified``). When the refresh policy refetches the
page (:mod:`newscrawl.refresh`), the request carries them back as ``If-None-Match`` /
``If-Modified-Since``; a publisher whose page did not change answers 304 with no body.
That answer becomes a :class:`~newscrawl.items.NotModified` item: the WARC step records
it as a ``revisit`` record, extraction, tagging and dedupe let it pass, and the store
counts it as an unchanged refetch (``articles_unchanged``), moving the article's
``fetched_at`` and discovery evidence forward without a new revision.

A page is requested conditionally only when the archived row was fetched from that very
URL: validators belong to one resource, and a 304 from another URL (after a redirect)
says nothing about the archived page, so the page is requested again at once, in full;
so is a page whose 304 names another ETag than the one sent (another version). A
publisher that sends no validators is fetched as before; one that answers 200 to a
conditional request is a normal fetch.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from scrapy.http import Request, Response

from newscrawl.items import NotModified
from newscrawl.urls import canonicalize_url

NOT_MODIFIED = 304
VALIDATORS_META = "newscrawl_validators"
"""Request meta key: the archived validators a conditional request was sent with."""


def header(headers: Mapping[str, str], name: str) -> str | None:
    """The value of header ``name`` in a plain dict (any letter case), or None."""
    wanted = name.lower()
    for key, value in headers.items():
        if key.lower() == wanted:
            return value.strip() or None
    return None


def validators_of(headers: Mapping[str, str]) -> dict[str, str | None]:
    """``etag`` and ``last_modified`` of a response's headers (None when absent)."""
    return {"etag": header(headers, "ETag"), "last_modified": header(headers, "Last-Modified")}


def validators_for(known: dict | None, url: str) -> dict[str, Any] | None:
    """What a refetch of ``url`` sends, from the archived row ``known``: None when the
    row was fetched from another URL (its validators describe that resource) or when
    its response carried none."""
    if not known or known.get("url") != url:
        return None
    etag, last_modified = known.get("etag"), known.get("last_modified")
    if not etag and not last_modified:
        return None
    return {
        "url": url,
        "canonical_url": known.get("canonical_url") or url,
        "etag": etag,
        "last_modified": last_modified,
    }


def make_conditional(request: Request, validators: dict[str, Any] | None) -> Request:
    """``request`` with the conditional headers of ``validators`` (unchanged if None).

    The request bypasses Scrapy's HTTP cache (``dont_cache``): with the cache on, its
    default policy would store the empty 304 as the page and serve it to later
    requests, and the RFC 2616 policy would replace our validators with its own."""
    if validators is None:
        return request
    if validators.get("etag"):
        request.headers["If-None-Match"] = validators["etag"]
    if validators.get("last_modified"):
        request.headers["If-Modified-Since"] = validators["last_modified"]
    request.meta[VALIDATORS_META] = validators
    request.meta["dont_cache"] = True
    statuses = list(request.meta.get("handle_httpstatus_list") or ())
    request.meta["handle_httpstatus_list"] = [*statuses, NOT_MODIFIED]
    return request


def answers_not_modified(response: Response) -> bool:
    """True for a 304 to a conditional request, from the URL whose validators it sent,
    about the version they describe (:func:`names_another_version`)."""
    validators = response.meta.get(VALIDATORS_META)
    return (
        response.status == NOT_MODIFIED
        and validators is not None
        and canonicalize_url(response.url) == validators["url"]
        and not names_another_version(response)
    )


def _opaque_tag(etag: str) -> str:
    # RFC 9110 8.8.3.2 weak comparison: W/"x" and "x" name the same version.
    return etag.strip().removeprefix("W/")


def names_another_version(response: Response) -> bool:
    """True for a 304 whose ``ETag`` is not the one the request sent (weakly compared).

    A server that judges by ``If-Modified-Since`` alone answers 304 to an edited page
    whose date did not move, with the edited version's ETag: that answer is not about
    the archived version (RFC 9111 4.3.4: it updates no stored response with another
    strong validator). Taken for one, the archive kept the old content under the new
    ETag, and every later refetch was a 304: the edit was never archived."""
    validators = response.meta.get(VALIDATORS_META) or {}
    sent = validators.get("etag")
    answered = response.headers.get(b"ETag")
    if not sent or not answered:
        return False
    return _opaque_tag(answered.decode("latin-1")) != _opaque_tag(sent)


def without_validators(request: Request, url: str) -> Request:
    """``request`` again for ``url`` (the URL first asked for), unconditional: a 304
    that came from another URL, after a redirect, or that names another version
    (:func:`names_another_version`), says nothing about the archived page, and the page
    is fetched in full instead."""
    meta = {
        key: value
        for key, value in request.meta.items()
        if key not in (VALIDATORS_META, "dont_cache") and not key.startswith("redirect_")
    }
    meta["handle_httpstatus_list"] = [
        s for s in meta.get("handle_httpstatus_list") or () if s != NOT_MODIFIED
    ]
    headers = {
        key: values
        for key, values in request.headers.items()
        if key.lower() not in (b"if-none-match", b"if-modified-since")
    }
    return request.replace(url=url, headers=headers, meta=meta, dont_filter=True)


def not_modified_item(
    response: Response, *, source_id: str, discovery: dict[str, Any]
) -> NotModified:
    """The item a 304 answer becomes. Its validators are the ones the 304 carries
    (a server may send a new ETag with it), else the ones the request sent."""
    validators = response.meta[VALIDATORS_META]
    headers = {
        key.decode("latin-1"): values[-1].decode("latin-1")
        for key, values in response.headers.items()
        if values
    }
    sent = validators_of(headers)
    return NotModified(
        url=validators["url"],
        canonical_url=validators["canonical_url"],
        source_id=source_id,
        headers=headers,
        fetched_at=datetime.now(UTC).replace(microsecond=0).isoformat(),
        discovery=discovery,
        # (Weakly the one sent: see names_another_version.)
        etag=sent["etag"] or validators.get("etag"),
        last_modified=sent["last_modified"] or validators.get("last_modified"),
    )
