"""Spellings of one article URL that the crawl requests once.

Publishers link the same story as its AMP page (``/story/x/amp/``, ``/story/x.amp.html``,
``/amp/story/x``, ``?outputType=amp``, ``amp.publisher.com/story/x``) and with or
without a trailing slash. Each spelling fetched is a request the publisher serves for
nothing: after the fetch its ``rel=canonical`` names the same article, and the dedupe
step drops it. So before requesting, the crawl asks for the article's own URL (the AMP
markers taken off), and takes a URL that differs from one it already requested, or
archived, by a trailing slash for that one. Only obvious markers are taken off, and only
when what is left is still an article URL of the source; if the plain URL turns out not
to exist (404 or 410), the spelling the channel listed is fetched after all.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from scrapy.http import Request

from newscrawl.sources import Source
from newscrawl.urls import canonicalize_url, host_and_port

LISTED_AS = "listed_as"
"""Evidence key: the spelling a channel listed, when the crawl requested another."""
FIRST_SPELLING = "newscrawl_first_spelling"
"""Request meta: the URL of an archived article that answered 404 or 410 before this
request for its other spelling (a drop for both is recorded under it, the URL a later
run asks for first)."""

# Query parameters that ask for the AMP rendering: ?amp, ?amp=1 (WordPress plugins),
# ?outputType=amp (Arc XP: The Washington Post and others), ?output=amp.
_AMP_FLAG_VALUES = {"", "1", "true", "yes"}


def _is_amp_param(name: str, value: str) -> bool:
    name, value = name.lower(), value.lower()
    if name in ("amp", "_amp"):
        return value in _AMP_FLAG_VALUES
    return name in ("outputtype", "output") and value == "amp"


def _plain_path(path: str) -> str:
    """``path`` without an AMP segment or extension (itself when it has none)."""
    names = path.split("/")  # "/a/b/" -> ["", "a", "b", ""]
    last = len(names) - 1 if names[-1] else len(names) - 2  # the last named segment
    if last >= 2 and names[last].lower() == "amp":  # /story/x/amp/
        return "/".join(names[:last] + names[last + 1 :])
    if last >= 2 and names[1].lower() == "amp":  # /amp/story/x
        return "/".join(names[:1] + names[2:])
    at = names[last].lower().rfind(".amp")
    if last >= 1 and at > 0 and names[last][at + 4 :].lower() in ("", ".html", ".htm"):
        names[last] = names[last][:at] + names[last][at + 4 :]  # /story/x.amp.html
        return "/".join(names)
    return path


def plain_variant(url: str, *, homepage: str = "") -> str:
    """``url`` without the obvious AMP markers (path segment, extension, query flag,
    ``amp.`` host); ``url`` itself when it has none. An ``amp.`` host becomes the
    homepage's host when that is the ``www.`` of the same domain."""
    parts = urlsplit(url)
    host, port = host_and_port(url)
    netloc = parts.netloc
    if host.startswith("amp.") and host.count(".") >= 2:
        bare = host[4:]
        home = host_and_port(homepage)[0] if homepage else ""
        netloc = (home if home == f"www.{bare}" else bare) + (f":{port}" if port else "")
    query = parts.query
    pairs = parse_qsl(query, keep_blank_values=True, encoding="latin-1")
    if any(_is_amp_param(k, v) for k, v in pairs):
        kept = [(k, v) for k, v in pairs if not _is_amp_param(k, v)]
        query = urlencode(kept, doseq=True, encoding="latin-1")
    plain = urlunsplit((parts.scheme, netloc, _plain_path(parts.path), query, ""))
    return canonicalize_url(plain) if plain != url else url


def other_slash(url: str) -> str | None:
    """``url`` with its trailing slash added or taken off; None for a site's root and
    for a path whose last segment looks like a file (``story.html``)."""
    parts = urlsplit(url)
    if parts.path in ("", "/"):
        return None
    if parts.path.endswith("/"):
        path = parts.path.rstrip("/") or "/"
    elif "." in parts.path.rsplit("/", 1)[-1]:
        return None
    else:
        path = parts.path + "/"
    return urlunsplit((parts.scheme, parts.netloc, path, parts.query, ""))


def request_spelling(
    url: str,
    source: Source,
    *,
    decided: dict[str, str],
    archived: Callable[[str], Any] | None,
) -> str:
    """The spelling of the article at ``url`` (canonicalised) to request: one this crawl
    already decided on, else the one an archived row was fetched from (or one the archive
    holds), else its plain URL when it is an AMP one; its spellings are those and each of
    them with or without a trailing slash.
    ``archived`` looks a URL up in the archive (None: no archive to ask)."""
    spellings = [url]
    plain = plain_variant(url, homepage=source.homepage)
    if plain != url and source.is_article_url(plain):
        spellings.insert(0, plain)
    for spelling in list(spellings):
        other = other_slash(spelling)
        if other is not None and source.is_article_url(other):
            spellings.append(other)
    if len(spellings) == 1:
        return url
    for spelling in spellings:
        if spelling in decided:
            return spelling
    if archived is not None:
        for spelling in spellings:
            if known := archived(spelling):
                # The row is found by its canonical URL too: ask for the spelling it was
                # fetched from, which answered (the plain URL may not: an AMP page
                # fetched after its plain URL's 404) and which its validators are for.
                fetched_from = known.get("url") if isinstance(known, dict) else None
                return fetched_from if fetched_from in spellings else spelling
    return spellings[0]


def spelling_after_missing(
    request: Request, evidence: dict[str, Any], archived: Any, *, homepage: str = ""
) -> Request | None:
    """The request for another spelling of an article whose requested URL answered 404
    or 410, or None. For a page the archive does not hold: the spelling a channel listed,
    when the crawl asked for its plain URL instead. For an archived one: the other URL
    its row knows it by (the URL it was fetched from, or its canonical URL) when that is
    a spelling of the same article, tried once: an AMP page archived after its plain
    URL's 404 whose AMP URL is gone since, or the reverse, was taken for removed."""
    if not archived:
        target = evidence.get(LISTED_AS)
    elif isinstance(archived, dict) and not request.meta.get(FIRST_SPELLING):
        # (Not one of the redirect chain that led to the 404.)
        asked = [canonicalize_url(u) for u in (*request.meta.get("redirect_urls", ()), request.url)]
        target = next(
            (
                url
                for url in (archived.get("url"), archived.get("canonical_url"))
                if url and url not in asked and _one_article(url, asked[-1], homepage)
            ),
            None,
        )
    else:
        target = None
    if not target:
        return None
    meta = {k: v for k, v in request.meta.items() if k not in _PER_FETCH_META}
    meta["newscrawl_evidence"] = {k: v for k, v in evidence.items() if k != LISTED_AS}
    if archived:
        meta[FIRST_SPELLING] = asked[0]
    return request.replace(url=target, meta=meta)


def _one_article(url: str, other: str, homepage: str) -> bool:
    """Whether ``url`` and ``other`` are spellings of one article URL (AMP markers and a
    trailing slash aside)."""
    plain = plain_variant(url, homepage=homepage)
    other_plain = plain_variant(other, homepage=homepage)
    return plain == other_plain or other_slash(plain) == other_plain


# What a fetch left in a request's meta that must not carry over to another URL's.
_PER_FETCH_META = {
    "redirect_urls",
    "redirect_times",
    "redirect_ttl",
    "redirect_reasons",
    "retry_times",
    "download_latency",
    "depth",
}
