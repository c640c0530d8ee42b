"""The standfirst (dek, summary, lead) a page shows between the headline and the text.

News archives such as the fundus corpus start the body with it. It is found by class
name (``dek``, ``standfirst``, ``subtitle``...; weaker: ``summary``, ``intro``) or by
being the visible copy of the meta description, and read before the body extractor
cleans the tree (standfirsts often sit in a ``<header>``).
"""

from __future__ import annotations

import re
from functools import lru_cache

import lxml.html

from newscrawl.extract.blocks import boilerplate_hint
from newscrawl.extract.document import Document
from newscrawl.extract.normalize import fold
from newscrawl.extract.title import key as title_key

# Class names of a standfirst: the unambiguous ones first, then weaker hints.
_DEK = re.compile(
    r"(?:^|[-_ ])(?:dek|deck|standfirst|stand-first|subtitle|sub-title|subheadline|"
    r"sub-headline|subhead|subheading|excerpt|lede|strapline)",
    re.IGNORECASE,
)
_WEAK_DEK = re.compile(
    r"(?:^|[-_ ])(?:summary|intro|description|abstract|tertiary-title|synopsis|teaser-text|"
    r"article-lead|lead-text)",
    re.IGNORECASE,
)
_NOT_DEK = re.compile(
    r"author|byline|bio|caption|credit|image|photo|video|related|promo|carousel|slide|"
    r"gallery|media|player|card|teaser-list|newsletter|comment",
    re.I,
)
MAX_LEAD = 800
LEAD_WINDOW = 250


@lru_cache(maxsize=4096)
def _dek_strength(names: str) -> int:
    """0: named like a standfirst, 1: weakly so, 2: not at all."""
    if _NOT_DEK.search(names):
        return 2
    return 0 if _DEK.search(names) else 1 if _WEAK_DEK.search(names) else 2


def _in_widget(element: lxml.html.HtmlElement) -> bool:
    """Inside a carousel, figure, related box... (a few levels up)."""
    for depth, ancestor in enumerate(element.iterancestors()):
        if depth >= 5 or ancestor.tag in ("article", "main", "body"):
            break
        names = " ".join(filter(None, (ancestor.get("class"), ancestor.get("id"))))
        if ancestor.tag in ("figure", "aside", "nav", "footer"):
            return True
        if names and (_NOT_DEK.search(names) or boilerplate_hint(ancestor)):
            return True
    return False


def lead_candidates(doc: Document) -> list[tuple[int, int, list[str]]]:
    """Standfirst candidates after the headline: ``(strength, document position,
    paragraphs)``, strongest first. Strength 0: a class such as ``dek`` / ``standfirst``;
    1: a weaker class (``summary``, ``intro``); 2: the text of the meta description.

    Read before the tree is cleaned (standfirsts often sit in a ``<header>``)."""
    descriptions = set()
    for key in ("og:description", "description", "twitter:description"):
        for value in doc.meta.get(key, ())[:1]:
            descriptions.add(title_key(value))
    described = doc.ld("description")
    if isinstance(described, str):
        descriptions.add(title_key(described))
    descriptions.discard("")
    lengths = [len(d) for d in descriptions]
    order = doc.order
    start = doc.headline_position()
    found: list[tuple[int, int, list[str]]] = []
    looked = 0
    for element in doc.tree.iter("p", "div", "h2", "h3", "span", "ul", "section"):
        position = order.get(element, -1)
        if position <= start:
            continue
        looked += 1
        if looked > LEAD_WINDOW or len(found) >= 3:
            break
        names = " ".join(filter(None, (element.get("class"), element.get("id"))))
        strength = _dek_strength(names) if names else 2
        if strength == 2 and (len(element) > 3 or not descriptions):
            continue
        raw = element.text_content()
        if len(raw) > 4 * MAX_LEAD:
            continue
        if strength == 2 and not any(0.8 * n <= len(raw) <= 2 * n + 40 for n in lengths):
            continue
        text = fold(raw)
        if not (20 <= len(text) <= MAX_LEAD):
            continue
        if strength == 2 and title_key(text) not in descriptions:
            continue
        if element.find(".//h1") is not None or element.find(".//script") is not None:
            continue
        if boilerplate_hint(element) and strength == 2 or _in_widget(element):
            continue
        items = [fold(li.text_content()) for li in element.iter("li")]
        found.append((strength, position, [t for t in items if t] if items else [text]))
    return sorted(found, key=lambda item: item[:2])
