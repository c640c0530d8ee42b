"""When to fetch an article page again.

An operator runs the crawl every hour; most discovered URLs are already archived.
:class:`RefreshPolicy` decides, from what the archive knows about a URL and what the
discovery channel says now, whether the page is worth fetching again:

* never seen, or last attempt failed (HTTP error, timeout): fetch;
* the channel says it changed: its ``lastmod`` / ``updated`` is newer than what it said
  when we last fetched the page (kept in ``articles.discovery``), else newer than the
  page's own modified / published date: fetch. Comparing the publisher's clock with
  itself is immune to clock skew; the fetch records the channel's date, so a page is
  not fetched again until the channel's date moves again;
* an age-ladder step passed since our last fetch (default 1 h, 1 d, 7 d after
  publication): fetch, so late edits are caught while an article is young;
* otherwise: skip, and count it in ``crawl_runs.pages_skipped``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from newscrawl.errors import ConfigError

_STEP = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([smhdw])\s*$")
_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}
# Drop reasons that describe the page's content: refetching will not change them
# until the page itself changes. Fetch failures are retried on the next run.
CONTENT_REASONS = frozenset({"no_artist", "not_article", "duplicate", "not_html", "too_large"})


def parse_ladder(text: str) -> tuple[timedelta, ...]:
    """Parse ``"1h,1d,7d"`` into sorted timedeltas; '' disables refreshing by age."""
    steps = []
    for part in (text or "").split(","):
        if not part.strip():
            continue
        match = _STEP.match(part)
        if not match:
            raise ConfigError(
                f"expected durations like '1h,1d,7d', got {part.strip()!r}",
                path="settings",
                field="NEWSCRAWL_REFRESH_AGES",
            )
        steps.append(timedelta(seconds=float(match.group(1)) * _UNITS[match.group(2)]))
    return tuple(sorted(steps))


def parse_time(value: str | None) -> datetime | None:
    """Parse an ISO 8601 / RFC 822 / sitemap date into an aware datetime (UTC if naive)."""
    if not value:
        return None
    text = value.strip()
    moment = None
    try:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        from email.utils import parsedate_to_datetime

        try:
            moment = parsedate_to_datetime(text)
        except (TypeError, ValueError, IndexError):
            return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment


def json_dict(value: object) -> dict:
    """A JSON object column (``discovery``) as a dict; {} when absent or unreadable."""
    if isinstance(value, dict):
        return value
    if isinstance(value, str) and value:
        import json

        try:
            loaded = json.loads(value)
        except ValueError:
            return {}
        return loaded if isinstance(loaded, dict) else {}
    return {}


def policy_from_option(text: str, option: str) -> RefreshPolicy:
    """The policy of an age ladder given on the command line; a bad one is a one-line
    error naming ``option``."""
    from newscrawl.errors import NewscrawlError

    try:
        return RefreshPolicy(parse_ladder(text))
    except ConfigError as error:
        raise NewscrawlError(f"{option}: {error.detail}") from None


@dataclass
class Decision:
    fetch: bool
    why: str


class RefreshPolicy:
    """Decides whether a known URL is fetched again (see the module docstring)."""

    def __init__(self, ladder: tuple[timedelta, ...] = (), *, now: datetime | None = None) -> None:
        self.ladder = ladder
        self._now = now

    def now(self) -> datetime:
        return self._now or datetime.now(UTC)

    def decide(
        self, known: dict | None, evidence: dict, *, dropped: dict | None = None
    ) -> Decision:
        """``known``: the archived article row (fetched_at, published_at, modified_at)
        or None; ``dropped``: its drops row or None; ``evidence``: the channel's data."""
        if known is None and dropped is None:
            return Decision(True, "new")
        if known is None:
            if dropped.get("reason") not in CONTENT_REASONS:
                return Decision(True, f"retry after {dropped.get('reason')}")
            last_fetch = parse_time(dropped.get("last_seen_at"))
            published = parse_time(dropped.get("first_seen_at"))
        else:
            last_fetch = parse_time(known.get("fetched_at"))
            tried = parse_time((dropped or {}).get("last_seen_at"))
            if tried is not None and (last_fetch is None or tried > last_fetch):
                # A later fetch failed (the page is gone, or errored): the ladder counts
                # from that attempt, or the article would be fetched again every run.
                last_fetch = tried
            # An undated article counts from when it was first archived (its last fetch
            # moves on with every refetch: the ladder would never end).
            published = (
                parse_time(known.get("published_at"))
                or parse_time(known.get("first_seen_at"))
                or parse_time(known.get("fetched_at"))
            )
        if last_fetch is None:
            return Decision(True, "never fetched")
        said_before = json_dict((known or {}).get("discovery"))
        for key in ("lastmod", "updated"):
            changed = parse_time(evidence.get(key))
            if changed is None:
                continue
            # Compare the publisher's clock with itself: what the channel said when we
            # last fetched the page, else the page's own modified / published date.
            # Our clock is the last resort (a page that gives no dates at all).
            previous = parse_time(said_before.get(key))
            if previous is None and known is not None:
                previous = parse_time(known.get("modified_at")) or parse_time(
                    known.get("published_at")
                )
            if previous is None:
                previous = last_fetch
            if changed > previous:
                return Decision(True, f"{key} {evidence[key]} is newer than what we archived")
        if published is not None:
            now = self.now()
            for step in self.ladder:
                due = published + step
                if last_fetch < due <= now:
                    return Decision(True, f"refresh due {step} after publication")
        return Decision(False, "archived and fresh")
