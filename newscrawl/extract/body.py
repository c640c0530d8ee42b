"""The article body: paragraphs and subheadings of the main text, as plain text.

The main container is found Readability-style: paragraphs score their ancestors, the
best-scoring element wins, split bodies are joined (a common ancestor of several
strong candidates, same-class siblings and look-alike chunks elsewhere). Inside it,
blocks that are link lists, short lists, boilerplate lines ("Advertisement", "Read
more", newsletter prompts, photo credits) or trailing credits are dropped. A visible
standfirst between the headline and the text (:mod:`newscrawl.extract.lead`) is
prepended, as news archives expect.
trafilatura is the fallback when this finds too little text.
"""

from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass

import lxml.html

from newscrawl.extract.blocks import Block, boilerplate_hint, clean_tree, segment
from newscrawl.extract.boilerplate import (
    is_author_bio,
    is_boilerplate,
    is_recirculation_heading,
    is_trailing_credit,
)
from newscrawl.extract.document import Document
from newscrawl.extract.lead import lead_candidates
from newscrawl.extract.normalize import clean_text
from newscrawl.extract.title import key as title_key

MIN_PARAGRAPH = 25
_PARAGRAPH_TAGS = frozenset(("p", "li", "blockquote", "dd", "pre", "address"))
TRAILER_BLOCKS = 5
SHORT_PAGE_BLOCKS = 12
SHORT_TEXT = 500
MAX_LINK_DENSITY = 0.33
_LEVEL_DIVISORS = (1, 2, 6, 9, 12)
# A list item's or slide's number standing alone ("2", "3.", "4/12"): not text.
_COUNTER = re.compile(r"^\d{1,3}(?:[.)]|\s*/\s*\d{1,3})?$")
_BYLINE = re.compile(r"^(?:by|written by|words by|story by)\s+\S", re.IGNORECASE)
_POSITIVE = re.compile(
    r"article|body|content|entry|hentry|h-entry|main|page|post|text|blog|story|prose|rich", re.I
)
_NEGATIVE = re.compile(
    r"comment|contact|foot|footnote|masthead|media|meta|promo|related|scroll|share|sidebar|"
    r"sponsor|shopping|tags|tool|widget|teaser-list|card",
    re.I,
)


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
        # A paragraph scores the element around it; text written in lines separated by
        # <br> sits in its container itself, which is the candidate then.
        owner = block.owner
        ancestor = owner if block.line and owner.tag not in _PARAGRAPH_TAGS else owner.getparent()
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
        before = True
        for sibling in parent:
            if sibling is top:
                before = False
                continue
            if not isinstance(sibling.tag, str) or boilerplate_hint(sibling):
                continue
            bonus = 0.2 * top_score if signature and _signature(sibling) == signature else 0
            # An intro stands before the text; a line of text after it is a footer's.
            loose = before and _loose_paragraph(own[sibling])
            if scores.get(sibling, 0) + bonus >= threshold or loose:
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
    if card.tag in ("main", "body") or len(card) > 6:
        return False
    if card.tag == "article" and len(card.text_content()) > SHORT_TEXT:
        return False  # the story itself; a teaser card is often an <article> too
    return any(a is card for a in block.owner.iterancestors())


def _names_someone(text: str, authors: list[str]) -> bool:
    folded = text.casefold()
    return any(name.casefold() in folded for name in authors)


def _prose(block: Block) -> bool:
    return len(block.text) >= 200 and block.link_density < 0.1


def _recirculation_title(block: Block, following: list[Block], bad_lists: set[int]) -> bool:
    """A widget's title ("Recommended from Editorial", "Latest National Stories"), styled
    as a heading or not, followed by its links or by nothing."""
    text = block.text.rstrip()
    if text.endswith((".", "!", "?", '"', "”")) or not is_recirculation_heading(text):
        return False
    if not following:
        return True
    after = following[0]
    return id(after) in bad_lists or after.link_density >= 0.5


def _filter(
    blocks: list[Block], title: str | None, authors: list[str], teasers: set[str]
) -> list[Block]:
    """The blocks of the story; adds to ``teasers`` the keys of the other stories'
    teaser cards and links it skipped."""
    lists: dict[lxml.html.HtmlElement, list[Block]] = defaultdict(list)
    for block in blocks:
        if block.list_item:
            container = next(block.owner.iterancestors("ul", "ol", "dl"), block.owner)
            lists[container].append(block)
    bad_lists = {id(b) for items in lists.values() if not _list_ok(items) for b in items}
    title_k = title_key(title) if title else None
    author_keys = {title_key(name) for name in authors}
    # Kickers, breadcrumbs and section labels sit above the headline: start after it.
    for index, block in enumerate(blocks[: max(3, len(blocks) // 3)]):
        if len(block.text) > SHORT_TEXT:
            continue
        same = title_k is not None and title_key(block.text) == title_k
        if same or (block.owner.tag == "h1" and not title_k):
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
        if teaser or (block.link_density >= 0.5 and len(text) <= SHORT_TEXT):
            teasers.add(title_key(text))
        if id(block) in bad_lists or not re.search(r"\w", text) or teaser:
            continue
        if _recirculation_title(block, blocks[position + 1 : position + 2], bad_lists):
            continue  # "Latest National Stories" over a link list (or an empty widget)
        if block.owner.tag == "h1" or (title_k and k == title_k) or k in author_keys:
            continue
        if len(text) <= 160 and _BYLINE.match(text) and _names_someone(text, authors):
            continue  # the byline, inside the text container
        if block.link_density >= 0.5 or is_boilerplate(text) or _COUNTER.match(text):
            continue
        if k in seen:
            continue
        seen.add(k)
        kept.append(block)
    kept = _without_pull_quotes(kept)
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


_QUOTE_MARKS = ('"', "“", "”", "‘", "'", "«")
_TOKEN = re.compile(r"\w+")
MIN_QUOTE_WORDS = 6


def _quoted(block: Block) -> bool:
    """A short block that is a quotation: in a ``<blockquote>`` or inside quote marks.
    Subheadings quoting the story are kept: they structure it."""
    if len(block.text) > SHORT_TEXT or block.heading:
        return False
    if block.text.startswith(_QUOTE_MARKS) or block.owner.tag == "blockquote":
        return True
    return next(block.owner.iterancestors("blockquote"), None) is not None


def _without_pull_quotes(kept: list[Block]) -> list[Block]:
    """A pull quote repeats a sentence of the story in large type (a blockquote, or a
    paragraph that is only a quotation): drop a quotation whose words stand in another
    paragraph."""
    candidates = [b for b in kept if _quoted(b)]
    if not candidates:
        return kept
    tokens = {id(b): " ".join(_TOKEN.findall(b.text.casefold())) for b in kept}
    repeats = set()
    for block in candidates:
        words = tokens[id(block)]
        if words.count(" ") + 1 < MIN_QUOTE_WORDS:
            continue
        if any(
            other is not block
            and f" {words} " in f" {tokens[id(other)]} "
            and len(tokens[id(other)]) > len(words)
            for other in kept
        ):
            repeats.add(id(block))
    return [b for b in kept if id(b) not in repeats]


@dataclass
class Body:
    """The extracted text and how much of the page's prose it holds."""

    paragraphs: list[str]
    source: str | None
    coverage: float = 1.0
    """Share of the page's prose (long, unlinked blocks) inside the chosen container;
    low values mean the container may be only part of the article."""
    prose_words: int = 0
    """Words of prose on the whole page."""
    teasers: frozenset[str] = frozenset()
    """Keys (:func:`~newscrawl.extract.title.key`) of the teaser cards' summaries and the
    links skipped: text about other stories, which a fallback extractor must not bring
    back (a topic page's cards are all it has)."""


def _is_prose(block: Block) -> bool:
    return len(block.text) >= 80 and block.link_density < 0.2 and not block.heading


def extract_body(doc: Document, title: str | None, authors: list[str] | None = None) -> Body:
    """The article text. Modifies ``doc.tree``; run it after the other fields."""
    root = doc.tree.find("body")
    if root is None:
        root = doc.tree
    order = doc.order  # positions before cleaning
    leads = lead_candidates(doc)
    clean_tree(root)
    blocks = segment(root)
    roots = set(_roots(blocks))
    if roots:
        inside = [b for b in blocks if _inside(b, roots)]
    else:
        # No paragraph long enough to score: a very short page; its text is the body.
        inside = blocks if len(blocks) <= SHORT_PAGE_BLOCKS else []
    teasers: set[str] = set()
    chosen = _filter(inside, title, authors or [], teasers)
    first_body = order.get(chosen[0].owner, 0) if chosen else None
    lead = next((p for _, pos, p in leads if first_body is None or pos < first_body), [])
    paragraphs = [b.text for b in chosen]
    if lead:
        head = {title_key(p) for p in paragraphs[:3]}
        lead = [p for p in lead if title_key(p) not in head]
        paragraphs = lead + paragraphs
    prose = [b for b in blocks if _is_prose(b)]
    total = sum(len(b.text) for b in prose)
    kept = sum(len(b.text) for b in inside if _is_prose(b))
    return Body(
        paragraphs,
        "html" if paragraphs else None,
        coverage=kept / total if total else 1.0,
        prose_words=sum(len(b.text.split()) for b in prose),
        teasers=frozenset(teasers),
    )


def word_count(paragraphs: list[str]) -> int:
    return sum(len(p.split()) for p in paragraphs)


def from_article_body(value: object) -> list[str]:
    """Paragraphs of a JSON-LD / microdata ``articleBody`` string."""
    if not isinstance(value, str):
        return []
    text = value.replace("\r", "")
    chunks = re.split(r"\n\s*\n|\n", text) if "\n" in text else [text]
    return [clean_text(c) for c in chunks if clean_text(c)]
