"""The article body: paragraphs and subheadings of the main text, as plain text.

The main container is found Readability-style: paragraphs score their ancestors, the
best-scoring element wins, split bodies are joined (a common ancestor of several
strong candidates, same-class siblings and look-alike chunks elsewhere). Inside it,
blocks that are link lists, short lists, boilerplate lines ("Advertisement", "Read
more", newsletter prompts, photo credits) or trailing credits are dropped. A visible
standfirst between the headline and the text is prepended, as news archives expect.
trafilatura is the fallback when this finds too little text.
"""

from __future__ import annotations

import re
from collections import defaultdict
from functools import lru_cache

import lxml.html

from newscrawl.extract.blocks import Block, boilerplate_hint, clean_tree, segment
from newscrawl.extract.boilerplate import (
    is_author_bio,
    is_boilerplate,
    is_recirculation_heading,
    is_trailing_credit,
)
from newscrawl.extract.document import Document
from newscrawl.extract.normalize import clean_text, fold
from newscrawl.extract.title import key as title_key

MIN_PARAGRAPH = 25
TRAILER_BLOCKS = 5
SHORT_PAGE_BLOCKS = 12
SHORT_TEXT = 500
MAX_LINK_DENSITY = 0.33
_LEVEL_DIVISORS = (1, 2, 6, 9, 12)
_POSITIVE = re.compile(
    r"article|body|content|entry|hentry|h-entry|main|page|post|text|blog|story|prose|rich", re.I
)
_NEGATIVE = re.compile(
    r"comment|contact|foot|footnote|masthead|media|meta|promo|related|scroll|share|sidebar|"
    r"sponsor|shopping|tags|tool|widget|teaser-list|card",
    re.I,
)
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
MIN_WORDS = 40


def _weight(block: Block) -> float:
    return 1 + min(block.text.count(","), 3) + min(len(block.text) / 100, 3)


def _class_weight(element: lxml.html.HtmlElement) -> float:
    names = " ".join(filter(None, (element.get("class"), element.get("id"))))
    weight = 0.0
    if names:
        if _POSITIVE.search(names):
            weight += 25
        if _NEGATIVE.search(names):
            weight -= 25
    return weight


def _scores(blocks: list[Block]) -> dict[lxml.html.HtmlElement, float]:
    scores: dict[lxml.html.HtmlElement, float] = defaultdict(float)
    for block in blocks:
        if len(block.text) < MIN_PARAGRAPH or block.link_density > MAX_LINK_DENSITY:
            continue
        if block.heading:
            continue
        weight = _weight(block)
        ancestor = block.owner.getparent()
        for divisor in _LEVEL_DIVISORS:
            if ancestor is None or ancestor.tag == "html":
                break
            if ancestor not in scores:
                scores[ancestor] += _class_weight(ancestor)
            scores[ancestor] += weight / divisor
            ancestor = ancestor.getparent()
    return scores


def _signature(element: lxml.html.HtmlElement) -> tuple[str, str] | None:
    names = element.get("class")
    return (element.tag, names.strip()) if names and names.strip() else None


def _roots(blocks: list[Block]) -> list[lxml.html.HtmlElement]:
    """The element(s) holding the article text."""
    scores = _scores(blocks)
    if not scores:
        return []
    ranked = sorted(scores.items(), key=lambda item: -item[1])
    top, top_score = ranked[0]
    # Several strong candidates under one ancestor: the text is split into chunks.
    strong = [el for el, score in ranked[1:6] if score >= 0.75 * top_score]
    if len(strong) >= 2:
        for ancestor in top.iterancestors():
            if ancestor.tag in ("body", "html"):
                break
            inside = sum(1 for el in strong if any(a is ancestor for a in el.iterancestors()))
            if inside >= 2:
                top = ancestor
                top_score = max(top_score, scores.get(ancestor, 0))
                break
    # Climb while the parent scores better (the text continues in a wrapper).
    last, parent = top_score, top.getparent()
    while parent is not None and parent.tag not in ("body", "html"):
        score = scores.get(parent)
        if score is None:
            parent = parent.getparent()
            continue
        if score < top_score / 3:
            break
        if score > last:
            top = parent
            break
        last, parent = score, parent.getparent()
    threshold = max(10.0, 0.2 * scores.get(top, top_score))
    own: dict[lxml.html.HtmlElement, list[Block]] = defaultdict(list)
    for block in blocks:
        own[block.owner].append(block)
    roots = [top]
    parent = top.getparent()
    signature = _signature(top)
    if parent is not None:
        for sibling in parent:
            if sibling is top or not isinstance(sibling.tag, str) or boilerplate_hint(sibling):
                continue
            bonus = 0.2 * top_score if signature and _signature(sibling) == signature else 0
            if scores.get(sibling, 0) + bonus >= threshold or _loose_paragraph(own[sibling]):
                roots.append(sibling)
    if signature:
        for element, score in ranked[1:50]:
            if _signature(element) == signature and score >= threshold:
                roots.append(element)
    return roots


def _loose_paragraph(blocks: list[Block]) -> bool:
    """A paragraph standing next to the main container (an intro outside the body div)."""
    if len(blocks) != 1 or blocks[0].heading or blocks[0].list_item:
        return False
    block = blocks[0]
    if len(block.text) >= 80:
        return block.link_density < 0.25
    return block.link_chars == 0 and block.text.endswith(".") and len(block.text) >= 25


def _inside(block: Block, roots: set[lxml.html.HtmlElement]) -> bool:
    if block.owner in roots:
        return True
    return any(a in roots for a in block.owner.iterancestors())


def _list_ok(items: list[Block]) -> bool:
    """Lists of sentences are text; lists of links, specs or single words are not."""
    mean = sum(len(b.text) for b in items) / len(items)
    links = sum(b.link_chars for b in items) / max(sum(len(b.text) for b in items), 1)
    sentences = sum(1 for b in items if b.text.rstrip().endswith((".", ";", "!", "?", "; and")))
    return links < 0.3 and (mean >= 70 or (mean >= 25 and sentences >= 0.6 * len(items)))


def _same_card(heading: Block, block: Block) -> bool:
    """Whether ``block`` sits in the small container (a teaser card) of ``heading``."""
    card = heading.owner.getparent()
    if card is None:
        return False
    if card.tag in ("article", "main", "body") or len(card) > 6:
        return False
    return any(a is card for a in block.owner.iterancestors())


def _prose(block: Block) -> bool:
    return len(block.text) >= 200 and block.link_density < 0.1


def _filter(blocks: list[Block], title: str | None, authors: list[str]) -> list[Block]:
    lists: dict[lxml.html.HtmlElement, list[Block]] = defaultdict(list)
    for block in blocks:
        if block.list_item:
            container = next(block.owner.iterancestors("ul", "ol", "dl"), block.owner)
            lists[container].append(block)
    bad_lists = {id(b) for items in lists.values() if not _list_ok(items) for b in items}
    title_k = title_key(title) if title else None
    author_keys = {title_key(name) for name in authors}
    # Kickers, breadcrumbs and section labels sit above the headline: start after it.
    for index, block in enumerate(blocks):
        if block.owner.tag == "h1" and (not title_k or title_key(block.text) == title_k):
            blocks = blocks[index + 1 :]
            break
    total = sum(len(b.text) for b in blocks) or 1
    kept: list[Block] = []
    seen: set[str] = set()
    done = 0
    previous: Block | None = None
    for position, block in enumerate(blocks):
        text = block.text
        k = title_key(text) if len(text) <= SHORT_TEXT else text.casefold()
        done += len(text)
        teaser = (
            previous is not None
            and previous.heading
            and previous.link_density >= 0.9
            and len(text) < 250
            and _same_card(previous, block)
        )
        previous = block
        if (
            block.heading
            and done > total / 2
            and is_recirculation_heading(text)
            and not any(_prose(b) for b in blocks[position + 1 :])
        ):
            break  # "More from ...", "Related stories" and no more text: the end
        if id(block) in bad_lists or not re.search(r"\w", text) or teaser:
            continue
        if block.owner.tag == "h1" or (title_k and k == title_k) or k in author_keys:
            continue
        if block.link_density >= 0.5 or is_boilerplate(text):
            continue
        if k in seen:
            continue
        seen.add(k)
        kept.append(block)
    # Trailing credits and author bios are not the story; trailing headings introduce
    # nothing.
    for index in range(max(0, len(kept) - TRAILER_BLOCKS), len(kept)):
        text = kept[index].text
        if is_trailing_credit(text) or is_author_bio(text, authors):
            del kept[index:]
            break
    while kept and (kept[-1].heading or is_trailing_credit(kept[-1].text)):
        kept.pop()
    return kept


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


def _lead_candidates(doc: Document) -> list[tuple[int, int, list[str]]]:
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


def extract_body(
    doc: Document, title: str | None, authors: list[str] | None = None
) -> tuple[list[str], str | None]:
    """``(paragraphs, source)``. Modifies ``doc.tree``; run it after the other fields."""
    root = doc.tree.find("body")
    if root is None:
        root = doc.tree
    order = doc.order  # positions before cleaning
    leads = _lead_candidates(doc)
    clean_tree(root)
    blocks = segment(root)
    roots = set(_roots(blocks))
    if roots:
        inside = [b for b in blocks if _inside(b, roots)]
    else:
        # No paragraph long enough to score: a very short page; its text is the body.
        inside = blocks if len(blocks) <= SHORT_PAGE_BLOCKS else []
    chosen = _filter(inside, title, authors or [])
    first_body = order.get(chosen[0].owner, 0) if chosen else None
    lead = next((p for _, pos, p in leads if first_body is None or pos < first_body), [])
    paragraphs = [b.text for b in chosen]
    if lead:
        head = {title_key(p) for p in paragraphs[:3]}
        lead = [p for p in lead if title_key(p) not in head]
        paragraphs = lead + paragraphs
    return paragraphs, "html" if paragraphs else None


def word_count(paragraphs: list[str]) -> int:
    return sum(len(p.split()) for p in paragraphs)


def from_article_body(value: object) -> list[str]:
    """Paragraphs of a JSON-LD / microdata ``articleBody`` string."""
    if not isinstance(value, str):
        return []
    text = value.replace("\r", "")
    chunks = re.split(r"\n\s*\n|\n", text) if "\n" in text else [text]
    return [clean_text(c) for c in chunks if clean_text(c)]
