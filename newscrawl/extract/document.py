"""Parse a page once and precompute what every field function reads.

A :class:`Document` holds the lxml tree, the meta tags, link relations, JSON-LD nodes
and microdata properties. Field functions take a Document and return a
:class:`Value` (the value and where it came from); none of them parses again.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from functools import cached_property
from typing import Any, NamedTuple
from urllib.parse import urlsplit

import lxml.html
from lxml import etree

from newscrawl.extract.blocks import BLOCK_TAGS
from newscrawl.extract.errors import ExtractError
from newscrawl.extract.jsonld import JsonLd, read_jsonld
from newscrawl.extract.microdata import Microdata, read_microdata
from newscrawl.extract.normalize import clean_text, fold

MAX_ELEMENTS = 250_000
"""A page with more elements is refused (``too_large``): every pass is linear, but a
DOM this size is generated junk, not an article."""
HEAVY_ELEMENTS = 30_000
"""Above this the slow fallbacks (trafilatura, htmldate) are skipped."""
CROWDED_PARAGRAPH = 2_000
"""A ``<p>`` with more child elements than this also skips the slow fallbacks:
trafilatura's time grows with the square of a paragraph's inline children (8,000 links
in one paragraph took it 6 s, 29,000 over three minutes)."""
MAX_LINE_CHARS = 400
"""A visual line (:meth:`Document.text_lines`) is read up to this many characters other
than whitespace, and cut after them: every text node of a paragraph of 150,000 inline
links read all the links after it (six minutes for one page). Its readers want short
lines (a byline, a dateline, a paywall prompt: 320 characters at most)."""

_LOCAL = threading.local()


def _parser() -> etree.HTMLParser:
    """This thread's parser: lxml parser objects must not be used by two threads at once
    (the pipeline may extract in a thread pool)."""
    parser = getattr(_LOCAL, "parser", None)
    if parser is None:
        parser = etree.HTMLParser(
            encoding="utf-8",
            remove_comments=True,
            remove_pis=True,
            no_network=True,
            default_doctype=False,
            # Without it libxml2 stops reading at the 256th nesting level (legacy pages
            # never close their <font>s): the rest of the page was missing from the tree
            # and the page was dropped as "empty". With it the limit is 2,048 levels.
            huge_tree=True,
        )
        # Every element is an HtmlElement (text_content, drop_tree) without lxml.html's
        # per-element Python class lookup, which costs more than the parse itself.
        parser.set_element_class_lookup(
            etree.ElementDefaultClassLookup(
                element=lxml.html.HtmlElement,
                comment=lxml.html.HtmlComment,
                pi=lxml.html.HtmlProcessingInstruction,
                entity=lxml.html.HtmlEntity,
            )
        )
        _LOCAL.parser = parser
    return parser


class Value(NamedTuple):
    """A field value and the label of the layer it came from."""

    value: Any
    source: str | None


NOTHING = Value(None, None)


# Characters libxml2 keeps in text but lxml refuses to write back (tails are rewritten
# when the body extractor removes elements).
_CONTROL_BYTES = bytes([*range(0, 9), 11, 12, *range(14, 32)])
# Character references to the same characters (and to U+FFFE / U+FFFF), with or without
# the ";": libxml2 decodes them into the tree, where a "&#x1;" in a tail made the body
# extractor's drop_tree() raise and the page was lost as "failed". They are dropped
# before parsing, as the characters themselves are.
_CONTROL_REFERENCE = re.compile(
    r"&#(?:0*(?:[0-8]|1[1-2]|1[4-9]|2[0-9]|3[01]|6553[45])(?![0-9])"
    r"|[xX]0*(?:[0-8bcefBCEF]|1[0-9a-fA-F]|[fF]{3}[eEfF])(?![0-9a-fA-F]));?"
)


def parse_html(text: str) -> lxml.html.HtmlElement:
    """An lxml tree for ``text``; ``ExtractError("empty")`` when there is no document."""
    if "\ufffe" in text or "\uffff" in text:
        text = text.replace("\ufffe", "").replace("\uffff", "")
    if "&#" in text:
        text = _CONTROL_REFERENCE.sub("", text)
    # Lone surrogates become "?"; control bytes never occur inside UTF-8 sequences.
    data = text.encode("utf-8", "replace").translate(None, _CONTROL_BYTES)
    if not data.strip():
        raise ExtractError("empty", "no content")
    try:
        root = etree.fromstring(data, _parser())
    except (etree.ParserError, etree.XMLSyntaxError, ValueError) as error:
        raise ExtractError("empty", f"no HTML document ({error})") from None
    if root is None or not isinstance(root, lxml.html.HtmlElement):
        raise ExtractError("empty", "no HTML document")
    return root


@dataclass
class Document:
    """One page, parsed once. ``tree`` may be modified by the body extractor, which runs last."""

    url: str
    text: str
    tree: lxml.html.HtmlElement
    headers: Mapping[str, str]
    evidence: Mapping[str, Any]
    fetched_at: datetime | None = None
    """When the page was fetched (aware, UTC), if known: what "3 hours ago" counts from."""

    @classmethod
    def from_text(
        cls,
        text: str,
        url: str,
        *,
        headers: Mapping[str, str] | None = None,
        evidence: Mapping[str, Any] | None = None,
        fetched_at: datetime | None = None,
    ) -> Document:
        tree = parse_html(text)
        doc = cls(url, text, tree, headers or {}, evidence or {}, fetched_at)
        if doc.size > MAX_ELEMENTS:
            raise ExtractError("too_large", f"{doc.size} elements")
        return doc

    @cached_property
    def size(self) -> int:
        """Number of elements in the tree."""
        return int(self.tree.xpath("count(//*)"))

    @property
    def worth_fallbacks(self) -> bool:
        """Whether the slow fallback extractors may run: the page has some text and is
        not so large (or its paragraphs so crowded) that they would take seconds."""
        if self.size > HEAVY_ELEMENTS or len(self.text) < 500:
            return False
        return all(len(paragraph) <= CROWDED_PARAGRAPH for paragraph in self.tree.iter("p"))

    # -- raw inputs -------------------------------------------------------------------

    @cached_property
    def meta(self) -> dict[str, list[str]]:
        """``<meta>`` contents by lower-cased ``property`` / ``name`` / ``http-equiv``."""
        meta: dict[str, list[str]] = {}
        for element in self.tree.iter("meta"):
            key = element.get("property") or element.get("name") or element.get("http-equiv")
            value = element.get("content")
            if key and value is not None and value.strip():
                meta.setdefault(key.strip().lower(), []).append(value.strip())
        return meta

    def first_meta(self, *keys: str) -> tuple[str, str] | None:
        """``(key, text)`` of the first of ``keys`` that has a non-empty meta value."""
        for key in keys:
            for value in self.meta.get(key, ()):
                text = clean_text(value)
                if text:
                    return key, text
        return None

    @cached_property
    def links(self) -> dict[str, list[str]]:
        """``href`` values by lower-cased ``rel`` token, from ``<link>`` and ``<a>``."""
        links: dict[str, list[str]] = {}
        for element in self.tree.iter("link", "a"):
            rel, href = element.get("rel"), element.get("href")
            if rel and href:
                for token in rel.lower().split():
                    links.setdefault(token, []).append(href.strip())
        return links

    @cached_property
    def jsonld(self) -> JsonLd:
        scripts = []
        for script in self.tree.iter("script"):
            kind = (script.get("type") or "").lower()
            if "ld+json" in kind:
                scripts.append(script.text or "")
        return read_jsonld(scripts)

    @cached_property
    def article_node(self) -> dict | None:
        """The JSON-LD node that describes this article, if any."""
        articles = self.jsonld.articles()
        return articles[0] if articles else None

    def ld(self, key: str, *, pages: bool = False) -> Any:
        """A property of the article node (``@id`` references resolved); with ``pages``,
        fall back to WebPage nodes."""
        nodes = [self.article_node] if self.article_node is not None else []
        if pages:
            nodes += self.jsonld.pages()
        for node in nodes:
            value = node.get(key)
            if value not in (None, "", [], {}):
                return self.jsonld.resolve(value)
        return None

    @cached_property
    def microdata(self) -> Microdata:
        return read_microdata(self.tree)

    # -- derived inputs ---------------------------------------------------------------

    @cached_property
    def title_tag(self) -> str:
        element = self.tree.find(".//title")
        return clean_text(element.text_content()) if element is not None else ""

    @cached_property
    def h1s(self) -> list[tuple[lxml.html.HtmlElement, str]]:
        out = []
        for element in self.tree.iter("h1"):
            text = fold(element.text_content())
            if text:
                out.append((element, text))
        return out

    def _names(self, *, publisher: bool) -> list[str]:
        names: list[str] = []
        for key in ("og:site_name", "application-name", "twitter:site", "publisher"):
            for value in self.meta.get(key, ()):
                names.append(clean_text(value).lstrip("@"))
        if publisher:
            names.extend(sorted(self.jsonld.site_names()))
        host = urlsplit(self.url).hostname or ""
        parts = [p for p in host.split(".") if p not in ("www", "m", "amp", "edition", "news")]
        if parts:
            names.append(host.removeprefix("www."))
            names.append(max(parts[:-1] or parts, key=len))
        return names

    @cached_property
    def site_keys(self) -> set[str]:
        """Comparable forms of the names the site goes by: og:site_name, application-name,
        JSON-LD publisher / WebSite names and the host name."""
        return {k for k in map(site_key, self._names(publisher=True)) if k}

    @cached_property
    def masthead_keys(self) -> set[str]:
        """Like :attr:`site_keys` without JSON-LD publisher names: a wire service that
        publishes its own site (the Associated Press on apnews.com) still credits itself."""
        return {k for k in map(site_key, self._names(publisher=False)) if k}

    def is_site_name(self, text: str, *, publisher: bool = True) -> bool:
        """Whether ``text`` names the site (``The Globe and Mail``, ``globeandmail.com``)."""
        key = site_key(text)
        if not key:
            return False
        for site in self.site_keys if publisher else self.masthead_keys:
            if key == site:
                return True
            prefix = len(site) >= 4 and (key.startswith(site) or site.startswith(key))
            if prefix and min(len(key), len(site)) >= 0.6 * max(len(key), len(site)):
                return True
        return False

    def __del__(self) -> None:
        # lxml frees an element of a subtree the body extractor detached only once no
        # proxy is left in that subtree, which it looks for from the subtree's first
        # element each time one of them goes: freeing the proxies of :attr:`order` in
        # document order was quadratic (a page whose 100,000 dropped <meta>s were all
        # in it took 55 s to free), in reverse order each look ends at once.
        order = self.__dict__.get("order")
        while order:
            order.popitem()

    @cached_property
    def order(self) -> dict[lxml.html.HtmlElement, int]:
        """Document position of every element, taken before the body extractor edits the
        tree (so positions stay comparable afterwards)."""
        return {element: index for index, element in enumerate(self.tree.iter())}

    def locate_headline(self, title: str | None) -> None:
        """Remember where the page displays ``title`` (an ``<h1>`` or, on old templates,
        bold text); layers that read text "after the headline" start there."""
        if not title:
            return
        for element, text in self.h1s:
            if text == title:
                self._headline = element
                return
        if not self.h1s:
            hits = self.tree.xpath("//body//*[normalize-space(.) = $t]", t=" ".join(title.split()))
            if hits:
                self._headline = hits[-1]

    def headline_position(self) -> int:
        """Position of the displayed headline (else the first ``<h1>``), or -1."""
        element = getattr(self, "_headline", None)
        if element is None and self.h1s:
            element = self.h1s[0][0]
        return self.order.get(element, -1) if element is not None else -1

    def text_lines(self, xpath: str, *, limit: int = 20) -> list[tuple[int, str]]:
        """``(position, line)`` for body text nodes selected by ``xpath`` (a predicate on
        ``text()``), each extended to its visual line: the inline siblings that follow it,
        up to a ``<br>`` or a block boundary."""
        found = []
        query = f"//body//text()[not(ancestor::script or ancestor::style)][{xpath}]"
        for node in self.tree.xpath(query)[:limit]:
            element = node.getparent()
            if element is None:
                continue
            parts = [str(node)]
            # The visible characters of ``parts[:counted]`` are ``visible``; ``size``
            # adds the raw length of the rest, whitespace and all: it bounds the line's
            # visible characters, which are counted only when the bound passes the limit
            # (most lines are short), and then only as far as the limit.
            visible, counted = 0, 0
            size = len(parts[0])
            following = element.itersiblings() if node.is_tail else iter(element)
            for sibling in following:
                if not isinstance(sibling.tag, str) or sibling.tag == "br":
                    break
                if sibling.tag in BLOCK_TAGS:
                    break
                parts.append(sibling.text_content())
                parts.append(sibling.tail or "")
                size += len(parts[-2]) + len(parts[-1])
                if size > MAX_LINE_CHARS:
                    visible += _visible_past(parts[counted:], MAX_LINE_CHARS - visible)
                    counted, size = len(parts), visible
                if size > MAX_LINE_CHARS:
                    # Cut: the "…" keeps a relative date from ending at the cut.
                    parts.append(" …")
                    break
            anchor = element.getparent() if node.is_tail else element
            line = fold("".join(parts))
            if line:
                found.append((self.order.get(anchor if anchor is not None else element, -1), line))
        return found

    @cached_property
    def short_lines(self) -> list[tuple[int, str]]:
        """:meth:`text_lines` of at most 160 characters (where datelines are), read once:
        the publication and modification layers both scan them."""
        return self.text_lines("string-length(normalize-space()) <= 160", limit=3000)

    @property
    def evidence_source(self) -> str:
        """Provenance label for values taken from the discovery evidence."""
        channel = str(self.evidence.get("channel") or "").lower()
        return "sitemap" if "sitemap" in channel else "feed"


def _visible(text: str) -> int:
    """How many characters of ``text`` are not whitespace: its length once folded, less
    the spaces between its words (``str.split`` and the ``\\s`` of a regex agree on what
    whitespace is: tests/test_extract_robustness.py checks it)."""
    return len("".join(text.split()))


def _visible_past(parts: list[str], limit: int) -> int:
    """The visible characters (:func:`_visible`) of ``parts``, exact up to ``limit``;
    above it any count past ``limit``: a part of a megabyte (an inline element holding
    the whole page) is read in doubling slices only until the count passes it."""
    count = 0
    for part in parts:
        start, step = 0, max(limit, 0) + 1
        while start < len(part) and count <= limit:
            count += _visible(part[start : start + step])
            start += step
            step *= 2
        if count > limit:
            break
    return count


_SITE_KEY = re.compile(r"[^a-z0-9]+")


def site_key(text: str) -> str:
    """A comparable form of a site name: lower case, no ``the``, TLD or punctuation."""
    text = (text or "").lower().strip()
    text = re.sub(r"^(https?://)?(www\.)?", "", text)
    text = re.sub(r"\.(com|co|org|net|news|tv|ca|au|za|uk|us|in|ie|nz)(\.[a-z]{2})?/?$", "", text)
    text = re.sub(r"^the\s+", "", text)
    return _SITE_KEY.sub("", text)
