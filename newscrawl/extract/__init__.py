"""HTML → article fields, layered, with per-field provenance.

>>> fields = extract_article(html_bytes, "https://example.com/news/1")  # doctest: +SKIP

Pure: bytes and a URL in, a dict out; no network, no crawler. Structured data comes
first (JSON-LD, microdata, OpenGraph / article meta tags), then what the page shows
(``<h1>``, bylines, ``<time>``, the main text block), then trafilatura / htmldate /
the URL / the discovery evidence as fallbacks. ``provenance`` says which layer gave
each field. :class:`ExtractError` is the only exception raised, with a short
``reason``: ``too_large``, ``not_html``, ``empty``, ``bad_url`` or ``failed``.

Provenance labels: ``jsonld``, ``microdata``, ``opengraph`` (``og:*`` and
``article:*``), ``meta`` (other meta tags), ``html`` (``<h1>``, ``<title>``, a paywall's prompt,
``<html lang>``, ``rel=canonical``, the main text block, the first picture), ``byline``,
``time`` (``<time datetime>``), ``dateline`` (a date written in the text),
``relative`` ("3 hours ago" near the headline, counted back from the fetch time),
``breadcrumb``, ``http`` (Content-Language), ``feed`` / ``sitemap`` (discovery
evidence), ``url`` (a date in the path, or the page URL as canonical), ``trafilatura``,
``htmldate``. ``provenance["date_conflicts"]`` lists structured dates that disagree with
the kept publication date by more than a day.

Pages between ``max_bytes`` and twice that are truncated at ``max_bytes`` (the
article text is near the top of the HTML; the rest is usually inline state and
scripts) and ``provenance["truncated"]`` is set; larger pages are ``too_large``, and
so are trees of more than 250,000 elements.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from newscrawl.extract.errors import ExtractError

EXTRACTOR_VERSION = "1.0.30"
"""Bumped whenever the output for some page changes; stored with each article."""

FIELDS = (
    "url",
    "canonical_url",
    "title",
    "description",
    "authors",
    "published_at",
    "modified_at",
    "section",
    "tags",
    "language",
    "image_url",
    "body",
    "word_count",
    "is_paywalled",
    "is_gallery",
    "content_hash",
    "provenance",
)
MAX_BYTES = 5_000_000

__all__ = ["EXTRACTOR_VERSION", "FIELDS", "ExtractError", "content_hash", "extract_article"]


def content_hash(title: str | None, body: str | None) -> str:
    """sha256 hex of the whitespace-folded title and body, joined by a newline.

    Folding is ``" ".join(text.split())``: the same text as replacing every ``\\s+`` run
    with a space and stripping (``str.split`` and ``\\s`` agree on what whitespace is;
    tests/test_extract_robustness.py checks it), at a quarter of the regex's cost."""
    text = " ".join((title or "").split()) + "\n" + " ".join((body or "").split())
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def extract_article(
    html: bytes,
    url: str,
    *,
    headers: Mapping[str, str] | None = None,
    evidence: Mapping[str, Any] | None = None,
    max_bytes: int = MAX_BYTES,
    fetched_at: str | datetime | None = None,
) -> dict[str, Any]:
    """Extract the article fields (see :data:`FIELDS`) from one page.

    ``headers`` are the response headers (the Content-Type charset is used to decode);
    ``evidence`` is what the discovery channel said about the URL (``published``,
    ``lastmod``, ``title``, ``keywords``, ``categories``, ``author``, ``channel``),
    used only where the page itself is silent. ``fetched_at`` (ISO 8601 or a datetime;
    naive is UTC) is when the page was fetched: relative dates ("3 hours ago") count
    back from it, and without it they are not read.
    """
    try:
        from newscrawl.extract.pipeline import extract

        return extract(
            html,
            url,
            headers=headers,
            evidence=evidence,
            max_bytes=max_bytes,
            fetched_at=fetched_at,
        )
    except ExtractError:
        raise
    except RecursionError:
        raise ExtractError("failed", "document nested too deeply") from None
    except MemoryError:
        raise ExtractError("failed", "out of memory") from None
    except Exception as error:  # noqa: BLE001 - the contract is: only ExtractError escapes
        raise ExtractError("failed", f"{type(error).__name__}: {error}"[:300]) from None
