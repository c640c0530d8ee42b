"""Small helpers shared by the demo renderers: slugs, escaping, responses, paging, dates."""

from __future__ import annotations

import base64
import html
import re
import unicodedata
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta, timezone
from email.utils import format_datetime
from functools import lru_cache

# A 1x1 transparent PNG served for every image path on the demo sites.
TINY_PNG = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAQAAAC1HAwCAAAAC0lEQVR42mNkYAAAAAYAAjCB0C8AAAAASUVORK5CYII="
)

US_EASTERN = "America/New_York"
UK = "Europe/London"


@dataclass
class Response:
    """What a demo site answers to one request."""

    status: int
    body: bytes
    content_type: str = "text/html; charset=utf-8"
    headers: dict[str, str] = field(default_factory=dict)


@lru_cache(maxsize=65536)
def fold(text: str) -> str:
    """Lower-case ASCII folding: ``Beyoncé`` → ``beyonce``."""
    if text.isascii():
        return text.lower()
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(c for c in decomposed if not unicodedata.combining(c)).lower()


@lru_cache(maxsize=65536)
def slugify(text: str, *, max_words: int | None = None) -> str:
    """URL slug: lower-case ASCII words joined by hyphens (``Beyoncé`` → ``beyonce``)."""
    text = fold(text).replace("’", "").replace("'", "")
    words = re.findall(r"[a-z0-9]+", text)
    if max_words:
        words = words[:max_words]
    return "-".join(words)


@lru_cache(maxsize=65536)
def title_slug(text: str, *, max_words: int = 14) -> str:
    """Tabloid-style slug that keeps the headline's capitals: ``Lady-Gaga-dazzles``."""
    decomposed = unicodedata.normalize("NFKD", text.replace("’", "").replace("'", ""))
    ascii_text = "".join(c for c in decomposed if not unicodedata.combining(c))
    return "-".join(re.findall(r"[A-Za-z0-9]+", ascii_text)[:max_words])


def esc(text: object) -> str:
    """HTML/XML escape, quotes included."""
    return html.escape(str(text), quote=True)


def cdata(text: str) -> str:
    """Wrap ``text`` in CDATA, splitting any ``]]>`` inside it."""
    return "<![CDATA[" + text.replace("]]>", "]]]]><![CDATA[>") + "]]>"


def html_response(text: str, status: int = 200, *, charset: str = "utf-8") -> Response:
    return Response(status, text.encode(charset), f"text/html; charset={charset}")


def xml_response(text: str, content_type: str = "application/xml; charset=utf-8") -> Response:
    return Response(200, text.encode("utf-8"), content_type)


def text_response(text: str, status: int = 200) -> Response:
    return Response(status, text.encode("utf-8"), "text/plain; charset=utf-8")


def redirect(location: str, status: int = 301) -> Response:
    return Response(status, b"", "text/html; charset=utf-8", {"Location": location})


def page_slice(items: list, page: int, per_page: int) -> tuple[list, int] | None:
    """Items on 1-based ``page`` and the number of pages; None when the page does not exist.

    An empty list still has one (empty) page.
    """
    pages = max(1, -(-len(items) // per_page))
    if page < 1 or page > pages:
        return None
    return items[(page - 1) * per_page : page * per_page], pages


def page_number(value: str | None) -> int | None:
    """Parse a ``page`` query value; None when it is not a positive integer."""
    if value is None:
        return 1
    return int(value) if value.isdigit() and value[0] != "0" else None


# --- dates -----------------------------------------------------------------------------


def _nth_sunday(year: int, month: int, n: int) -> datetime:
    first = datetime(year, month, 1)
    offset = (6 - first.weekday()) % 7
    return first + timedelta(days=offset + 7 * (n - 1))


def _last_sunday(year: int, month: int) -> datetime:
    nxt = datetime(year + (month == 12), month % 12 + 1, 1)
    last = nxt - timedelta(days=1)
    return last - timedelta(days=(last.weekday() + 1) % 7)


@lru_cache(maxsize=64)
def _summer_time(year: int, zone: str) -> tuple[datetime, datetime, timedelta, timedelta]:
    """Local start and end of summer time, and the winter and summer offsets."""
    if zone == US_EASTERN:
        start = _nth_sunday(year, 3, 2).replace(hour=2)
        end = _nth_sunday(year, 11, 1).replace(hour=2)
        return start, end, timedelta(hours=-5), timedelta(hours=-4)
    if zone == UK:
        start = _last_sunday(year, 3).replace(hour=1)
        end = _last_sunday(year, 10).replace(hour=2)
        return start, end, timedelta(0), timedelta(hours=1)
    raise ValueError(f"unknown zone {zone!r}")


def utc_offset(local: datetime, zone: str) -> timedelta:
    """UTC offset of a naive local time in ``zone`` (US Eastern or UK rules, no tzdata)."""
    start, end, winter, summer = _summer_time(local.year, zone)
    return summer if start <= local < end else winter


def zone_abbreviation(moment: datetime, zone: str) -> str:
    """EST/EDT or GMT/BST for an aware time produced by :func:`localize`."""
    offset = moment.utcoffset() or timedelta(0)
    if zone == US_EASTERN:
        return "EDT" if offset == timedelta(hours=-4) else "EST"
    return "BST" if offset == timedelta(hours=1) else "GMT"


def localize(local: datetime, zone: str | None) -> datetime:
    """Attach the zone's offset to a naive local time; ``zone=None`` keeps it naive."""
    if zone is None:
        return local
    return local.replace(tzinfo=_zone(utc_offset(local, zone)))


@lru_cache(maxsize=8)
def _zone(offset: timedelta) -> timezone:
    return timezone(offset)


def parse_local(value: str | datetime) -> datetime:
    """Parse ``YYYY-MM-DD HH:MM[:SS]`` from the content files (datetimes pass through)."""
    return value if isinstance(value, datetime) else datetime.fromisoformat(str(value))


def to_utc(moment: datetime) -> datetime:
    """Aware UTC time; naive times (the legacy site) are taken as UTC for ordering only."""
    if moment.tzinfo is None:
        return moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC)


def rfc822(moment: datetime) -> str:
    """RFC 822 date as used by RSS (``Wed, 04 Mar 2026 09:15:00 -0500``)."""
    return format_datetime(moment if moment.tzinfo else moment.replace(tzinfo=UTC))


def long_date(moment: datetime) -> str:
    """``March 4, 2026``."""
    return f"{moment:%B} {moment.day}, {moment.year}"
