"""Photo galleries: pages whose text is the captions of a run of pictures.

Entertainment sites publish galleries about artists ("Lady Gaga's best looks", "The red
carpet at the Grammys") as often as stories. The article body drops figures and
captions (in a story they repeat or only credit the picture), so a gallery was left
with its intro, and the trafilatura fallback's text ran each slide's caption spans
into one paragraph. A gallery is archived as one, flagged ``is_gallery``, with each
slide's title and caption as paragraphs of their own.

A *slide* is the smallest element around one picture that holds caption text: a
``<figure>`` with its ``<figcaption>``, or a slide ``<div>`` or ``<li>`` with a title
and a caption. A page is a gallery when it has at least :data:`MIN_SLIDES` slides and
their captions hold at least as many words as the rest of the article text: a story
illustrated with a few captioned photos is not one. A slide that leads to another page
(its picture or its headline is a link) is a teaser card, not a slide.
"""

from __future__ import annotations

import copy
import re
from dataclasses import dataclass

import lxml.html

from newscrawl.extract.blocks import DROP_TAGS, hidden, segment
from newscrawl.extract.boilerplate import is_boilerplate, without_photo_credit
from newscrawl.extract.document import Document
from newscrawl.extract.title import key as title_key

MIN_SLIDES = 4
MIN_CAPTION_CHARS = 20
# More text than a slide's title and caption: an element holding it is a story or a
# section of the page, not a slide.
MAX_CAPTION_CHARS = 1500
# How far above a picture its slide may start (figure > a > picture > img, or
# li > div.slide > div.media > img).
MAX_LEVELS = 4
MAX_LINK_SHARE = 0.2
_STOP = frozenset(("body", "html", "main"))
# Inside a slide: the credit, the counter, the share and shop buttons are not caption.
_SLIDE_CHROME = re.compile(
    r"(?:^|[-_ ])(?:credits?|copyright|counter|count|share\w*|social|pagination|pager|"
    r"ad|ads|advert\w*|sponsor\w*|shop\w*|buy|button|btn|icon|sr-only|visually-hidden)"
    r"(?:$|[-_ ])",
    re.IGNORECASE,
)
# A slide's title and caption set as spans that the site's CSS shows as lines.
_LINE_SPAN = re.compile(
    r"title|caption|desc\w*|text|headline|heading|dek|summary|credit", re.IGNORECASE
)
_COUNTER = re.compile(r"^(?:\d{1,3}\s*(?:/|of)\s*\d{1,3}|slide \d{1,3}(?: of \d{1,3})?)$", re.I)
_IMAGE_HREF = re.compile(r"(?:^#|\.(?:jpe?g|png|gif|webp|avif)(?:[?#].*)?$)", re.IGNORECASE)


@dataclass
class Gallery:
    """The slides of a gallery page, in page order."""

    slides: list[list[str]]
    """Each slide's paragraphs: its title and caption, without credit or counter."""

    @property
    def paragraphs(self) -> list[str]:
        return [p for slide in self.slides for p in slide]

    @property
    def words(self) -> int:
        return sum(len(p.split()) for p in self.paragraphs)


def find_gallery(doc: Document) -> Gallery | None:
    """The slides of the page when it has at least :data:`MIN_SLIDES` of them, else
    None. Reads ``doc.tree`` without changing it: run it before the body is extracted."""
    root = doc.tree.find("body")
    if root is None:
        return None
    images = [image for image in root.iter("img") if not _in_noscript(image)]
    if len(images) < MIN_SLIDES:  # one picture a slide: most stories stop here
        return None
    # The text of an element is read once, though every picture below it climbs past it.
    text_lengths: dict[lxml.html.HtmlElement, int] = {}
    slides: list[lxml.html.HtmlElement] = []
    found: set[lxml.html.HtmlElement] = set()  # a set: 40,000 figures took 20 s as a list
    for image in images:
        slide = _slide_of(image, text_lengths)
        if slide is not None and slide not in found:
            slides.append(slide)
            found.add(slide)
    # A slide inside another (a figure inside its slide <div>) is part of that one.
    slides = [s for s in slides if not any(a in found for a in s.iterancestors())]
    texts = [paragraphs for slide in slides if (paragraphs := _caption(slide))]
    return Gallery(texts) if len(texts) >= MIN_SLIDES else None


def gallery_body(gallery: Gallery, prose: list[str]) -> list[str] | None:
    """The body of a gallery page: the article text found around the slides (its intro),
    then every slide's paragraphs; None when the captions are fewer words than that
    text (a story with photos)."""
    captions = {title_key(p) for p in gallery.paragraphs}
    intro = [p for p in prose if title_key(p) not in captions]
    if gallery.words < sum(len(p.split()) for p in intro):
        return None
    return intro + gallery.paragraphs


def outweighs_captions(paragraphs: list[str], gallery: Gallery) -> bool:
    """True when ``paragraphs`` (the page's articleBody) hold more words than the
    gallery's captions once the captions themselves are taken out of them: the story of
    a page whose HTML shows little more than its photos."""
    text = " ".join(" ".join(paragraphs).split())
    for caption in gallery.paragraphs:
        text = text.replace(" ".join(caption.split()), " ")
    return len(text.split()) > gallery.words


def _in_noscript(element: lxml.html.HtmlElement) -> bool:
    # Lazy-loading templates repeat the picture in <noscript>.
    return next(element.iterancestors("noscript"), None) is not None


def _pictures(element: lxml.html.HtmlElement) -> int:
    return sum(1 for image in element.iter("img") if not _in_noscript(image))


def _slide_of(
    image: lxml.html.HtmlElement, text_lengths: dict[lxml.html.HtmlElement, int]
) -> lxml.html.HtmlElement | None:
    node = image.getparent()
    for _ in range(MAX_LEVELS):
        if node is None or node.tag in _STOP or _pictures(node) > 1:
            return None
        text = text_lengths.get(node)
        if text is None:
            text = text_lengths[node] = len(_text(node))
        if text > MAX_CAPTION_CHARS:
            return None
        if text >= MIN_CAPTION_CHARS:
            return None if _teaser(node, image) else node
        node = node.getparent()
    return None


_NO_TEXT = frozenset(("script", "style"))


def _text(element: lxml.html.HtmlElement) -> str:
    return " ".join(stripped for text in _texts(element) if (stripped := text.strip()))


def _texts(element: lxml.html.HtmlElement):
    """The text nodes below ``element`` in document order, those inside a script or a
    style left out (the XPath ``.//text()[not(ancestor::script or ancestor::style)]``,
    without its walk up every text node's ancestors)."""
    if element.text and element.tag not in _NO_TEXT:
        yield element.text
    for child in element:
        if isinstance(child.tag, str) and child.tag not in _NO_TEXT:
            yield from _texts(child)
        if child.tail:  # a comment's or a script's tail is text of this element
            yield child.tail


def _teaser(slide: lxml.html.HtmlElement, image: lxml.html.HtmlElement) -> bool:
    """A card that leads to another page: its picture or much of its text is a link."""
    for link in image.iterancestors("a"):
        if not _IMAGE_HREF.search(link.get("href") or "#"):
            return True
    linked = sum(
        len(_text(link))
        for link in slide.iter("a")
        if not _IMAGE_HREF.search(link.get("href") or "#")
    )
    return linked > MAX_LINK_SHARE * max(len(_text(slide)), 1)


def _caption(slide: lxml.html.HtmlElement) -> list[str]:
    """The slide's text as paragraphs (a title, a caption), without its chrome."""
    slide = copy.deepcopy(slide)
    slide.tail = None
    for element in list(slide.iter()):
        if element is slide or not isinstance(element.tag, str):
            continue
        names = " ".join(filter(None, (element.get("class"), element.get("id"))))
        chrome = element.tag in DROP_TAGS or hidden(element) or _SLIDE_CHROME.search(names)
        if chrome and element.getparent() is not None:
            element.drop_tree()
        elif element.tag == "span" and _LINE_SPAN.search(names):
            element.tag = "div"
    paragraphs = []
    for block in segment(slide):
        text = without_photo_credit(block.text)
        if text and not _COUNTER.match(text) and not is_boilerplate(text):
            paragraphs.append(text)
    return paragraphs
