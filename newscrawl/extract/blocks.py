"""The page as a list of text blocks, after removing what is never article text.

:func:`clean_tree` drops scripts, navigation, asides, figures and captions, forms,
hidden elements and elements whose class or id names a boilerplate role (related
links, newsletter prompts, share bars, ads, comments...). :func:`segment` then walks
the tree once and cuts its text into blocks at block-level elements and line
breaks; each block remembers its owning element, its share of link text and
whether it is a heading or a list item.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

import lxml.html
from lxml import etree

from newscrawl.extract.boilerplate import is_boilerplate
from newscrawl.extract.normalize import fold, words

DROP_TAGS = words(
    """
    script style noscript template svg math iframe object embed canvas video audio source
    picture img button select option textarea input label dialog head title link meta map
    area track portal
    """
    # AMP components that are ads, embeds, players, share bars, drawers or consent
    # banners: their placeholder and fallback text ("Loading ad") is not article text.
    """
    amp-ad amp-embed amp-sticky-ad amp-auto-ads amp-analytics amp-pixel amp-iframe
    amp-video amp-video-iframe amp-youtube amp-vimeo amp-brightcove amp-jwplayer
    amp-twitter amp-instagram amp-facebook amp-tiktok amp-social-share amp-consent
    amp-user-notification amp-sidebar amp-geo amp-lightbox amp-call-tracking
    amp-install-serviceworker amp-next-page amp-fx-flying-carpet amp-story-auto-ads
    """
)
# Dropped unless they hold much of the page's text (some templates wrap the article in
# an <aside> or a <header>).
GUARDED_TAGS = frozenset(
    ("nav", "aside", "footer", "figure", "figcaption", "menu", "header", "form")
)
BLOCK_TAGS = words(
    """
    html body p div section article main header footer aside nav h1 h2 h3 h4 h5 h6 ul ol
    li dl dt dd blockquote pre table thead tbody tfoot tr td th caption figure figcaption
    form fieldset address details summary hr center hgroup dialog legend
    """
)
HEADINGS = frozenset(("h1", "h2", "h3", "h4", "h5", "h6"))
_PARAGRAPHS = frozenset(("p", "li", "blockquote", "dd", "pre", "address", *HEADINGS))
_BOILERPLATE_CLASS = re.compile(
    r"(?:^|[-_ ])(?:related|recirc\w*|newsletters?|signup|sign-up|subscribe\w*|promo\w*|"
    r"advert\w*|ads?|adslot|ad-slot|adunit|dfp|sponsor\w*|social|share\w*|sharing|"
    r"comments?|disqus|outbrain|taboola|breadcrumbs?|caption\w*|credits?|trending|popular|"
    r"most-read|mostread|sidebar|modal|popup|cookies?|consent|toolbar|sr-only|"
    r"screen-reader-text|visually-hidden|visuallyhidden|tags|tag-list|author-bio|bio|"
    r"read-more|readmore|more-stories|more-from|recommend\w*|also-read|see-also|byline|"
    r"tweet|twitter-tweet|instagram-media|tiktok-embed|embed-twitter|newsletter-signup|"
    r"inline-related|video|player|jwplayer|embed|print-only|paywall-message|nav|navigation|menu|"
    r"footer|masthead|skip-link|pagination|pager|rating|feedback|cta|eyebrow|kicker|infobox|"
    r"carousel|pull-?quotes?|pulled-quote)(?:$|[-_ ])",
    re.IGNORECASE,
)
# "RelatedLinks" → "Related-Links"; hashed class names ("kAdsPq") are left alone.
_CAMEL = re.compile(r"(?<=[a-z]{2})(?=[A-Z][a-z]{2})")
_QUALIFIER = re.compile(r"(?:^|\s)(?:has|with|no|show|is|without)(?:[-_]|(?=[A-Z]))\S*")
_HIDDEN_CLASSES = frozenset(("hidden", "is-hidden", "d-none", "hide", "invisible", "display-none"))
_HIDDEN_STYLE = re.compile(r"display\s*:\s*none|visibility\s*:\s*hidden", re.IGNORECASE)
# An element holding more than this share of the page text is never dropped for its
# class name alone: templates put words like "comments" or "ad-free" on article wrappers.
GUARD_SHARE = 0.35
CAPTION_CHARS = 200
PROSE_CHARS = 150
PROSE_PARAGRAPHS = 3
MAX_BLOCKS = 20_000
MAX_BLOCK_CHARS = 20_000


@dataclass(eq=False)
class Block:
    """One run of text between block-level boundaries."""

    text: str
    owner: lxml.html.HtmlElement
    link_chars: int
    index: int
    line: bool = False
    """Cut from its container's text at a ``<br>`` (text written in lines, not ``<p>``)."""

    @property
    def link_density(self) -> float:
        return self.link_chars / max(len(self.text), 1)

    @property
    def heading(self) -> bool:
        return self.owner.tag in HEADINGS

    @property
    def list_item(self) -> bool:
        return self.owner.tag in ("li", "dd", "dt") or any(
            a.tag == "li" for a in self.owner.iterancestors("li")
        )


def boilerplate_hint(element: lxml.html.HtmlElement) -> bool:
    """Whether the element's class or id names a non-article role."""
    names = element.get("class")
    ident = element.get("id")
    if ident:
        names = f"{names} {ident}" if names else ident
    return bool(names) and _boilerplate_names(names)


@lru_cache(maxsize=4096)
def _boilerplate_names(names: str) -> bool:
    # "has-ads", "withSidebar", "no-comments" describe a wrapper, not a boilerplate part.
    names = _QUALIFIER.sub(" ", names)
    return bool(_BOILERPLATE_CLASS.search(_CAMEL.sub("-", names)))


def hidden(element: lxml.html.HtmlElement) -> bool:
    if element.get("hidden") is not None or element.get("aria-hidden") == "true":
        return True
    names = element.get("class")
    if names and not _HIDDEN_CLASSES.isdisjoint(names.lower().split()):
        return True
    style = element.get("style")
    return bool(style and _HIDDEN_STYLE.search(style))


def _prose(element: lxml.html.HtmlElement) -> bool:
    """Several long, unlinked paragraphs: article text, whatever the wrapper is called."""
    long = 0
    for paragraph in element.iter("p"):
        text = paragraph.text_content()
        if len(text) >= PROSE_CHARS:
            linked = sum(len(a.text_content()) for a in paragraph.iter("a"))
            if linked < 0.2 * len(text):
                long += 1
                if long >= PROSE_PARAGRAPHS:
                    return True
    return False


def _caption(paragraph: lxml.html.HtmlElement) -> bool:
    """A paragraph holding an image and a line of text is the image's caption."""
    if paragraph.find(".//img") is None and paragraph.find(".//picture") is None:
        return False
    return len(fold(paragraph.text_content())) < CAPTION_CHARS


def _drop(elements: list[lxml.html.HtmlElement]) -> None:
    for element in elements:
        if element.getparent() is not None:
            element.drop_tree()


def _amp_stand_in(element: lxml.html.HtmlElement) -> bool:
    return element.get("placeholder") is not None or element.get("fallback") is not None


def clean_tree(root: lxml.html.HtmlElement) -> None:
    """Remove non-article parts of ``root`` in place (tails are kept)."""
    doomed = []
    walker = etree.iterwalk(root, events=("start",))
    for _, element in walker:
        tag = element.tag
        if not isinstance(tag, str) or tag in DROP_TAGS or (tag == "p" and _caption(element)):
            doomed.append(element)
            walker.skip_subtree()
        elif tag.startswith("amp-"):
            # An AMP component's placeholder / fallback children are shown only while it
            # loads or when it fails ("Loading recommendations...", "Image failed to load").
            doomed.extend(child for child in element if _amp_stand_in(child))
    _drop(doomed)
    total = len(root.text_content()) or 1
    doomed = []
    walker = etree.iterwalk(root, events=("start",))
    for _, element in walker:
        if element.tag in ("body", "html", "main"):
            continue
        if (
            (element.tag in GUARDED_TAGS or hidden(element) or boilerplate_hint(element))
            and len(element.text_content()) < total * GUARD_SHARE
            and not _prose(element)
        ):
            doomed.append(element)
            walker.skip_subtree()
    _drop(doomed)


def _drop_boilerplate_lines(parts: list[str], breaks: list[tuple[int, int]], links: int) -> int:
    """Remove the lines of a paragraph broken by single ``<br>`` that are interface text
    ("Text of the story.<br>Read more: <a>Another story</a>"); returns the link
    characters left. ``parts`` is edited in place."""
    bounds = [(0, 0), *breaks, (len(parts), links)]
    kept: list[str] = []
    kept_links = 0
    for (start, before), (end, after) in zip(bounds, bounds[1:], strict=False):
        line = parts[start:end]
        if is_boilerplate(fold("".join(line))):
            continue
        kept.extend(line)
        kept_links += after - before
    parts[:] = kept
    return kept_links


def segment(root: lxml.html.HtmlElement) -> list[Block]:
    """The text of ``root`` cut into blocks, in document order."""
    blocks: list[Block] = []
    parts: list[str] = []
    link_chars = 0
    link_depth = 0
    line_break = False
    breaks: list[tuple[int, int]] = []  # (index in parts, link chars before) of each <br>
    stack: list[lxml.html.HtmlElement] = []

    line_owner: lxml.html.HtmlElement | None = None  # the container last cut at a <br>

    def flush(owner: lxml.html.HtmlElement | None, *, line: bool = False) -> None:
        nonlocal link_chars, line_break, line_owner
        line_break = False
        # The text after a container's last <br> is one of its lines too.
        if line:
            line_owner = owner
        elif owner is line_owner:
            line = True
        if breaks:
            link_chars = _drop_boilerplate_lines(parts, breaks, link_chars)
            breaks.clear()
        if parts:
            text = fold("".join(parts))
            if text and owner is not None and len(blocks) < MAX_BLOCKS:
                blocks.append(Block(text[:MAX_BLOCK_CHARS], owner, link_chars, len(blocks), line))
            parts.clear()
        link_chars = 0

    def add(text: str | None) -> None:
        nonlocal link_chars, line_break
        if text:
            parts.append(text)
            if link_depth:
                link_chars += len(fold(text))
            if not text.isspace():
                line_break = False

    for event, element in etree.iterwalk(root, events=("start", "end")):
        tag = element.tag
        if not isinstance(tag, str):
            if event == "end":
                add(element.tail)
            continue
        if event == "start":
            if tag in BLOCK_TAGS:
                flush(stack[-1] if stack else None)
                stack.append(element)
            elif tag == "br":
                # Inside a paragraph one <br> breaks a line and two end it; in other
                # containers (old table layouts) every line is a block of its own.
                if line_break or not stack or stack[-1].tag not in _PARAGRAPHS:
                    flush(stack[-1] if stack else None, line=True)
                else:
                    breaks.append((len(parts), link_chars))
                    parts.append("\n")
                    line_break = True
            if tag == "a":
                link_depth += 1
            add(element.text)
        else:
            if tag == "a":
                link_depth -= 1
            if tag in BLOCK_TAGS:
                flush(element)
                stack.pop()
            add(element.tail)
    flush(stack[-1] if stack else root)
    return blocks
