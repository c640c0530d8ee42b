"""Relative dates written next to the headline: "3 hours ago", "Yesterday at 5:10 PM",
"2 days ago", "just now".

Such a date only means something against the moment the page was fetched, so it is
resolved against :attr:`Document.fetched_at` (the crawl's fetch time, or the WARC
record's date when an archive is re-extracted), never against the clock at extraction
time: re-extracting a page later gives the same date. Without a fetch time nothing is
read. It is the last layer before htmldate: any absolute date the page or its URL
gives is preferred.

Precision follows the words: minutes and hours give a UTC time to the minute; days and
weeks give a date; "Yesterday at 5:10 PM" gives that clock time without an offset (the
page does not say its zone) on the day before the fetch (in UTC); months and years are
too coarse to be worth recording and are not read.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta

from newscrawl.extract.document import Document
from newscrawl.extract.normalize import When

# Only a line near the headline is the article's dateline: further down, "2 hours ago"
# is more likely a comment's or a related story's.
NEAR_HEADLINE = 80

_UNITS = {
    "s": "seconds",
    "sec": "seconds",
    "secs": "seconds",
    "second": "seconds",
    "seconds": "seconds",
    "m": "minutes",
    "min": "minutes",
    "mins": "minutes",
    "minute": "minutes",
    "minutes": "minutes",
    "h": "hours",
    "hr": "hours",
    "hrs": "hours",
    "hour": "hours",
    "hours": "hours",
    "d": "days",
    "day": "days",
    "days": "days",
    "w": "weeks",
    "wk": "weeks",
    "wks": "weeks",
    "week": "weeks",
    "weeks": "weeks",
}
_AGO = (
    r"(?P<n>\d{1,3}|an?|one)\s*(?P<unit>"
    + "|".join(sorted(_UNITS, key=len, reverse=True))
    + r")\.?\s+ago"
)
_DAY_AT = (
    r"(?P<day>yesterday|today)[\s,]+(?:at\s+)?(?P<H>\d{1,2})[:.](?P<M>\d{2})"
    r"\s*(?P<ampm>[ap]\.?m\.?)?"
)
_NOW = r"(?P<now>just now|moments? ago)"
# The phrase must be a whole part of the line ("By Jane Doe · 3 hours ago", "Updated:
# 2 days ago"), so a sentence that says "two days ago" is not a dateline.
_LABEL = (
    r"(?:(?P<label>first published|published|posted|last updated|updated|modified|edited)\s*:?\s*)?"
)
_RELATIVE = re.compile(
    r"^\s*" + _LABEL + r"(?:on\s+)?(?:" + _AGO + "|" + _DAY_AT + "|" + _NOW + r")\s*\.?\s*$",
    re.IGNORECASE,
)
_PARTS = re.compile(r"\s*(?:\||•|·|—|–|\s-\s)\s*")
_MODIFIED = ("updated", "last updated", "modified", "edited")


def fetch_time(value: str | datetime | None) -> datetime | None:
    """An aware UTC fetch time from an ISO 8601 string or a datetime (naive is UTC);
    None when there is none or it is not a time."""
    if isinstance(value, str):
        try:
            value = datetime.fromisoformat(value.strip())
        except ValueError:
            return None
    if not isinstance(value, datetime):
        return None
    try:
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
    except OverflowError:  # "9999-12-31T23:00-05:00" is past year 9999 in UTC
        return None


def resolve(text: str, fetched_at: datetime) -> tuple[When, bool] | None:
    """``(date, is_modification)`` for a relative date that is the whole of ``text``
    (after an optional "Published" / "Updated" label); None when it is not one."""
    match = _RELATIVE.match(text)
    if not match:
        return None
    g = match.groupdict()
    modified = (g["label"] or "").lower() in _MODIFIED
    fetched = fetched_at.astimezone(UTC)
    if g["now"]:
        return When(fetched.replace(second=0, microsecond=0)), modified
    if g["day"]:
        day = fetched.date() - timedelta(days=1 if g["day"].lower() == "yesterday" else 0)
        hour = int(g["H"])
        ampm = (g["ampm"] or "").replace(".", "").lower()
        if ampm == "pm" and hour < 12:
            hour += 12
        elif ampm == "am" and hour == 12:
            hour = 0
        try:
            return When(datetime(day.year, day.month, day.day, hour, int(g["M"]))), modified
        except ValueError:
            return None
    count = int(g["n"]) if g["n"].isdigit() else 1
    unit = _UNITS[g["unit"].lower()]
    moment = fetched - timedelta(**{unit: count})
    if unit in ("days", "weeks"):
        return When(date(moment.year, moment.month, moment.day)), modified
    return When(moment.replace(second=0, microsecond=0)), modified


def relative_date(doc: Document, *, modified: bool) -> When | None:
    """The relative publication (or, labelled "Updated", modification) date written
    nearest the headline, resolved against the page's fetch time."""
    if doc.fetched_at is None:
        return None
    start = doc.headline_position()
    if start < 0:
        return None  # no headline: a dateline cannot be told from a comment's time
    near = [item for item in doc.short_lines if abs(item[0] - start) <= NEAR_HEADLINE]
    for _, line in sorted(near, key=lambda item: (item[0] < start, abs(item[0] - start))):
        for part in _PARTS.split(line):
            try:
                found = resolve(part, doc.fetched_at)
            except OverflowError:  # a fetch time in year 1 has no "3 hours ago"
                return None
            if found is not None and found[1] == modified:
                return found[0]
    return None
