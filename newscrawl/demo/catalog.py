"""Ground truth for the demo publishers: :func:`load_catalog`.

The catalogue is built from the content files in ``content/`` (or generated from them in
scaled mode, see :mod:`newscrawl.demo.scale`) and is exactly what the demo server
serves for the same ``edition`` and ``articles``. Tests compare crawls against it.
"""

from __future__ import annotations

import gc
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from functools import lru_cache
from pathlib import Path

import yaml

from newscrawl.demo.common import UK, US_EASTERN, localize, parse_local, utc_offset
from newscrawl.demo.model import DemoArticle, DemoPage, Publisher
from newscrawl.demo.site import Site

DEMO_DIR = Path(__file__).parent
CONTENT_DIR = DEMO_DIR / "content"
ARTISTS_FILE = DEMO_DIR / "artists.yml"
SEED_FILE = CONTENT_DIR / "seed-britney-gaga-duet.txt"

PUBLISHERS: tuple[Publisher, ...] = (
    Publisher("popwire", "PopWire", "wordpress", 0, US_EASTERN, "en-US"),
    Publisher("stagescreen", "Stage & Screen Monthly", "magazine", 1, UK, "en-GB"),
    Publisher("dailygossip", "The Daily Gossip", "tabloid", 2, US_EASTERN, "en"),
    Publisher("showbizbulletin", "Showbiz Bulletin", "legacy", 3, None, None),
)

EDITION_NOW = {
    1: datetime(2026, 11, 2, 12, 0, tzinfo=UTC),
    2: datetime(2026, 11, 23, 12, 0, tzinfo=UTC),
}
"""The moment each edition represents (used for the news sitemap's 48-hour window)."""


@lru_cache(maxsize=8)
def site_class(family: str) -> type[Site]:
    """The :class:`Site` subclass rendering a markup family."""
    from newscrawl.demo import render_legacy, render_magazine, render_tabloid, render_wordpress

    return {
        "wordpress": render_wordpress.WordPressSite,
        "magazine": render_magazine.MagazineSite,
        "tabloid": render_tabloid.TabloidSite,
        "legacy": render_legacy.LegacySite,
    }[family]


@dataclass
class Catalog:
    """Everything the demo sites serve in one edition (optionally scaled)."""

    edition: int
    """1 (default state) or 2 (later state: new, edited and removed articles)."""
    scaled: int | None
    """``articles=N`` of scaled mode, or None for the hand-written corpus."""
    now: datetime
    """The moment the edition represents (UTC)."""
    publishers: tuple[Publisher, ...]
    articles: list[DemoArticle]
    """One record per article URL, all publishers, in publisher then content order."""
    pages: list[DemoPage]
    """Non-article URLs that discovery channels list (to be filtered, not archived)."""
    watchlist: list[str]
    """Canonical names in the demo artists.yml, in file order."""
    sites: dict[str, Site] = field(repr=False, default_factory=dict)
    """The renderers, by publisher id (used by the server)."""

    def publisher(self, source_id: str) -> Publisher:
        return next(p for p in self.publishers if p.id == source_id)

    def for_source(self, source_id: str) -> list[DemoArticle]:
        return [a for a in self.articles if a.source_id == source_id]

    def get(self, source_id: str, path: str) -> DemoArticle | None:
        site = self.sites.get(source_id)
        return site.by_path.get(path) if site else None

    def about(self, artist: str) -> list[DemoArticle]:
        """Articles whose true artists include ``artist`` (canonical name)."""
        return [a for a in self.articles if artist in a.artists]


@lru_cache(maxsize=1)
def load_content() -> dict[str, tuple[dict, ...]]:
    """The hand-written articles of every publisher, as in the content files."""
    return {
        p.id: tuple(yaml.safe_load((CONTENT_DIR / f"{p.id}.yml").read_text("utf-8"))["articles"])
        for p in PUBLISHERS
    }


@lru_cache(maxsize=1)
def load_watchlist() -> tuple[dict, ...]:
    """The demo watchlist entries (``newscrawl/demo/artists.yml``)."""
    return tuple(yaml.safe_load(ARTISTS_FILE.read_text("utf-8"))["artists"])


def seed_article() -> tuple[str, str, list[str]]:
    """The seed (a real article from The Inquisitr): short title, headline, paragraphs."""
    blocks = [b.strip() for b in SEED_FILE.read_text("utf-8").split("\n\n") if b.strip()]
    return blocks[0], blocks[1], blocks[2:]


def paragraphs(text: str) -> list[str]:
    return [" ".join(b.split()) for b in text.split("\n\n") if b.strip()]


def from_utc(moment: datetime, zone: str | None) -> datetime:
    """Naive local time in ``zone`` for an aware time."""
    utc = moment.astimezone(UTC).replace(tzinfo=None)
    if zone is None:
        return utc
    guess = utc + utc_offset(utc - timedelta(hours=5), zone)
    return utc + utc_offset(guess, zone)


def load_catalog(edition: int = 1, articles: int | None = None) -> Catalog:
    """Build the ground truth for ``edition`` (1 or 2); ``articles=N`` for scaled mode,
    where the four publishers serve N generated articles in total (N >= 10)."""
    if edition not in EDITION_NOW:
        raise ValueError(f"edition must be one of {sorted(EDITION_NOW)}, got {edition!r}")
    names = [entry["name"] for entry in load_watchlist()]
    # Bulk construction of many small objects: cyclic GC passes would only slow it down.
    gc_was_enabled = gc.isenabled()
    gc.disable()
    try:
        return _build(edition, articles, names)
    finally:
        if gc_was_enabled:
            gc.enable()


def _build(edition: int, articles: int | None, names: list[str]) -> Catalog:
    if articles is None:
        records = _base_records(edition)
    else:
        from newscrawl.demo.scale import scaled_records

        records = scaled_records(articles, edition, PUBLISHERS, load_content(), site_class)
    catalog = Catalog(edition, articles, EDITION_NOW[edition], PUBLISHERS, [], [], names)
    for publisher in PUBLISHERS:
        own = records[publisher.id]
        site = site_class(publisher.family)(
            publisher, own, now=catalog.now, scaled=articles is not None, watchlist=names
        )
        found: dict[int, set[str]] = {}
        for channel, members in site.channel_members().items():
            for article in members:
                found.setdefault(id(article), set()).add(channel)
        for article in own:
            article.channels = frozenset(found.get(id(article), ()))
        catalog.sites[publisher.id] = site
        catalog.articles.extend(own)
        catalog.pages.extend(site.other_pages())
    return catalog


def make_article(
    publisher: Publisher, raw: dict, number: int, edition: int, *, body: list[str]
) -> DemoArticle:
    """A record from one content entry (hand-written or generated) in ``edition``."""
    cls = site_class(publisher.family)
    published = parse_local(raw["published"])
    title, modified, changes = raw["title"], raw.get("modified"), None
    body = list(body)
    if raw.get("added", 1) > 1 and edition >= raw["added"]:
        changes = "new"
    edit = raw.get("edit")
    if edit and edition >= edit["edition"]:
        changes = "edited"
        title = edit.get("title", title)
        modified = edit["modified"]
        for index, text in (edit.get("replace") or {}).items():
            body[int(index)] = " ".join(text.split())
        body += [" ".join(p.split()) for p in edit.get("append") or ()]
    status = int(raw.get("status", 200))
    if raw.get("removed") and edition >= raw["removed"]:
        status, changes = 410, "removed"
    published_dt = localize(published, publisher.timezone)
    modified_dt = localize(parse_local(modified), publisher.timezone) if modified else None
    if modified_dt is None and cls.always_modified:
        modified_dt = published_dt
    path = cls.article_path(
        slug=raw.get("slug") or cls.slug_for(raw["title"]),
        title=raw["title"],
        published=published,
        number=number,
        kind=raw.get("kind"),
        premium=bool(raw.get("premium")),
    )
    paywalled = bool(raw.get("paywalled")) and status == 200
    if paywalled:
        body = body[: int(raw["paywalled"])]
    ok = status == 200
    extra = {
        k: raw[k]
        for k in ("bullets", "caption", "credit", "pullquote", "kind", "short_title", "seed")
        if k in raw
    }
    extra["number"] = number
    extra["stable"] = ok and not (
        {"added", "removed", "edit", "premium", "paywalled", "syndicated"} & raw.keys()
    )
    return DemoArticle(
        key=f"{publisher.id}/{raw['key']}",
        source_id=publisher.id,
        path=path,
        title=title,
        description=raw.get("description") if cls.shows_description else None,
        authors=list(raw.get("authors") or ()),
        published_at=published_dt.isoformat(),
        modified_at=modified_dt.isoformat() if modified_dt else None,
        section=raw.get("section"),
        tags=list(raw.get("tags") or ()),
        language=publisher.language,
        image=cls.image_path(path, published, number) if ok else None,
        body=body if ok else [],
        artists=frozenset(raw.get("artists") or ()) if ok else frozenset(),
        status=status,
        paywalled=paywalled,
        robots_disallowed=bool(raw.get("premium")),
        syndicated_from=raw.get("syndicated"),
        edition_changes=changes,
        published_dt=published_dt,
        modified_dt=modified_dt,
        extra=extra,
    )


def _base_records(edition: int) -> dict[str, list[DemoArticle]]:
    content = load_content()
    by_id = {p.id: p for p in PUBLISHERS}
    records: dict[str, list[DemoArticle]] = {p.id: [] for p in PUBLISHERS}
    copies = []
    for publisher in PUBLISHERS:
        for number, raw in enumerate(content[publisher.id]):
            if raw.get("added", 1) > edition:
                continue
            if raw.get("seed"):
                short_title, headline, body = seed_article()
                raw = {**raw, "title": headline, "short_title": short_title}
            else:
                body = paragraphs(raw.get("body") or "")
            article = make_article(publisher, raw, number, edition, body=body)
            records[publisher.id].append(article)
            if raw.get("syndicate"):
                copies.append((raw, article, body))
    for index, (raw, original, body) in enumerate(copies):
        target = by_id[raw["syndicate"]["to"]]
        moment = original.published_dt + timedelta(hours=raw["syndicate"].get("delay_hours", 0))
        copy = {
            **{k: v for k, v in raw.items() if k not in ("syndicate", "kind", "pullquote")},
            "key": f"{raw['key']}-syndicated",
            "published": from_utc(moment, target.timezone).isoformat(sep=" "),
            "section": raw["syndicate"].get("section", raw.get("section")),
            "syndicated": (original.source_id, original.path),
        }
        number = len(content[target.id]) + index
        records[target.id].append(make_article(target, copy, number, edition, body=body))
    return records
