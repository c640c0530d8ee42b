"""Small normalisers shared by the field functions: text, URLs, languages, dates."""

from __future__ import annotations

import html
import math
import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta, timezone, tzinfo
from email.utils import parsedate_to_datetime
from urllib.parse import urljoin, urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

_INVISIBLE = ("\u200b", "\u200c", "\u200d", "\u2060", "\ufeff")
# Control characters that are not whitespace to str.split (C0 but for \t\n\v\f\r and
# \x1c-\x1f, DEL, C1 but for NEL): never text, and XML refuses them, so lxml would not
# take a title holding one as an XPath value (a stray "&#x2" in a <title> failed the page).
# Lone surrogates too: no text either, and UTF-8 cannot hold them (an evidence title
# holding one failed the page the same way; other fields kept it, unstorable as UTF-8).
_CONTROL = re.compile(r"[\x00-\x08\x0e-\x1b\x7f-\x84\x86-\x9f\ud800-\udfff]")
_TAG = re.compile(r"<[^>]{0,2000}>")


def words(text: str) -> frozenset[str]:
    """The whitespace-separated words of ``text``: readable constant word sets."""
    return frozenset(text.split())


def fold(text: str | None) -> str:
    """Whitespace (including no-break spaces) folded to single spaces; zero-width and
    control characters and lone surrogates removed."""
    if not text:
        return ""
    if not text.isascii():
        for char in _INVISIBLE:
            if char in text:
                text = text.replace(char, "")
    if _CONTROL.search(text):
        text = _CONTROL.sub("", text)
    return " ".join(text.split())


def clean_text(value: object) -> str:
    """Text from a metadata value: entities decoded, tags removed, whitespace folded.

    Values in JSON-LD and meta tags are often escaped twice (``&amp;#8217;``), so
    entities are decoded until nothing changes (at most three rounds).
    """
    if value is None or isinstance(value, (dict, list, bool)):
        return ""
    text = str(value)
    for _ in range(3):
        if "&" not in text:
            break
        decoded = html.unescape(text)
        if decoded == text:
            break
        text = decoded
    if "<" in text and ">" in text:
        text = _TAG.sub(" ", text)
    return fold(text)


def absolute_url(href: object, base: str) -> str | None:
    """``href`` made absolute against ``base``; None unless it is an http(s) URL."""
    if not isinstance(href, str):
        return None
    href = href.strip()
    if not href or href.startswith(("data:", "javascript:", "#")):
        return None
    try:
        url = urljoin(base, href)
        parts = urlsplit(url)
    except ValueError:
        return None
    if parts.scheme not in ("http", "https") or not parts.netloc:
        return None
    return url


_LANG = re.compile(r"^[a-z]{2,3}(-[a-z0-9]{2,8})*$", re.IGNORECASE)


def normalise_language(value: object) -> str | None:
    """A BCP 47 tag (``en_US`` → ``en-US``, ``EN`` → ``en``) or None when it is not one."""
    text = clean_text(value).replace("_", "-").split(",")[0].split(";")[0].strip()
    if not text or not _LANG.match(text):
        return None
    parts = text.split("-")
    out = [parts[0].lower()]
    for part in parts[1:]:
        if len(part) == 2:
            out.append(part.upper())
        elif len(part) == 4 and part.isalpha():
            out.append(part.title())
        else:
            out.append(part.lower())
    return "-".join(out)


# -- dates --------------------------------------------------------------------------------

EARLIEST_YEAR = 1990

_ISO = re.compile(
    r"^(?P<y>\d{4})[-/.](?P<m>\d{1,2})[-/.](?P<d>\d{1,2})"
    r"(?:[T\s]+(?P<H>\d{1,2}):(?P<M>\d{2})(?::(?P<S>\d{2})(?:[.,](?P<f>\d+))?)?"
    r"(?:\s*(?P<ampm>(?i:[ap]\.?m)\b\.?))?"
    r"\s*(?P<tz>Z|(?:UTC|GMT)(?:\s*[+-]\d{1,2}(?::?\d{2})?)?|[+-]\d{2}:?\d{2}|[+-]\d{2}(?!\d))?)?"
)
_COMPACT = re.compile(
    r"^(?P<y>(?:19|20)\d{2})(?P<m>\d{2})(?P<d>\d{2})(?:T?(?P<H>\d{2})(?P<M>\d{2}))?$"
)
_EPOCH = re.compile(r"^\d{10}(?:\d{3})?$")
# A four-digit year below 100 ("Mon, 01 Jan 0001 00:00:00 UTC", Go's zero time, which
# unset dates of Go-written pages and feeds show): email.utils reads any year under 100
# as a two-digit one and made it 2001. Not a time ("00:30") nor an offset ("-0030").
_YEAR_BEFORE_100 = re.compile(r"(?<![\d+-])00\d{2}(?![\d:])")
_MONTHS = {
    name: index
    for index, names in enumerate(
        [
            ("jan", "january"),
            ("feb", "february"),
            ("mar", "march"),
            ("apr", "april"),
            ("may",),
            ("jun", "june"),
            ("jul", "july"),
            ("aug", "august"),
            ("sep", "sept", "september"),
            ("oct", "october"),
            ("nov", "november"),
            ("dec", "december"),
        ],
        start=1,
    )
    for name in names
}
_MONTH = r"(?P<mon>jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?|sept?(?:ember)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)\.?"
_TIME = r"(?:(?:[\s,]+|\s*[/|·•]\s*)(?:at\s+)?(?P<H>\d{1,2})[:.](?P<M>\d{2})(?::(?P<S>\d{2}))?\s*(?P<ampm>[ap]\.?m\.?)?)?"
_TEXT_DATES = [
    re.compile(_MONTH + r"\s+(?P<d>\d{1,2})(?:st|nd|rd|th)?,?\s+(?P<y>\d{4})" + _TIME, re.I),
    re.compile(
        r"(?P<d>\d{1,2})(?:st|nd|rd|th)?\s+(?:of\s+)?" + _MONTH + r",?\s+(?P<y>\d{4})" + _TIME, re.I
    ),
]
# Zone abbreviations read as the offset they name. Each label means what it says, also
# out of season ("EST" in July is -05:00). Where one label names several zones, the one
# English-language entertainment news means is taken: CST is US Central (not China),
# BST British Summer Time (not Bangladesh). Labels too ambiguous to guess are left out
# and give a time without an offset: IST (India, Ireland or Israel), AST (Atlantic or
# Arabia), ADT.
_TZ_ABBR = {"utc": 0, "gmt": 0, "z": 0, "est": -5, "edt": -4, "cst": -6, "cdt": -5, "mst": -7}
_TZ_ABBR |= {"mdt": -6, "pst": -8, "pdt": -7, "bst": 1, "cet": 1, "cest": 2, "sast": 2}
_TZ_ABBR |= {"wet": 0, "west": 1, "eet": 2, "eest": 3, "aest": 10, "aedt": 11, "jst": 9}
_TZ_ABBR |= {"hst": -10, "akst": -9, "akdt": -8, "nzst": 12, "nzdt": 13, "acst": 9.5}
_TZ_ABBR |= {"acdt": 10.5, "awst": 8, "wat": 1, "eat": 3, "msk": 3, "hkt": 8, "sgt": 8, "kst": 9}
# "ET", "PT"...: US time without saying standard or daylight; the date tells which.
_TZ_REGION = {
    "et": "America/New_York",
    "ct": "America/Chicago",
    "mt": "America/Denver",
    "pt": "America/Los_Angeles",
}
# After a time: "EDT", "GMT+1", "UTC+05:30", "(GMT+02:00)", "-0400". "GMT+1" is an hour
# ahead of GMT, not GMT.
_TZ_AFTER = re.compile(
    r"^\s*\(?(?P<tz>(?:utc|gmt)\s*[+-]\d{1,2}(?::?\d{2})?(?!\d)|[+-]\d{2}:?\d{2}(?!\d)|"
    r"[a-z]{2,4}\b)",
    re.I,
)
_TIME_BEFORE = re.compile(
    r"(?<!\d)(?P<H>\d{1,2}):(?P<M>\d{2})(?::(?P<S>\d{2}))?\s*(?P<ampm>[ap]\.?m\.?)?"
    r"\s*(?P<tz>[a-z]{2,4})?\s*,?\s*(?:on\s+)?$",
    re.I,
)


@dataclass(frozen=True)
class When:
    """A parsed date or date-time; ``value`` is a ``date`` or a (naive or aware) ``datetime``."""

    value: date | datetime

    @property
    def has_time(self) -> bool:
        return isinstance(self.value, datetime)

    @property
    def aware(self) -> bool:
        return isinstance(self.value, datetime) and self.value.tzinfo is not None

    def iso(self) -> str:
        """ISO 8601 text: with the page's offset when it gave one, seconds precision."""
        if isinstance(self.value, datetime):
            return self.value.replace(microsecond=0).isoformat()
        return self.value.isoformat()

    def day(self) -> date:
        return self.value.date() if isinstance(self.value, datetime) else self.value

    def utc(self) -> datetime:
        """The instant for comparisons; naive values and plain dates are read as UTC."""
        if isinstance(self.value, datetime):
            if self.value.tzinfo is None:
                return self.value.replace(tzinfo=UTC)
            return self.value.astimezone(UTC)
        return datetime(self.value.year, self.value.month, self.value.day, 12, tzinfo=UTC)

    def plausible(self, now: datetime | None = None) -> bool:
        """Not before 1990 and not in the future (a day's slack for naive local times)."""
        now = now or datetime.now(UTC)
        if self.day().year < EARLIEST_YEAR:
            return False
        if self.aware:
            return self.utc() <= now + timedelta(minutes=10)
        return self.day() <= (now + timedelta(days=1)).date()


def _offset(text: str | None) -> timezone | None:
    """A numeric offset ("+02:00", "-0400", "+05"), optionally after "UTC" / "GMT"."""
    if not text:
        return None
    text = text.strip()
    if text.upper()[:3] in ("UTC", "GMT"):
        text = text[3:].strip()
    if text.upper() in ("Z", ""):
        return UTC
    sign = -1 if text[0] == "-" else 1
    hours, _, minutes = text[1:].partition(":")
    if not minutes and len(hours) > 2:
        hours, minutes = hours[:-2], hours[-2:]
    hours, minutes = int(hours), int(minutes or 0)
    if hours > 14 or minutes > 59:
        return None
    return timezone(sign * timedelta(hours=hours, minutes=minutes))


def _zone(label: str | None) -> tzinfo | None:
    """The zone a label after a time stands for: an abbreviation of :data:`_TZ_ABBR`, a
    US region of :data:`_TZ_REGION` ("ET": standard or daylight time by the date) or a
    numeric offset; None for unknown or ambiguous labels ("IST")."""
    if not label:
        return None
    hours = _TZ_ABBR.get(label.lower())
    if hours is not None:
        return timezone(timedelta(hours=hours))
    region = _TZ_REGION.get(label.lower())
    if region is not None:
        try:
            return ZoneInfo(region)
        except ZoneInfoNotFoundError:  # no time zone database: say no offset
            return None
    if label[:1] in "+-" or label.upper().startswith(("UTC", "GMT")):
        return _offset(label)
    return None


def _zone_after(text: str) -> tzinfo | None:
    after = _TZ_AFTER.match(text)
    return _zone(after.group("tz")) if after else None


def _build(y, m, d, hh=None, mm=None, ss=None, tz=None) -> When | None:
    try:
        if hh is None:
            return When(date(int(y), int(m), int(d)))
        value = datetime(int(y), int(m), int(d), int(hh), int(mm), int(ss or 0), tzinfo=tz)
    except (ValueError, OverflowError):
        return None
    if tz is not None and not isinstance(tz, timezone):
        # A region ("ET"): keep the offset in force on that day.
        value = value.replace(tzinfo=timezone(value.utcoffset()))
    return _instant(value)


def _instant(value: datetime) -> When | None:
    """``value`` as a :class:`When`, or None when its offset puts it outside the years
    datetime can hold once in UTC ("9999-12-31T23:00-05:00" is year 10000 there): every
    comparison converts to UTC, and such a date made the page fail."""
    if value.tzinfo is not None:
        try:
            value.astimezone(UTC)
        except OverflowError:
            return None
    return When(value)


def _hour(hour: str, ampm: str | None) -> int:
    """The 24-hour clock hour of ``hour`` followed by ``ampm`` ("pm", "a.m.") or nothing."""
    value = int(hour)
    ampm = (ampm or "").replace(".", "").lower()
    if ampm == "pm" and value < 12:
        return value + 12
    if ampm == "am" and value == 12:
        return 0
    return value


def parse_date(value: object) -> When | None:
    """Parse the date formats pages use: ISO 8601 variants, epoch seconds/milliseconds,
    RFC 2822 and "April 28, 2023 3:02 PM" text. None when nothing sensible is found."""
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        if not math.isfinite(value):  # JSON-LD's Infinity, NaN, 1e999
            return None
        value = str(int(value))
    text = clean_text(value)
    if not text or len(text) > 200:
        return None
    match = _ISO.match(text)
    if match:
        g = match.groupdict()
        if g["H"] is None:
            return _build(g["y"], g["m"], g["d"])
        tz = _offset(g["tz"])
        if g["tz"] is None:
            # "2024-03-02 10:00:00 EST": a zone abbreviation after the time.
            tz = _zone_after(text[match.end() :])
        hour = _hour(g["H"], g["ampm"])
        return _build(g["y"], g["m"], g["d"], hour, g["M"], g["S"], tz)
    if _EPOCH.match(text):
        seconds = int(text) / (1000 if len(text) == 13 else 1)
        try:
            return When(datetime.fromtimestamp(seconds, UTC))
        except (OverflowError, OSError, ValueError):
            return None
    match = _COMPACT.match(text)
    if match:
        g = match.groupdict()
        if g["H"] is None:
            return _build(g["y"], g["m"], g["d"])
        return _build(g["y"], g["m"], g["d"], g["H"], g["M"], 0, None)
    rfc_2822 = re.match(r"^[A-Za-z]{3},\s", text) or re.search(
        r"\d{2}:\d{2}(:\d{2})?\s+([+-]\d{4}|GMT)$", text
    )
    if rfc_2822 and not _YEAR_BEFORE_100.search(text):
        try:
            parsed = parsedate_to_datetime(text)
        except (TypeError, ValueError, IndexError):
            parsed = None
        if parsed is not None and parsed.tzinfo is None:
            # email.utils knows only the US zones: "... 14:30:00 BST" came back naive.
            # ("-0000" is RFC 2822 for "zone unknown" and stays naive.)
            label = text.rsplit(None, 1)[-1]
            parsed = parsed.replace(tzinfo=_zone(label) if label.isalpha() else None)
        if parsed is not None:
            return _instant(parsed)
    return parse_text_date(text)


def parse_text_date(text: str) -> When | None:
    """A date written out ("Published April 28, 2023 at 3:02 p.m. EDT") inside ``text``."""
    for pattern in _TEXT_DATES:
        match = pattern.search(text)
        if not match:
            continue
        g = match.groupdict()
        month = _MONTHS.get(g["mon"].lower().rstrip("."))
        if month is None:
            continue
        tz = None
        if g["H"] is None:
            # UK-style datelines put the time first: "Published: 09:31 EDT, 6 May 2025".
            before = _TIME_BEFORE.search(text[: match.start()])
            if before is None:
                return _build(g["y"], month, g["d"])
            g = {**g, **{k: before.group(k) for k in ("H", "M", "S", "ampm")}}
            tz = _zone(before.group("tz"))
        hour = _hour(g["H"], g["ampm"])
        if tz is None:
            tz = _zone_after(text[match.end() :])
        return _build(g["y"], month, g["d"], hour, g["M"], g["S"], tz)
    return None


_NUMERIC = re.compile(
    r"(?<!\d)(?P<a>\d{1,2})[/.-](?P<b>\d{1,2})[/.-](?P<y>(?:19|20)\d{2})(?!\d)"
    r"(?:,?\s+(?:at\s+)?(?P<H>\d{1,2}):(?P<M>\d{2})(?::(?P<S>\d{2}))?\s*(?P<ampm>[ap]\.?m\.?)?)?",
    re.IGNORECASE,
)


def parse_numeric_date(text: str, *, day_first: bool = False) -> When | None:
    """A ``6/3/2025 9:40:00 AM`` style date inside ``text``. The order of day and month
    is read from the numbers when one is over 12, else from the separator (dots are
    written day first: "02.05.2024"), else from ``day_first``."""
    match = _NUMERIC.search(text)
    if not match:
        return None
    g = match.groupdict()
    a, b = int(g["a"]), int(g["b"])
    day_first = day_first or text[match.end("a")] == "."
    if a > 12 or (day_first and b <= 12):
        day, month = a, b
    else:
        month, day = a, b
    if g["H"] is None:
        return _build(g["y"], month, day)
    hour = _hour(g["H"], g["ampm"])
    return _build(g["y"], month, day, hour, g["M"], g["S"], _zone_after(text[match.end() :]))


_URL_DATE = re.compile(r"/((?:19|20)\d{2})[/-](0[1-9]|1[0-2])[/-](0[1-9]|[12]\d|3[01])(?:/|-|$)")


def date_from_url(url: str) -> When | None:
    """The ``/2024/05/02/`` date many publishers put in article paths."""
    match = _URL_DATE.search(urlsplit(url).path if url else "")
    return _build(*match.groups()) if match else None
