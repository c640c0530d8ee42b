"""The order in which the field functions run, and the body fallbacks."""

from __future__ import annotations

import warnings
from collections.abc import Mapping
from datetime import datetime
from typing import Any
from urllib.parse import urlsplit

from newscrawl.extract import body as body_layer
from newscrawl.extract import metadata
from newscrawl.extract.authors import authors
from newscrawl.extract.boilerplate import is_boilerplate
from newscrawl.extract.dates import modified_at, published_at
from newscrawl.extract.decode import decode_html
from newscrawl.extract.document import Document
from newscrawl.extract.errors import ExtractError
from newscrawl.extract.evaluate import shingles
from newscrawl.extract.gallery import Gallery, find_gallery, gallery_body, outweighs_captions
from newscrawl.extract.normalize import clean_text
from newscrawl.extract.relative import fetch_time
from newscrawl.extract.title import key as title_key
from newscrawl.extract.title import title as title_of

TRUNCATE_FACTOR = 2
MAX_BODY_CHARS = 500_000
MIN_WORDS = 40
ARTICLE_BODY_WORDS = 80
LOW_COVERAGE = 0.4
SUSPICIOUS_PROSE = 300


def _truncate(html: bytes, max_bytes: int) -> bytes:
    cut = max_bytes
    while cut > 0 and 0x80 <= html[cut] <= 0xBF:  # keep UTF-8 sequences whole
        cut -= 1
    return html[:cut]


def _trafilatura(doc: Document) -> list[str]:
    try:
        import trafilatura
    except ImportError:  # pragma: no cover - trafilatura is a dependency
        return []
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            text = trafilatura.extract(
                doc.text,
                url=doc.url,
                include_comments=False,
                include_tables=False,
                favor_recall=True,
                with_metadata=False,
            )
    except Exception:  # noqa: BLE001 - a fallback must not break extraction
        return []
    return [clean_text(p) for p in (text or "").split("\n") if clean_text(p)]


def _fallback(doc: Document, title: str | None, teasers: frozenset[str]) -> list[str]:
    """trafilatura's paragraphs without the headline (it keeps it as a line, first or
    after a teaser) and without a paywall's prompts ("Subscribe to continue reading",
    "Already a subscriber? Sign in"), which the DOM body drops as boilerplate too, nor
    the teaser cards of other stories the DOM body skipped (``teasers``)."""
    headline = title_key(title) if title else None
    return [
        p
        for p in _trafilatura(doc)
        if title_key(p) != headline and title_key(p) not in teasers and not is_boilerplate(p)
    ]


def _body(
    doc: Document, title: str | None, authors: list[str], gallery: Gallery | None
) -> tuple[list[str], str | None, bool]:
    """The body's paragraphs, their provenance, and whether the page is a gallery."""
    structured, label = doc.ld("articleBody"), "jsonld"
    if not isinstance(structured, str):
        structured, label = doc.microdata.first("articlebody"), "microdata"
    article_body = body_layer.from_article_body(structured)
    found = body_layer.extract_body(doc, title, authors)
    # The page's own articleBody tells how long the story is when the DOM holds little of
    # it (a page rendered by script): captions that do not outweigh it are its photos'.
    if (
        gallery is not None
        and not (
            body_layer.word_count(article_body) >= ARTICLE_BODY_WORDS
            and outweighs_captions(article_body, gallery)
        )
        and (slides := gallery_body(gallery, found.paragraphs))
    ):
        return slides, "html", True
    return (*_story_body(doc, title, found, article_body, label), False)


def _story_body(
    doc: Document,
    title: str | None,
    found: body_layer.Body,
    article_body: list[str],
    label: str,
) -> tuple[list[str], str | None]:
    paragraphs = found.paragraphs
    words = body_layer.word_count(paragraphs)
    if body_layer.word_count(article_body) >= ARTICLE_BODY_WORDS:
        # The page's own articleBody shows how much text there is: when the DOM
        # extraction holds little of it (text split or hidden in odd markup), use it.
        wanted = shingles(" ".join(article_body))
        if _share(wanted, shingles(" ".join(paragraphs))) < 0.5:
            return article_body, label
    if not doc.worth_fallbacks:
        return paragraphs, found.source
    if words < MIN_WORDS:
        fallback = _fallback(doc, title, found.teasers)
        if body_layer.word_count(fallback) > max(words, 10):
            return fallback, "trafilatura"
    elif found.coverage < LOW_COVERAGE and found.prose_words >= SUSPICIOUS_PROSE:
        # Most of the page's prose lies outside the chosen container: ask trafilatura,
        # and take its text if it is much longer and holds what was found.
        fallback = _fallback(doc, title, found.teasers)
        longer = body_layer.word_count(fallback) >= 1.5 * words
        if longer and _share(shingles(" ".join(paragraphs)), shingles(" ".join(fallback))) >= 0.7:
            return fallback, "trafilatura"
    return paragraphs, found.source


def _share(wanted: set, got: set) -> float:
    return len(wanted & got) / max(len(wanted), 1)


def extract(
    html: bytes,
    url: str,
    *,
    headers: Mapping[str, str] | None,
    evidence: Mapping[str, Any] | None,
    max_bytes: int,
    fetched_at: str | datetime | None = None,
) -> dict[str, Any]:
    from newscrawl.extract import FIELDS, content_hash

    if isinstance(html, str):
        html = html.encode("utf-8", "surrogatepass")
    if not isinstance(html, (bytes, bytearray, memoryview)):
        raise ExtractError("empty", f"expected bytes, got {type(html).__name__}")
    html = bytes(html)
    url = str(url or "")
    try:
        # The URL is the caller's (a crawled page's always parses): every layer that
        # reads it (the canonical fallback, the site's name, a date in the path,
        # relative links) would fail on one urllib cannot split, as "failed".
        urlsplit(url)
    except ValueError as error:
        raise ExtractError(
            "bad_url", f"the page URL {url[:200]!r} does not parse: {error}"
        ) from None
    provenance: dict[str, Any] = {}
    if len(html) > max_bytes:
        if len(html) > TRUNCATE_FACTOR * max_bytes:
            raise ExtractError("too_large", f"{len(html)} bytes > {max_bytes}")
        html = _truncate(html, max_bytes)
        provenance["truncated"] = True
    if not html.strip():
        raise ExtractError("empty", "no content")
    text, _ = decode_html(html, headers)
    doc = Document.from_text(
        text, url, headers=headers, evidence=evidence, fetched_at=fetch_time(fetched_at)
    )
    fields: dict[str, Any] = {}

    def put(name: str, value: Any, source: str | None) -> None:
        fields[name] = value
        if source and value not in (None, "", []):
            provenance[name] = source

    put("url", url, None)
    put("canonical_url", *metadata.canonical_url(doc))
    title, source = title_of(doc)
    if not title and doc.evidence.get("title"):
        title, source = clean_text(doc.evidence.get("title")), doc.evidence_source
    put("title", title or None, source)
    doc.locate_headline(title)
    put("description", *metadata.description(doc))
    put("authors", *authors(doc))
    published, source, conflicts = published_at(doc)
    put("published_at", published, source)
    if conflicts:
        provenance["date_conflicts"] = conflicts
    put("modified_at", *modified_at(doc, published))
    put("section", *metadata.section(doc))
    put("tags", *metadata.tags(doc))
    put("language", *metadata.language(doc))
    put("image_url", *metadata.image_url(doc))
    put("is_paywalled", *metadata.is_paywalled(doc))
    # The slides are read before the body, which cleans the tree in place (dropping
    # figures and captions).
    gallery = find_gallery(doc)
    paragraphs, source, is_gallery = _body(doc, title, fields["authors"], gallery)
    body = "\n\n".join(paragraphs)[:MAX_BODY_CHARS]
    put("body", body, source)
    put("is_gallery", is_gallery, "html" if is_gallery else None)
    put("word_count", len(body.split()), None)
    if not title and not body:
        raise ExtractError("empty", "no title and no text")
    put("content_hash", content_hash(title, body), None)
    fields["provenance"] = provenance
    return {name: fields.get(name) for name in FIELDS}
