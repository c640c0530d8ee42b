"""Microdata (``itemscope`` / ``itemprop``) read straight off the lxml tree.

Only the properties the article fields use are collected, from the article's own
scope (an ``itemtype`` of an Article type) or from properties outside any scope,
which is how many templates mark up dates and authors.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import lxml.html

from newscrawl.extract.jsonld import ARTICLE_TYPES
from newscrawl.extract.normalize import fold

WANTED = frozenset(
    (
        "headline",
        "name",
        "author",
        "creator",
        "datepublished",
        "datecreated",
        "datemodified",
        "description",
        "articlesection",
        "keywords",
        "inlanguage",
        "image",
        "articlebody",
        "isaccessibleforfree",
    )
)
MAX_PROPS = 2_000


@dataclass
class Microdata:
    """Article properties by lower-cased name, values in document order."""

    props: dict[str, list[str]] = field(default_factory=dict)
    authors: list[str] = field(default_factory=list)
    """Author names (from ``itemprop=author`` scopes or their text)."""

    def first(self, name: str) -> str | None:
        values = self.props.get(name)
        return values[0] if values else None


def _itemtype_is_article(element: lxml.html.HtmlElement) -> bool:
    kinds = (element.get("itemtype") or "").split()
    return any(kind.rstrip("/").rsplit("/", 1)[-1].lower() in ARTICLE_TYPES for kind in kinds)


def _value(element: lxml.html.HtmlElement) -> str:
    tag = element.tag
    if tag == "meta":
        return element.get("content") or ""
    if tag in ("a", "link", "area"):
        return element.get("href") or ""
    if tag in ("img", "audio", "video", "source", "iframe", "embed"):
        return element.get("src") or ""
    if tag in ("time",) and element.get("datetime"):
        return element.get("datetime") or ""
    if element.get("content"):
        return element.get("content") or ""
    return element.text_content()


def _scope(element: lxml.html.HtmlElement) -> lxml.html.HtmlElement | None:
    for ancestor in element.iterancestors():
        if ancestor.get("itemscope") is not None:
            return ancestor
    return None


def read_microdata(tree: lxml.html.HtmlElement) -> Microdata:
    """Collect the article's microdata properties."""
    result = Microdata()
    article_scopes = [el for el in tree.xpath("//*[@itemscope]") if _itemtype_is_article(el)]
    # Teaser cards of other articles are article scopes too: the article itself is the
    # scope with the most text.
    main = max(article_scopes, key=lambda el: len(el.text_content()), default=None)
    count = 0
    for element in tree.xpath("//*[@itemprop]"):
        count += 1
        if count > MAX_PROPS:
            break
        scope = _scope(element)
        if scope is not None and scope is not main and _itemtype_is_article(scope):
            continue
        for name in (element.get("itemprop") or "").lower().split():
            if name not in WANTED:
                continue
            if scope is not None and scope is not main:
                # A property of some other thing (publisher, image, person...), except
                # the name of an author scope, handled below.
                continue
            if name in ("author", "creator"):
                result.authors.extend(_author_names(element))
                continue
            value = _value(element) if name != "articlebody" else _text(element)
            value = fold(value) if name != "articlebody" else value
            if value:
                result.props.setdefault(name, []).append(value)
    return result


def _author_names(element: lxml.html.HtmlElement) -> list[str]:
    if element.get("itemscope") is not None:
        names = [
            fold(_value(child))
            for child in element.iter()
            if child is not element and "name" in (child.get("itemprop") or "").lower().split()
        ]
        if names:
            return [n for n in names if n]
    value = element.get("content") if element.tag == "meta" else element.text_content()
    text = fold(value)
    return [text] if text else []


def _text(element: lxml.html.HtmlElement) -> str:
    parts = [fold(p.text_content()) for p in element.iter("p")]
    parts = [p for p in parts if p]
    return "\n\n".join(parts) if parts else fold(element.text_content())
