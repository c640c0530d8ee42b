"""The demo catalogue's record types: publishers, article pages and other listed pages.

These are the ground truth that tests, benchmarks and the spider's authors compare a
crawl against. Every field is documented; see also ``newscrawl/demo/README.md``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

CHANNELS = ("sitemap", "news-sitemap", "rss", "atom", "listing", "artist-page")
"""Discovery channel names, as in ``Page.discovery['channel']`` (newscrawl/items.py)."""


@dataclass(frozen=True)
class Publisher:
    """One demo publisher: a site of its own, on its own port."""

    id: str
    """Slug; the ``id`` in the emitted sources.yml."""
    name: str
    """Human name, e.g. ``PopWire``."""
    family: str
    """Markup family: ``wordpress``, ``magazine``, ``tabloid`` or ``legacy``."""
    port_offset: int
    """Served on base port + this offset (each publisher has its own host:port)."""
    timezone: str | None
    """Zone of the times the site prints (``America/New_York``, ``Europe/London``), or
    None when it prints naive local times."""
    language: str | None
    """Language the pages declare (``<html lang>``, JSON-LD ``inLanguage``), or None."""


@dataclass(slots=True, eq=False)
class DemoArticle:
    """One article URL of a demo publisher, with what a careful human reader of the
    served page would record. Non-200 URLs (404, 410, 500) are records too."""

    key: str
    """Stable identifier, ``source_id/content-key`` (scaled: ``source_id/g<n>``)."""
    source_id: str
    """Publisher id."""
    path: str
    """URL path including the query (``/story.asp?id=2310``); join with the publisher's
    base URL (see :meth:`url`). For the legacy site this is the clean, canonical form;
    listings link to it with tracking parameters added."""
    title: str
    """Headline as displayed (no `` | Site`` suffix). For 404/500 stubs: the link text."""
    description: str | None
    """Standfirst / meta description, or None when the page has none."""
    authors: list[str]
    """Credited people in page order, normal capitalisation (the tabloid prints them in
    capitals: ``By KAYLA BRENNAN For The Daily Gossip`` → ``["Kayla Brennan"]``)."""
    published_at: str | None
    """First publication, ISO 8601 with UTC offset when the page gives one (legacy: naive)."""
    modified_at: str | None
    """Last modification as the page states it, or None when it states none."""
    section: str | None
    """Section/category the publisher files it under."""
    tags: list[str]
    """Publisher tags/keywords (watched artists appear under their canonical names,
    except where a page spells one differently, e.g. the tabloid's ``Beyonce``)."""
    language: str | None
    """Language the page declares, or None."""
    image: str | None
    """Lead image path on the same site (served as a tiny PNG), or None."""
    body: list[str]
    """The article's paragraphs as served, without captions, ads, related links,
    pull quotes, newsletter or share boxes. Paywalled: only the served teaser.
    Empty for non-200 records."""
    artists: frozenset[str]
    """Canonical watchlist names the served text is about or mentions (title,
    description, body) as a careful reader would tag it; empty for non-200 records."""
    status: int
    """HTTP status the URL answers with: 200, 404 (dead link), 410 (removed in a later
    edition) or 500 (always, even on retry)."""
    paywalled: bool = False
    """True when the page marks the article as not free (JSON-LD
    ``isAccessibleForFree: false`` + ``hasPart`` cssSelector) and serves a teaser."""
    robots_disallowed: bool = False
    """True when the publisher's robots.txt disallows the URL: a polite crawler skips it."""
    syndicated_from: tuple[str, str] | None = None
    """``(source_id, path)`` of the original when this page is a syndicated copy; the
    copy's ``rel=canonical`` points at the original's URL."""
    channels: frozenset[str] = frozenset()
    """Discovery channels whose pages list this URL, following the emitted sources.yml:
    ``sitemap`` (sitemap index and its children), ``news-sitemap``, ``rss``, ``atom``,
    ``listing`` (listing start pages + pagination), ``artist-page`` (artist_pages
    templates filled for every watched artist, + pagination)."""
    edition_changes: str | None = None
    """Relative to edition 1: ``new``, ``edited``, ``removed`` or None (unchanged)."""
    published_dt: datetime | None = field(default=None, repr=False)
    """``published_at`` as a datetime (aware unless the site prints naive times)."""
    modified_dt: datetime | None = field(default=None, repr=False)
    """``modified_at`` as a datetime, or None."""
    extra: dict[str, Any] = field(default_factory=dict, repr=False)
    """Family-specific rendering details (tabloid bullets and caption, magazine kind and
    pull quote, WordPress post id, legacy story id...). Not ground truth."""

    @property
    def canonical(self) -> tuple[str, str]:
        """``(source_id, path)`` of the URL the page declares canonical."""
        return self.syndicated_from or (self.source_id, self.path)

    @property
    def word_count(self) -> int:
        """Words in :attr:`body`."""
        return sum(len(p.split()) for p in self.body)

    @property
    def archivable(self) -> bool:
        """True when a polite crawl should end with this article archived: it answers
        200, robots.txt allows it, and at least one discovery channel lists it."""
        return self.status == 200 and not self.robots_disallowed and bool(self.channels)

    def url(self, base_urls: dict[str, str]) -> str:
        """Absolute URL given ``DemoSites.base_urls`` (``{source_id: "http://host:port/"}``)."""
        return base_urls[self.source_id].rstrip("/") + self.path

    def canonical_url(self, base_urls: dict[str, str]) -> str:
        """Absolute URL of :attr:`canonical`."""
        source_id, path = self.canonical
        return base_urls[source_id].rstrip("/") + path

    @property
    def lastmod_dt(self) -> datetime | None:
        """Modification time, falling back to publication time."""
        return self.modified_dt or self.published_dt


@dataclass(frozen=True)
class DemoPage:
    """A non-article URL that a discovery channel lists (e.g. ``/about/`` in a page
    sitemap, a ``/video/...`` page in the tabloid sitemap): it should be filtered by the
    source's ``article_url`` pattern, never archived."""

    source_id: str
    path: str
    kind: str
    """``page`` (static page) or ``video``."""
    channels: frozenset[str]
