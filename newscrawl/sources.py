"""Load and validate ``sources.yml``: the publishers a crawl visits.

A malformed file fails at load time with one line naming the file, the line, the
source id and the field, e.g.::

    sources.yml:14: source 'popwire': field 'max_pages': expected a positive integer, got 'ten'

See docs/sources.md for every key.
"""

from __future__ import annotations

import math
import re
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import yaml

from newscrawl.errors import ConfigError
from newscrawl.plain_yaml import reject_tags
from newscrawl.urls import domain_allowed

_ID = re.compile(r"^[a-z0-9][a-z0-9_-]{0,63}$")


@dataclass(frozen=True)
class Source:
    """One publisher: where to discover its articles and how politely to fetch them."""

    id: str
    """Slug, unique in the file; the ``sources.id`` key in the archive."""
    name: str
    """Human name of the publisher."""
    homepage: str
    """The publisher's home page."""
    allowed_domains: tuple[str, ...]
    """Hosts (``example.com`` also allows subdomains; ``127.0.0.1:8101`` pins a port)."""
    sitemaps: tuple[str, ...] = ()
    """Sitemap or sitemap-index URLs (plain, gzipped, Google News)."""
    feeds: tuple[str, ...] = ()
    """RSS or Atom feed URLs."""
    listings: tuple[str, ...] = ()
    """Listing start pages; their pagination is followed."""
    artist_pages: tuple[str, ...] = ()
    """URL templates with ``{slug}`` and/or ``{query}``, filled for every watched artist."""
    article_url: str | None = None
    """Regular expression an article URL must match (searched, not anchored)."""
    max_pages: int = 1000
    """Most article pages fetched from this source in one crawl."""
    max_listing_pages: int = 50
    """Most pages followed through one listing's pagination."""
    download_delay: float | None = None
    """Seconds between requests to this source (overrides AutoThrottle)."""
    concurrency: int | None = None
    """Parallel requests to this source."""
    enabled: bool = True
    """False keeps the source in the file but out of crawls."""
    conditional_requests: bool = True
    """False: refetch this source's pages in full, never with the archived ETag /
    Last-Modified (for a publisher whose validators stay put when its pages change)."""
    _pattern: Any = field(default=None, compare=False, repr=False)

    def is_article_url(self, url: str) -> bool:
        """True when ``url`` may be an article of this source."""
        if self._pattern is not None and not self._pattern.search(url):
            return False
        return domain_allowed(url, self.allowed_domains)

    def to_dict(self) -> dict[str, Any]:
        """The source as plain data (for the ``sources.config`` column)."""
        data = asdict(self)
        data.pop("_pattern")
        return data


_LIST_FIELDS = ("allowed_domains", "sitemaps", "feeds", "listings", "artist_pages")
_URL_LIST_FIELDS = ("sitemaps", "feeds", "listings", "artist_pages")
_KNOWN = {
    "id",
    "name",
    "homepage",
    "allowed_domains",
    "sitemaps",
    "feeds",
    "listings",
    "artist_pages",
    "article_url",
    "max_pages",
    "max_listing_pages",
    "download_delay",
    "concurrency",
    "enabled",
    "conditional_requests",
}
_REQUIRED = ("id", "name", "homepage", "allowed_domains")


def _is_http_url(value: Any) -> bool:
    return isinstance(value, str) and re.match(r"^https?://[^/\s]+", value) is not None


class _Reader:
    """Validates one source mapping node, raising errors that point at the line."""

    def __init__(self, path: str, node: yaml.MappingNode, index: int) -> None:
        self.path = path
        self.node = node
        self.lines = {k.value: k.start_mark.line + 1 for k, _ in node.value}
        self.data = yaml.constructor.SafeConstructor().construct_document(node)
        self.entry = f"source #{index + 1}"
        if isinstance(self.data.get("id"), str):
            self.entry = f"source '{self.data['id']}'"

    def fail(self, name: str | None, message: str) -> ConfigError:
        line = self.lines.get(name) if name else None
        return ConfigError(
            message,
            path=self.path,
            entry=self.entry,
            field=name,
            line=line or self.node.start_mark.line + 1,
        )

    def read(self) -> Source:
        data = self.data
        for key in data:
            if key not in _KNOWN:
                raise self.fail(str(key), f"unknown key (known: {', '.join(sorted(_KNOWN))})")
        for key in _REQUIRED:
            if data.get(key) in (None, "", []):
                raise self.fail(key, "is required")
        if not isinstance(data["id"], str) or not _ID.match(data["id"]):
            raise self.fail(
                "id", f"expected a slug like 'popwire' (a-z, 0-9, -, _), got {data['id']!r}"
            )
        if not isinstance(data["name"], str):
            raise self.fail("name", f"expected text, got {data['name']!r}")
        if not _is_http_url(data["homepage"]):
            raise self.fail("homepage", f"expected an http(s) URL, got {data['homepage']!r}")
        values: dict[str, Any] = {
            "id": data["id"],
            "name": data["name"],
            "homepage": data["homepage"],
        }
        for key in _LIST_FIELDS:
            raw = data.get(key, [])
            if isinstance(raw, str):
                raw = [raw]
            if not isinstance(raw, list) or not all(isinstance(v, str) and v for v in raw):
                raise self.fail(key, f"expected a list of text, got {raw!r}")
            values[key] = tuple(raw)
        for key in _URL_LIST_FIELDS:
            for url in values[key]:
                if not _is_http_url(url):
                    raise self.fail(key, f"expected http(s) URLs, got {url!r}")
                if key != "artist_pages" and not domain_allowed(url, values["allowed_domains"]):
                    raise self.fail(
                        key, f"{url} is not on allowed_domains {list(values['allowed_domains'])}"
                    )
        for template in values["artist_pages"]:
            if "{slug}" not in template and "{query}" not in template:
                raise self.fail(
                    "artist_pages", f"template {template!r} has neither {{slug}} nor {{query}}"
                )
            try:
                filled = template.format(slug="x", query="x")
            except (KeyError, IndexError, ValueError):
                raise self.fail(
                    "artist_pages", f"template {template!r} may only use {{slug}} and {{query}}"
                ) from None
            if not domain_allowed(filled, values["allowed_domains"]):
                raise self.fail("artist_pages", f"{template} is not on allowed_domains")
        pattern = None
        if data.get("article_url") is not None:
            if not isinstance(data["article_url"], str):
                raise self.fail(
                    "article_url", f"expected a regular expression, got {data['article_url']!r}"
                )
            try:
                pattern = re.compile(data["article_url"])
            except re.error as error:
                raise self.fail("article_url", f"invalid regular expression: {error}") from None
            values["article_url"] = data["article_url"]
        for key in ("max_pages", "max_listing_pages", "concurrency"):
            if key in data and data[key] is not None:
                value = data[key]
                if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                    raise self.fail(key, f"expected a positive integer, got {value!r}")
                values[key] = value
        if data.get("download_delay") is not None:
            value = data["download_delay"]
            if (
                isinstance(value, bool)
                or not isinstance(value, int | float)
                or not math.isfinite(value)
                or value < 0
            ):
                raise self.fail(
                    "download_delay", f"expected seconds (a finite number >= 0), got {value!r}"
                )
            values["download_delay"] = float(value)
        for name in ("enabled", "conditional_requests"):
            if name in data:
                if not isinstance(data[name], bool):
                    raise self.fail(name, f"expected true or false, got {data[name]!r}")
                values[name] = data[name]
        if not any(values[k] for k in _URL_LIST_FIELDS):
            raise self.fail(
                None, "has no sitemaps, feeds, listings or artist_pages to discover articles from"
            )
        return Source(**values, _pattern=pattern)


def parse_sources(text: str, *, path: str = "<sources>") -> list[Source]:
    """Parse and validate the text of a sources.yml file."""
    try:
        root = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        line = mark.line + 1 if mark else None
        problem = getattr(error, "problem", None) or str(error)
        raise ConfigError(f"not valid YAML: {problem}", path=path, line=line) from None
    except RecursionError:
        raise ConfigError("not valid YAML: nested too deeply", path=path) from None
    if root is None:
        raise ConfigError("is empty; expected a 'sources:' list", path=path)
    reject_tags(root, path)
    if not isinstance(root, yaml.MappingNode):
        raise ConfigError("expected a mapping with a 'sources:' list", path=path, line=1)
    top = {k.value: (k, v) for k, v in root.value}
    for key, (knode, _) in top.items():
        if key != "sources":
            raise ConfigError(
                f"unknown top-level key {key!r} (expected 'sources')",
                path=path,
                line=knode.start_mark.line + 1,
            )
    if "sources" not in top:
        raise ConfigError("has no 'sources:' list", path=path, line=1)
    knode, seq = top["sources"]
    if not isinstance(seq, yaml.SequenceNode) or not seq.value:
        raise ConfigError(
            "'sources' must be a non-empty list", path=path, line=knode.start_mark.line + 1
        )
    sources: list[Source] = []
    seen: dict[str, int] = {}
    for index, item in enumerate(seq.value):
        if not isinstance(item, yaml.MappingNode):
            raise ConfigError(
                "expected a mapping with id, name, homepage, allowed_domains",
                path=path,
                entry=f"source #{index + 1}",
                line=item.start_mark.line + 1,
            )
        source = _Reader(path, item, index).read()
        if source.id in seen:
            raise ConfigError(
                f"duplicate id (first defined on line {seen[source.id]})",
                path=path,
                entry=f"source '{source.id}'",
                field="id",
                line=item.start_mark.line + 1,
            )
        seen[source.id] = item.start_mark.line + 1
        sources.append(source)
    return sources


def load_sources(path: str | Path) -> list[Source]:
    """Load and validate a sources.yml file; raises :class:`ConfigError` naming file, source and field."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError("file not found", path=str(path)) from None
    except (OSError, UnicodeDecodeError) as error:
        raise ConfigError(f"cannot read: {error}", path=str(path)) from None
    return parse_sources(text, path=str(path))


def select_sources(
    sources: list[Source], ids: list[str] | None, *, path: str = "sources.yml"
) -> list[Source]:
    """The enabled sources, or exactly those named in ``ids`` (unknown ids are an error)."""
    if not ids:
        return [s for s in sources if s.enabled]
    by_id = {s.id: s for s in sources}
    unknown = [i for i in ids if i not in by_id]
    if unknown:
        raise ConfigError(
            f"unknown source id(s) {', '.join(unknown)} (known: {', '.join(sorted(by_id))})",
            path=path,
            field="sources",
        )
    return [by_id[i] for i in ids]


def _domains_overlap(first: str, second: str) -> bool:
    """True when a host may be on both ``allowed_domains`` entries (one is the other or
    a subdomain of it, on the same port or any)."""
    host_a, _, port_a = first.lower().partition(":")
    host_b, _, port_b = second.lower().partition(":")
    if port_a and port_b and port_a != port_b:
        return False
    return host_a == host_b or host_a.endswith("." + host_b) or host_b.endswith("." + host_a)


def download_slots(sources: list[Source]) -> tuple[dict[str, str], dict[str, dict[str, Any]]]:
    """The download slot of each source, and the politeness settings of each slot.

    A source has a slot of its own (named by its id), except that sources whose
    ``allowed_domains`` overlap (two sections of one site) share one, named by their ids
    joined with ``+``, so the site sees their requests as one publisher's: the largest
    ``download_delay`` and the smallest ``concurrency`` any of them sets, and one
    robots.txt ``Crawl-delay``. Returns (source id -> slot name, slot name -> its
    ``DOWNLOAD_SLOTS`` entry, for slots with an override).
    """
    group = {source.id: source.id for source in sources}

    def root(source_id: str) -> str:
        while group[source_id] != source_id:
            source_id = group[source_id]
        return source_id

    for i, first in enumerate(sources):
        for second in sources[i + 1 :]:
            if any(
                _domains_overlap(a, b)
                for a in first.allowed_domains
                for b in second.allowed_domains
            ):
                group[root(second.id)] = root(first.id)
    members: dict[str, list[Source]] = {}
    for source in sources:
        members.setdefault(root(source.id), []).append(source)
    slot_of: dict[str, str] = {}
    slots: dict[str, dict[str, Any]] = {}
    for together in members.values():
        name = "+".join(source.id for source in together)
        for source in together:
            slot_of[source.id] = name
        slot: dict[str, Any] = {}
        delays = [s.download_delay for s in together if s.download_delay is not None]
        if delays:
            slot["delay"] = max(delays)
        limits = [s.concurrency for s in together if s.concurrency is not None]
        if limits:
            slot["concurrency"] = min(limits)
        if slot:
            slots[name] = slot
    return slot_of, slots
