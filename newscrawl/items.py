"""The items that flow through the pipelines.

A crawl yields :class:`Page` items (one per fetched article candidate); the extract
step turns a page into an :class:`Article`; the tag step fills ``Article.mentions``
with :class:`Mention` records. A conditional refetch answered "304 Not Modified" yields
a :class:`NotModified` instead of a page: only the WARC and store steps act on it.
Dataclasses keep the fields typed and documented;
pipelines read and write them through ``ItemAdapter``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass
class Page:
    """A fetched response that may be an article, before any parsing."""

    url: str
    """The final URL of the response (after redirects)."""
    source_id: str
    """Slug of the source (publisher) in sources.yml this page belongs to."""
    status: int
    """HTTP status code of the response."""
    body: bytes
    """The raw response body, already decompressed by Scrapy."""
    headers: dict[str, str] = field(default_factory=dict)
    """Response headers, one value per name (the last one wins)."""
    request_url: str = ""
    """The canonicalised URL that was requested (before redirects)."""
    fetched_at: str = ""
    """When the response arrived, ISO 8601 in UTC."""
    discovery: dict[str, Any] = field(default_factory=dict)
    """Discovery evidence: how the URL was found (``channel``: sitemap / news-sitemap /
    rss / atom / listing / artist-page / url; ``via``: the page it was found on) and what
    the channel said about it (``lastmod``, ``published``, ``title``, ``keywords``,
    ``categories``, ``author``)."""
    warc_file: str | None = None
    """WARC file (relative to the WARC directory) holding the raw response."""
    warc_offset: int | None = None
    """Byte offset of the response record inside ``warc_file``."""
    limits: dict[str, Any] = field(default_factory=dict)
    """The limits of the run that requested the page (``artists``: artist ids, ``since``:
    YYYY-MM-DD), travelling with the request: in Redis mode another worker, with other
    arguments, may fetch it."""


@dataclass
class NotModified:
    """A conditional refetch answered with 304 Not Modified: the archived version of the
    article fetched from ``url`` is still the page (see :mod:`newscrawl.conditional`)."""

    url: str
    """The archived article's URL, which was requested (the validators are its own)."""
    canonical_url: str
    """The archived article's canonical URL."""
    source_id: str
    """Slug of the source (publisher) in sources.yml."""
    headers: dict[str, str] = field(default_factory=dict)
    """The 304 response's headers, one value per name."""
    fetched_at: str = ""
    """When the 304 arrived, ISO 8601 in UTC: the article's new ``fetched_at``."""
    discovery: dict[str, Any] = field(default_factory=dict)
    """Discovery evidence of this refetch (as :attr:`Page.discovery`)."""
    etag: str | None = None
    """The ``ETag`` in force after the answer: the 304's own, else the one sent."""
    last_modified: str | None = None
    """The ``Last-Modified`` in force after the answer: the 304's own, else the one sent."""
    warc_file: str | None = None
    """WARC file holding the ``revisit`` record of the answer."""
    warc_offset: int | None = None
    """Byte offset of that record inside ``warc_file``."""


@dataclass
class Mention:
    """How one article mentions one watched artist."""

    artist: str
    """Canonical name of the artist, as in artists.yml."""
    artist_id: str
    """Slug of the artist (the ``artists.id`` key)."""
    count: int
    """Number of counted mentions in title, description and body."""
    in_title: bool
    """True when the title mentions the artist."""
    first_offset: int | None
    """Character offset of the first mention in the body; None if only in title/description."""
    snippets: list[str] = field(default_factory=list)
    """Up to three short contexts around mentions, for explaining the tag."""
    salience: float = 0.0
    """0..1: how much the article is about the artist (signals — in the title, in the lead, position of the first mention, frequency, share of all mentions, spread over the paragraphs)."""
    spans: dict[str, list[list[int]]] = field(default_factory=dict)
    """Where each counted mention is: field (``title``, ``description``, ``body``) →
    ``[start, end]`` character offsets, in reading order."""


@dataclass
class Article:
    """A clean article record: the ``articles`` table row plus its mentions."""

    url: str
    """The URL the article was fetched from."""
    canonical_url: str
    """The article's canonical URL (``rel=canonical`` when present); the dedupe key."""
    source_id: str
    """Slug of the publisher in sources.yml."""
    title: str | None = None
    """Headline, without a " | Site Name" suffix."""
    description: str | None = None
    """Standfirst / meta description."""
    authors: list[str] = field(default_factory=list)
    """Names of the people credited, in page order."""
    published_at: str | None = None
    """First publication time, ISO 8601 (with UTC offset when the page gives one)."""
    modified_at: str | None = None
    """Last modification time when the page gives one, ISO 8601."""
    section: str | None = None
    """Section or category the publisher files the article under."""
    tags: list[str] = field(default_factory=list)
    """Keywords / tags the publisher gives the article."""
    language: str | None = None
    """Language of the article, BCP 47 (``en``, ``en-US``)."""
    image_url: str | None = None
    """Lead image URL."""
    body: str = ""
    """Plain text, paragraphs separated by a blank line."""
    word_count: int = 0
    """Number of words in ``body``."""
    is_paywalled: bool | None = None
    """True when the page says the article is not free to read, False when it says it is
    free; None when it does not say."""
    is_gallery: bool = False
    """True when the page is a photo gallery: its body is the slides' titles and captions,
    one paragraph each, after any intro."""
    content_hash: str = ""
    """sha256 of the normalised title and body; a change means a new revision."""
    provenance: dict[str, Any] = field(default_factory=dict)
    """Field name → where its value came from (jsonld, opengraph, meta, microdata, feed,
    sitemap, trafilatura, htmldate, url, ...). May hold ``date_conflicts``."""
    fetched_at: str = ""
    """When the page was fetched, ISO 8601 UTC."""
    discovery: dict[str, Any] = field(default_factory=dict)
    """Discovery evidence carried over from the :class:`Page`."""
    warc_file: str | None = None
    """WARC file holding the raw response this record was extracted from."""
    warc_offset: int | None = None
    """Offset of that record inside ``warc_file``."""
    extractor_version: str = ""
    """Version of the extractor that produced the fields (``newscrawl.extract``)."""
    request_url: str = ""
    """The URL the spider requested, before redirects, when it differs from ``url``: the
    ledger's key for the page (not an ``articles`` column)."""
    limits: dict[str, Any] = field(default_factory=dict)
    """The requesting run's limits (:attr:`Page.limits`; not an ``articles`` column)."""
    etag: str | None = None
    """The response's ``ETag`` header: sent back as ``If-None-Match`` on a refetch."""
    last_modified: str | None = None
    """The response's ``Last-Modified`` header: sent back as ``If-Modified-Since``."""
    mentions: list[Mention] = field(default_factory=list)
    """Watched artists the article mentions (filled by the tag step)."""
