"""JSON-LD reading on the parsed tree: lenient parsing, ``@graph`` flattening, ``@id``
references, and the choice of the node that describes the article itself.

extruct is not used: it parses every syntax and is slow; this reads only what the
field functions need, from scripts the tree already holds.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

from newscrawl.extract.normalize import clean_text

MAX_SCRIPT_CHARS = 2_000_000
MAX_NODES = 5_000
MAX_DEPTH = 24

ARTICLE_TYPES = frozenset(
    t.lower()
    for t in (
        "Article",
        "NewsArticle",
        "ReportageNewsArticle",
        "AnalysisNewsArticle",
        "OpinionNewsArticle",
        "BackgroundNewsArticle",
        "ReviewNewsArticle",
        "AskPublicNewsArticle",
        "SatiricalArticle",
        "AdvertiserContentArticle",
        "BlogPosting",
        "LiveBlogPosting",
        "SocialMediaPosting",
        "DiscussionForumPosting",
        "Report",
        "ScholarlyArticle",
        "TechArticle",
    )
)
# A review is the article on a critic's page (album, film, concert reviews), but the same
# types describe readers' reviews nested in a product's "review" list: only a top-level
# (or ``@graph``) review node, or a page's ``mainEntity``, is taken for the article.
REVIEW_TYPES = frozenset(("review", "criticreview", "mediareview", "claimreview", "recommendation"))
# Types that never describe the article (they are about parts or neighbours of the page).
PAGE_TYPES = frozenset(("webpage", "itempage", "collectionpage", "profilepage", "aboutpage"))
ORGANIZATION_TYPES = frozenset(("organization", "newsmediaorganization", "corporation"))

_TRAILING_COMMA = re.compile(r",\s*([}\]])")
_SURROGATE_ESCAPE = re.compile(r"\\u[dD][89a-fA-F]")
_LONE_SURROGATE = re.compile("[\ud800-\udfff]")
_WRAPPERS = re.compile(r"^\s*(?://\s*)?(?:<!--|<!\[CDATA\[)|(?://\s*)?(?:-->|\]\]>)\s*$")
# What a stripped script text starts or ends with when _WRAPPERS can match it at all
# (``\s`` and ``str.strip`` agree on what whitespace is).
_WRAPPER_STARTS = ("<!", "//")
_WRAPPER_ENDS = ("-->", "]]>")


def types_of(node: dict) -> list[str]:
    """The node's ``@type`` values, lower-cased, without a schema.org prefix."""
    value = node.get("@type")
    values = value if isinstance(value, list) else [value]
    out = []
    for item in values:
        if isinstance(item, str) and item:
            out.append(item.rsplit("/", 1)[-1].rsplit(":", 1)[-1].lower())
    return out


def is_article(node: dict) -> bool:
    return any(t in ARTICLE_TYPES or t.endswith("article") for t in types_of(node))


def is_review(node: dict) -> bool:
    return any(t in REVIEW_TYPES for t in types_of(node))


def strip_wrappers(text: str) -> str:
    """``text``, stripped, without an HTML comment or CDATA wrapper around it.

    The closing half of :data:`_WRAPPERS` is not anchored at the start, so the regex is
    tried at every position of the script: with an ``articleBody`` that pass was a
    tenth of a demo page's extraction. It can only match a text that starts with ``<!``
    or ``//`` or ends with ``-->`` or ``]]>``, so any other text is returned as is."""
    text = text.strip()
    if text.startswith(_WRAPPER_STARTS) or text.endswith(_WRAPPER_ENDS):
        return _WRAPPERS.sub("", text)
    return text


def loads_lenient(text: str) -> list[Any]:
    """Every JSON value in a script body, tolerating the usual publisher mistakes:
    HTML comment / CDATA wrappers, raw control characters, trailing commas,
    several objects one after the other. Unreadable text gives ``[]``."""
    text = strip_wrappers(text).strip().rstrip(";")
    if not text:
        return []
    for attempt in (text, _TRAILING_COMMA.sub(r"\1", text)):
        values: list[Any] = []
        decoder = json.JSONDecoder(strict=False)
        position = 0
        try:
            while position < len(attempt):
                value, position = decoder.raw_decode(attempt, position)
                values.append(value)
                while position < len(attempt) and attempt[position] in " \t\r\n;,":
                    position += 1
            return _whole_characters(values, text)
        except (ValueError, RecursionError):
            if values:
                return _whole_characters(values, text)
    return []


def _whole_characters(values: list[Any], text: str) -> list[Any]:
    """``values`` with every lone surrogate replaced by U+FFFD.

    JSON accepts half of a surrogate pair as an escape (``"\\ud83c"``: an emoji cut in
    two by a CMS) and Python decodes it to a string that cannot be encoded as UTF-8, so
    one such headline made the whole page an ``extract/failed`` drop. Only a text with
    such an escape is walked; a whole escaped pair is already one character."""
    if not _SURROGATE_ESCAPE.search(text):
        return values
    _replace_surrogates(values)
    return values


def _replace_surrogates(values: list[Any]) -> None:
    """Lone surrogates replaced in place, in every string of the freshly parsed
    ``values``. A loop, not a recursion: JSON nests deeper than Python's call stack goes
    (a 500-deep list with one such escape made the page fail on a RecursionError)."""
    stack: list[list | dict] = [values]
    while stack:
        container = stack.pop()
        if isinstance(container, list):
            for index, item in enumerate(container):
                if isinstance(item, str):
                    container[index] = _LONE_SURROGATE.sub("\ufffd", item)
                elif isinstance(item, (list, dict)):
                    stack.append(item)
            continue
        items = list(container.items())
        container.clear()  # rebuilt in the same order, with the keys replaced too
        for key, item in items:
            if isinstance(item, str):
                item = _LONE_SURROGATE.sub("\ufffd", item)
            elif isinstance(item, (list, dict)):
                stack.append(item)
            container[_LONE_SURROGATE.sub("\ufffd", key)] = item


@dataclass
class JsonLd:
    """All JSON-LD nodes of a page, indexed by ``@id``."""

    primary: list[dict] = field(default_factory=list)
    """Top-level nodes and ``@graph`` members: what the page says about itself."""
    nodes: list[dict] = field(default_factory=list)
    """Every dict node, nested ones included, in document order."""
    by_id: dict[str, dict] = field(default_factory=dict)

    def resolve(self, value: Any) -> Any:
        """A ``{"@id": ...}`` reference replaced by the node it points to, when known."""
        if isinstance(value, dict) and "@id" in value and len(value) <= 2:
            target = self.by_id.get(str(value["@id"]))
            if target is not None:
                return target
        return value

    def articles(self) -> list[dict]:
        """Article-like nodes, best candidate first."""
        primary_ids = {id(n) for n in self.primary}
        entities = [self.resolve(n.get("mainEntity")) for n in self.primary if "mainEntity" in n]
        primary_ids.update(id(e) for e in entities if isinstance(e, dict))
        found = [n for n in self.nodes if is_article(n) or (id(n) in primary_ids and is_review(n))]

        def rank(pair: tuple[int, dict]) -> tuple:
            index, node = pair
            score = 0
            if id(node) in primary_ids:
                score += 3
            if node.get("headline"):
                score += 2
            if node.get("author"):
                score += 1
            if node.get("datePublished"):
                score += 1
            if node.get("articleBody"):
                score += 1
            return (-score, index)

        return [node for _, node in sorted(enumerate(found), key=rank)]

    def pages(self) -> list[dict]:
        """WebPage-like primary nodes (a fallback for dates, names and language)."""
        return [n for n in self.primary if any(t in PAGE_TYPES for t in types_of(n))]

    def site_names(self) -> set[str]:
        """Names of the publisher and the web site, to recognise them in titles and bylines."""
        names = set()
        primary = {id(n) for n in self.primary}
        for node in self.nodes:
            publisher = self.resolve(node.get("publisher"))
            for candidate in (publisher, node if id(node) in primary else None):
                if isinstance(candidate, dict) and any(
                    t in ORGANIZATION_TYPES or t == "website" for t in types_of(candidate)
                ):
                    for key in ("name", "alternateName"):
                        name = clean_text(candidate.get(key))
                        if name:
                            names.add(name)
        return names


def read_jsonld(scripts: Iterable[str]) -> JsonLd:
    """Build a :class:`JsonLd` from the text of the page's ``ld+json`` scripts."""
    result = JsonLd()
    for text in scripts:
        if not text or len(text) > MAX_SCRIPT_CHARS:
            continue
        for value in loads_lenient(text):
            for node in _top_nodes(value):
                result.primary.append(node)
    for node in _walk(result.primary):
        result.nodes.append(node)
        ident = node.get("@id")
        if isinstance(ident, str) and ident:
            known = result.by_id.get(ident)
            if known is None or len(node) > len(known):
                result.by_id[ident] = node
    return result


def _top_nodes(value: Any) -> Iterator[dict]:
    if isinstance(value, list):
        for item in value[:MAX_NODES]:
            yield from _top_nodes(item)
    elif isinstance(value, dict):
        graph = value.get("@graph")
        if isinstance(graph, (list, dict)):
            yield from _top_nodes(graph)
            rest = {k: v for k, v in value.items() if k not in ("@graph", "@context")}
            if types_of(rest):
                yield rest
        else:
            yield value


def _walk(roots: list[dict]) -> Iterator[dict]:
    seen: set[int] = set()
    stack: list[tuple[Any, int]] = [(root, 0) for root in reversed(roots)]
    count = 0
    while stack and count < MAX_NODES:
        value, depth = stack.pop()
        if depth > MAX_DEPTH:
            continue
        if isinstance(value, dict):
            if id(value) in seen:
                continue
            seen.add(id(value))
            count += 1
            yield value
            children = list(value.values())
        elif isinstance(value, list):
            children = value
        else:
            continue
        for child in reversed(children):
            if isinstance(child, (dict, list)):
                stack.append((child, depth + 1))
