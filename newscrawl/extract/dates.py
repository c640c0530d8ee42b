"""Publication and modification dates.

Layers, first plausible value wins: JSON-LD, microdata, meta tags (OpenGraph article,
Parse.ly, Sailthru, Dublin Core, citation), ``<time datetime>`` elements, the
discovery channel's evidence, a date in the URL path, a relative date near the
headline ("3 hours ago", resolved against the fetch time; see
:mod:`newscrawl.extract.relative`), and htmldate (slow; only when nothing else gave a
date). Implausible dates (before 1990, in the future) are
dropped and the next layer is tried. Structured sources that disagree with the kept
date by more than a day are reported as ``date_conflicts``.
"""

from __future__ import annotations

import re
import warnings
from datetime import UTC, datetime, timedelta
from typing import Any

from newscrawl.extract.document import Document
from newscrawl.extract.normalize import (
    When,
    date_from_url,
    parse_date,
    parse_numeric_date,
    parse_text_date,
)
from newscrawl.extract.relative import relative_date

PUBLISHED_META = (
    "article:published_time",
    "og:article:published_time",
    "article:published",
    "og:published_time",
    "published_time",
    "article.published",
    "datepublished",
    "date_published",
    "publish-date",
    "publish_date",
    "publishdate",
    "pubdate",
    "parsely-pub-date",
    "sailthru.date",
    "dc.date.issued",
    "dc.date.created",
    "dc.date",
    "dcterms.issued",
    "dcterms.created",
    "dcterms.date",
    "citation_publication_date",
    "citation_online_date",
    "citation_date",
    "article_date_original",
    "original-publish-date",
    "cxenseparse:recs:publishtime",
    "date",
)
MODIFIED_META = (
    "article:modified_time",
    "og:article:modified_time",
    "article:modified",
    "og:updated_time",
    "modified_time",
    "article.updated",
    "datemodified",
    "date_modified",
    "last-modified",
    "lastmod",
    "dc.date.modified",
    "dcterms.modified",
    "sailthru.lastmodified",
)
CONFLICT_DAYS = 1
_STRUCTURED = ("jsonld", "microdata", "meta", "opengraph", "time")


def _candidates(doc: Document, *, modified: bool) -> list[tuple[When, str]]:
    """Parsed (value, source) pairs in layer order, implausible values left out."""
    raw: list[tuple[Any, str]] = []
    keys = ("dateModified",) if modified else ("datePublished", "dateCreated")
    for key in keys:
        raw.append((doc.ld(key, pages=True), "jsonld"))
    for key in ("datemodified",) if modified else ("datepublished", "datecreated"):
        raw.append((doc.microdata.first(key), "microdata"))
    for key in MODIFIED_META if modified else PUBLISHED_META:
        for value in doc.meta.get(key, ())[:1]:
            raw.append((value, "opengraph" if key.startswith(("og:", "article:")) else "meta"))
    raw.extend((value, "time") for value in _time_elements(doc, modified=modified))
    channel = doc.evidence_source
    raw.append((doc.evidence.get("lastmod" if modified else "published"), channel))
    if modified:
        raw.append((doc.evidence.get("updated"), channel))
    now = judged_at(doc)
    out = []
    for value, source in raw:
        if isinstance(value, list):
            value = value[0] if value else None
        parsed = parse_date(value) if value not in (None, "") else None
        if parsed is not None and parsed.plausible(now):
            out.append((parsed, source))
    if not any(source in _STRUCTURED for _, source in out):
        # Nothing marked up: read a dateline in the text, before the evidence.
        found = _dateline(doc, modified=modified)
        if found is not None and found.plausible(now):
            out.insert(0, (found, "dateline"))
    return out


def judged_at(doc: Document) -> datetime:
    """The moment a date must not be later than: when the page was fetched, if known (so
    that re-extracting its WARC record years later keeps or refuses the same dates as
    the crawl did), else now."""
    return doc.fetched_at.astimezone(UTC) if doc.fetched_at is not None else datetime.now(UTC)


def _time_elements(doc: Document, *, modified: bool) -> list[str]:
    """``datetime`` attributes of ``<time>`` elements that mark the article's dates: those
    named for it (``pubdate``, ``class="published"``...), else the first one after the
    headline."""
    marked, plain = [], []
    words = ("modif", "updat") if modified else ("publish", "posted", "pubdate", "created")
    start = doc.headline_position()
    # AMP pages show dates with <amp-timeago datetime=...>, whose text is relative.
    for element in doc.tree.iter("time", "amp-timeago"):
        value = element.get("datetime") or ""
        if not value.strip():
            continue
        hint = " ".join(
            (element.get(a) or "") for a in ("class", "id", "itemprop", "data-testid")
        ).lower()
        parent = element.getparent()
        if parent is not None:
            hint += " " + (parent.get("class") or "").lower()
        if element.get("pubdate") is not None and not modified:
            marked.insert(0, value)
        elif any(word in hint for word in words):
            marked.append(value)
        elif not modified:
            plain.append((doc.order.get(element, -1) < start, value))
    plain.sort(key=lambda item: item[0])  # after the headline first, in page order
    return marked + [value for _, value in plain[:1]]


_PUBLISHED_LABEL = re.compile(r"\b(?:posted|published|first published|date|on)\b\s*:?", re.I)
_MODIFIED_LABEL = re.compile(r"\b(?:updated|modified|last updated|edited)\b\s*:?", re.I)
_DIGIT = re.compile(r"\d")
# Regions that write the day first; English pages elsewhere are read month first.
_MONTH_FIRST = ("en-US", "en", "")


def _day_first(doc: Document) -> bool:
    lang = (doc.tree.get("lang") or "").replace("_", "-")
    if not lang:
        locale = doc.meta.get("og:locale")
        lang = locale[0].replace("_", "-") if locale else ""
    return lang not in _MONTH_FIRST and not lang.lower().startswith("en-us")


def _dateline(doc: Document, *, modified: bool) -> When | None:
    """A date written in the page's text near the headline ("Posted: 6/3/2025 9:40 AM",
    "Published 2 May 2024"), for pages without markup for it."""
    label = _MODIFIED_LABEL if modified else _PUBLISHED_LABEL
    lines = doc.short_lines
    start = doc.headline_position()
    day_first = _day_first(doc)
    other = _PUBLISHED_LABEL if modified else _MODIFIED_LABEL
    for _, line in sorted(lines, key=lambda item: (item[0] < start, item[0]))[:400]:
        if len(line) > 160 or not _DIGIT.search(line):
            continue
        for match in label.finditer(line):
            # "Updated on May 3": "on" is not a publication label there.
            if not modified and _UPDATED_BEFORE.search(line[: match.start()]):
                continue
            rest = line[match.end() :]
            # "Updated 5 mins ago · Published May 2": each label reads its own date.
            following = other.search(rest)
            if following and not (modified and following.group(0).strip().lower() == "on"):
                rest = rest[: following.start()]
            found = (
                parse_numeric_date(rest, day_first=day_first)
                or parse_text_date(rest)
                or _iso_in(rest)
            )
            if found is not None:
                return found
    return None


_UPDATED_BEFORE = re.compile(r"\b(?:updated|modified|edited)\s*:?\s*$", re.I)
_ISO_IN_TEXT = re.compile(r"(?<!\d)(?:19|20)\d{2}-\d{2}-\d{2}\b")


def _iso_in(text: str) -> When | None:
    """An ISO date written in the text ("Posted on 2024-05-02 10:00 PDT")."""
    match = _ISO_IN_TEXT.search(text)
    return parse_date(text[match.start() :]) if match else None


def _htmldate(doc: Document) -> When | None:
    try:
        from htmldate import find_date
    except ImportError:  # pragma: no cover - htmldate is a dependency
        return None
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            found = find_date(
                doc.text[:2_000_000],
                url=doc.url,
                original_date=True,
                extensive_search=False,
                outputformat="%Y-%m-%dT%H:%M:%S%z",
                # Its own "not in the future" limit: the fetch time too, not today.
                max_date=judged_at(doc).replace(tzinfo=None) + timedelta(days=1),
            )
    except Exception:  # noqa: BLE001 - a fallback must not break extraction
        return None
    parsed = parse_date(found) if found else None
    if parsed is not None and isinstance(parsed.value, datetime) and found.endswith("T00:00:00"):
        parsed = When(parsed.value.date())
    return parsed if parsed is not None and parsed.plausible(judged_at(doc)) else None


def published_at(doc: Document) -> tuple[str | None, str | None, list[dict[str, str]]]:
    """``(ISO date, source, conflicts)`` for the first publication."""
    candidates = _candidates(doc, modified=False)
    if not candidates:
        from_url = date_from_url(doc.url)
        if from_url is not None and from_url.plausible(judged_at(doc)):
            return from_url.iso(), "url", []
        relative = relative_date(doc, modified=False)
        if relative is not None:
            return relative.iso(), "relative", []
        found = _htmldate(doc) if doc.worth_fallbacks else None
        return (found.iso(), "htmldate", []) if found else (None, None, [])
    kept, source = candidates[0]
    # The same moment said more precisely elsewhere: a date alone and a time on that
    # day, or a naive time and an aware one on the same wall clock.
    for other, other_source in candidates[1:]:
        if not kept.has_time and other.has_time and other.day() == kept.day():
            kept, source = other, other_source
        same_clock = other.aware and other.value.replace(tzinfo=None) == kept.value
        if kept.has_time and not kept.aware and same_clock:
            kept, source = other, other_source
            break
    conflicts = []
    seen = set()
    for other, other_source in candidates:
        if other_source not in _STRUCTURED or other_source in seen:
            continue
        if abs(other.utc() - kept.utc()) > timedelta(days=CONFLICT_DAYS):
            seen.add(other_source)
            conflicts.append(
                {
                    "field": "published_at",
                    "kept": kept.iso(),
                    "kept_from": source,
                    "other": other.iso(),
                    "other_from": other_source,
                }
            )
    return kept.iso(), source, conflicts


def modified_at(doc: Document, published: str | None) -> tuple[str | None, str | None]:
    """``(ISO date, source)`` of the last modification; never before publication."""
    first = parse_date(published) if published else None
    for value, source in _candidates(doc, modified=True):
        if first is not None and value.utc() < first.utc() - timedelta(days=CONFLICT_DAYS):
            continue
        return value.iso(), source
    relative = relative_date(doc, modified=True)
    if relative is not None and (
        first is None or relative.utc() >= first.utc() - timedelta(days=CONFLICT_DAYS)
    ):
        return relative.iso(), "relative"
    return None, None
