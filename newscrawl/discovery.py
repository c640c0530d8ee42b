"""Discovery channels: pure parsers that turn sitemaps, feeds and listing pages into
candidate article URLs with the evidence each channel gives about them.

Each parser takes bytes (or a parsed page) and the URL it came from and returns plain
data, so it is tested without a crawler. The spider decides what to request.
"""

from __future__ import annotations

import gzip
import hashlib
import io
import re
import zlib
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urljoin, urlsplit

import lxml.etree
import lxml.html

from newscrawl.urls import canonicalize_url

MAX_SITEMAP_BYTES = 50 * 1024 * 1024  # the sitemaps.org limit for one uncompressed file
XML_BASE = "{http://www.w3.org/XML/1998/namespace}base"
# FeedBurner (and its imitators) rewrite every item's link to a click-counting redirector
# on their own host and keep the publisher's URL in <feedburner:origLink>.
ORIGINAL_LINK = "origlink"


@dataclass
class Candidate:
    """A URL a channel points at, with what the channel says about it."""

    url: str
    evidence: dict[str, Any] = field(default_factory=dict)


@dataclass
class SitemapResult:
    """A parsed sitemap: child sitemaps (for an index) and URL entries."""

    kind: str  # "index", "urlset" or "invalid"
    sitemaps: list[Candidate] = field(default_factory=list)
    urls: list[Candidate] = field(default_factory=list)


def _local(tag: Any) -> str:
    if not isinstance(tag, str):
        return ""
    return tag.rsplit("}", 1)[-1].lower()


def _text(element: Any) -> str:
    return (element.text or "").strip() if element is not None else ""


def maybe_gunzip(body: bytes, *, limit: int = MAX_SITEMAP_BYTES) -> bytes:
    """Decompress ``body`` when it is gzip data (a ``.xml.gz`` sitemap), bounded by ``limit``."""
    if body[:2] != b"\x1f\x8b":
        return body
    try:
        with gzip.GzipFile(fileobj=io.BytesIO(body)) as stream:
            data = stream.read(limit + 1)
    except (OSError, EOFError, zlib.error) as error:
        # A file cut short in transfer or on the publisher's disk (EOFError) or corrupt
        # (BadGzipFile, zlib.error): a traceback in the callback before.
        raise ValueError(f"gzip data cannot be decompressed: {error}") from None
    if len(data) > limit:
        raise ValueError(f"gzipped sitemap larger than {limit} bytes when decompressed")
    return data


def _xml_root(body: bytes) -> Any:
    parser = lxml.etree.XMLParser(
        recover=True, resolve_entities=False, no_network=True, remove_comments=True, huge_tree=False
    )
    # Whitespace before the XML declaration (a blank line many CMS plugins emit) is an
    # error lxml "recovers" from by dropping every entity: ?a=1&amp;b=2 became ?a=1b=2.
    # A UTF-8 byte order mark is kept: it tells the parser the encoding.
    bom = b"\xef\xbb\xbf" if body.startswith(b"\xef\xbb\xbf") else b""
    body = bom + body[len(bom) :].lstrip(b" \t\r\n")
    try:
        return lxml.etree.fromstring(body, parser=parser)
    except lxml.etree.XMLSyntaxError:
        return None


def parse_sitemap(body: bytes, base_url: str) -> SitemapResult:
    """Parse a sitemap index or urlset, including Google News and gzipped sitemaps.

    URL entries carry ``lastmod`` and, for news sitemaps, ``published`` (from
    ``news:publication_date``), ``title`` and ``keywords`` as evidence.
    """
    root = _xml_root(maybe_gunzip(body))
    if root is None:
        return SitemapResult("invalid")
    kind = _local(root.tag)
    if kind == "sitemapindex":
        result = SitemapResult("index")
        for node in root:
            if _local(node.tag) != "sitemap":
                continue
            loc = lastmod = ""
            for child in node:
                name = _local(child.tag)
                if name == "loc":
                    loc = _text(child)
                elif name == "lastmod":
                    lastmod = _text(child)
            if loc:
                evidence = {"lastmod": lastmod} if lastmod else {}
                result.sitemaps.append(Candidate(urljoin(base_url, loc), evidence))
        return result
    if kind != "urlset":
        return SitemapResult("invalid")
    result = SitemapResult("urlset")
    for node in root:
        if _local(node.tag) != "url":
            continue
        loc = ""
        evidence: dict[str, Any] = {}
        for child in node:
            name = _local(child.tag)
            if name == "loc":
                loc = _text(child)
            elif name == "lastmod" and _text(child):
                evidence["lastmod"] = _text(child)
            elif name == "news":
                evidence["channel"] = "news-sitemap"
                for item in child.iter():
                    item_name = _local(item.tag)
                    if item_name == "publication_date" and _text(item):
                        evidence["published"] = _text(item)
                    elif item_name == "title" and _text(item):
                        evidence["title"] = _text(item)
                    elif item_name == "keywords" and _text(item):
                        evidence["keywords"] = [
                            k.strip() for k in _text(item).split(",") if k.strip()
                        ]
                    elif item_name == "name" and _text(item):
                        evidence["publication"] = _text(item)
        if loc:
            evidence.setdefault("channel", "sitemap")
            result.urls.append(Candidate(urljoin(base_url, loc), evidence))
    return result


def _original(url: str) -> str:
    """The publisher's own URL of a feed entry (``feedburner:origLink``), if it gave one:
    the entry's link leads through a redirector on another host, which the crawl would
    drop as offsite (every entry of the feed lost)."""
    return url if url.startswith(("http://", "https://")) else ""


def parse_feed(body: bytes, base_url: str) -> list[Candidate]:
    """Parse an RSS 2.0 / RSS 1.0 or Atom feed into candidates with ``published``,
    ``updated``, ``title``, ``categories`` and ``author`` as evidence. An entry's
    ``feedburner:origLink`` wins over its link (a redirector on FeedBurner's host)."""
    try:
        root = _xml_root(maybe_gunzip(body))
    except ValueError:  # gzipped, and corrupt or a bomb: no entries to read
        return []
    if root is None:
        return []
    kind = _local(root.tag)
    candidates: list[Candidate] = []
    if kind == "feed":  # Atom
        feed_base = urljoin(base_url, root.get(XML_BASE) or "")
        for entry in root:
            if _local(entry.tag) != "entry":
                continue
            # RFC 4287: relative links resolve against xml:base (feed, entry, link).
            entry_base = urljoin(feed_base, entry.get(XML_BASE) or "")
            link = original = ""
            evidence: dict[str, Any] = {"channel": "atom"}
            categories: list[str] = []
            authors: list[str] = []
            for child in entry:
                name = _local(child.tag)
                if name == "link" and child.get("href"):
                    if child.get("rel", "alternate") == "alternate" and not link:
                        link = urljoin(
                            urljoin(entry_base, child.get(XML_BASE) or ""),
                            child.get("href").strip(),
                        )
                elif name == ORIGINAL_LINK and _text(child):
                    original = _text(child)
                elif name == "published" and _text(child):
                    evidence["published"] = _text(child)
                elif name == "updated" and _text(child):
                    evidence["updated"] = _text(child)
                elif name == "title" and _text(child):
                    evidence["title"] = _text(child)
                elif name == "category":
                    term = (child.get("term") or child.get("label") or "").strip()
                    if term:
                        categories.append(term)
                elif name == "author":
                    for sub in child:
                        if _local(sub.tag) == "name" and _text(sub):
                            authors.append(_text(sub))
            if categories:
                evidence["categories"] = categories
            if authors:
                evidence["author"] = authors
            link = _original(original) or link
            if link:
                candidates.append(Candidate(urljoin(base_url, link), evidence))
        return candidates
    # RSS 2.0 (<rss><channel><item>) and RSS 1.0 (<rdf:RDF><item>)
    for item in root.iter():
        if _local(item.tag) != "item":
            continue
        link = guid = original = ""
        permalink = False
        evidence = {"channel": "rss"}
        categories = []
        authors = []
        for child in item:
            name = _local(child.tag)
            if name == "link" and _text(child):
                link = _text(child)
            elif name == ORIGINAL_LINK and _text(child):
                original = _text(child)
            elif name == "guid":
                guid = _text(child)
                permalink = child.get("isPermaLink", "true").lower() == "true"
            elif name in ("pubdate", "date") and _text(child):
                evidence["published"] = _text(child)
            elif name == "updated" and _text(child):
                evidence["updated"] = _text(child)
            elif name == "title" and _text(child):
                evidence["title"] = _text(child)
            elif name in ("category", "subject") and _text(child):
                categories.append(_text(child))
            elif name in ("creator", "author") and _text(child):
                authors.append(_text(child))
        if not link and permalink and guid.startswith(("http://", "https://")):
            link = guid
        link = _original(original) or link
        if categories:
            evidence["categories"] = categories
        if authors:
            evidence["author"] = authors
        if link:
            candidates.append(Candidate(urljoin(base_url, link), evidence))
    return candidates


_SITEMAP_LINE = re.compile(rb"^[ \t]*sitemap[ \t]*:[ \t]*([^\s#]+)", re.IGNORECASE | re.MULTILINE)


def is_robots_txt(url: str) -> bool:
    """True for a host's robots.txt URL (a ``sitemaps`` entry read for its Sitemap: lines)."""
    parts = urlsplit(url)
    return parts.path == "/robots.txt" and not parts.query


def parse_robots_sitemaps(body: bytes, base_url: str) -> list[str]:
    """The sitemap URLs a robots.txt names in its ``Sitemap:`` lines, in order, without
    repeats (a relative one resolved against ``base_url``). Scrapy's SitemapSpider reads
    robots.txt the same way; the lines belong to no user-agent group (RFC 9309 2.2.4)."""
    urls: list[str] = []
    for match in _SITEMAP_LINE.finditer(body[:MAX_SITEMAP_BYTES]):
        url = urljoin(base_url, match.group(1).decode("utf-8", "replace"))
        if url.startswith(("http://", "https://")) and url not in urls:
            urls.append(url)
    return urls


_NEXT_TEXT = re.compile(
    r"^\s*(next|next page|older|older (posts|entries|stories|articles)|more (stories|articles|news)|"
    r"load more|›|»|→|next\s*[»›→>]+|[»›→]+)\s*$",
    re.IGNORECASE,
)
_PAGE_NUMBER = re.compile(r"(?:/page/|[?&](?:page|p|pg)=)(\d+)", re.IGNORECASE)
_POST_ID = re.compile(r"[?&]p=\d+", re.IGNORECASE)


def _page_number(url: str) -> int | None:
    match = _PAGE_NUMBER.search(url)
    return int(match.group(1)) if match else None


@dataclass
class ListingResult:
    """Links found on a listing page."""

    links: list[str] = field(default_factory=list)
    next_pages: list[str] = field(default_factory=list)


def parse_listing(
    body: bytes | str, base_url: str, *, encoding: str | None = None
) -> ListingResult:
    """All links on a listing page (canonicalised, in page order, without repeats), and
    the links to its next page: ``rel=next``, a link whose text says "next"/"older"/"»",
    or a link to page N+1 of a ``/page/N/`` or ``?page=N`` series."""
    result = ListingResult()
    try:
        if isinstance(body, bytes):
            parser = lxml.html.HTMLParser(encoding=encoding) if encoding else None
            doc = lxml.html.document_fromstring(body, parser=parser, base_url=base_url)
        else:
            doc = lxml.html.document_fromstring(body, base_url=base_url)
    except (lxml.etree.ParserError, ValueError):
        return result
    base = doc.xpath("string(//base/@href)").strip()
    base_url = urljoin(base_url, base) if base else base_url
    current = _page_number(base_url) or 1
    seen: set[str] = set()
    nexts: list[str] = []
    ranks: dict[str, int] = {}
    for element in doc.xpath("//link[@rel][@href] | //a[@href]"):
        href = (element.get("href") or "").strip()
        if not href or href.startswith(("#", "javascript:", "mailto:", "tel:", "data:")):
            continue
        url = canonicalize_url(urljoin(base_url, href))
        if not url.startswith(("http://", "https://")):
            continue
        rel = (element.get("rel") or "").lower().split()
        text = element.text_content() if element.tag == "a" else ""
        classes = (element.get("class") or "").lower()
        # How surely the link is the next page: rel=next, then a "Next"/"Older" text,
        # then page N+1 of /page/N or ?page=N, then a "next" class, then ?p=N+1 (on
        # WordPress ?p= is a post id). The crawl follows the surest.
        strength = 0
        if "next" in rel:
            strength = 5
        elif text and _NEXT_TEXT.match(text):
            strength = 4
        elif _page_number(url) == current + 1:
            strength = 1 if _POST_ID.search(url) else 3
        elif re.search(r"(?<![\w-])next(?![\w-])", classes):
            strength = 2
        if strength and strength > ranks.get(url, 0):
            ranks[url] = strength
            if url not in nexts:
                nexts.append(url)
        if element.tag == "a" and url not in seen:
            seen.add(url)
            result.links.append(url)
    # Surest first; among equals, page order.
    result.next_pages = sorted(nexts, key=lambda u: -ranks[u])
    return result


def links_fingerprint(links: list[str]) -> str:
    """A short digest of a listing page's article links, in any order. A page number past
    the end that serves the last page again (many CMSs clamp ``?page=N``), with a "next"
    link to N+1, has the same digest as the page before it: the pagination ends there."""
    return hashlib.sha1("\n".join(sorted(set(links))).encode()).hexdigest()[:16]
