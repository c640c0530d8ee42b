from datetime import UTC, datetime, timedelta

import pytest

from newscrawl.errors import ConfigError
from newscrawl.refresh import RefreshPolicy, parse_ladder, parse_time

NOW = datetime(2026, 5, 10, 12, 0, tzinfo=UTC)


def test_parse_ladder():
    assert parse_ladder("1h, 1d,7d") == (timedelta(hours=1), timedelta(days=1), timedelta(days=7))
    assert parse_ladder("") == ()
    with pytest.raises(ConfigError, match="NEWSCRAWL_REFRESH_AGES"):
        parse_ladder("1 fortnight")


def test_parse_time_formats():
    assert parse_time("2026-05-01") == datetime(2026, 5, 1, tzinfo=UTC)
    assert parse_time("Fri, 01 May 2026 10:00:00 +0200") == datetime(2026, 5, 1, 8, 0, tzinfo=UTC)
    assert parse_time("2026-05-01T10:00:00Z") == datetime(2026, 5, 1, 10, 0, tzinfo=UTC)
    assert parse_time("yesterday") is None
    assert parse_time(None) is None


def policy():
    return RefreshPolicy(parse_ladder("1h,1d,7d"), now=NOW)


def test_new_url_is_fetched():
    assert policy().decide(None, {}).fetch


def test_fresh_article_is_skipped():
    known = {
        "fetched_at": "2026-05-01T00:00:00+00:00",
        "published_at": "2026-04-20T00:00:00+00:00",
        "modified_at": "2026-04-30T00:00:00+00:00",
    }
    assert not policy().decide(known, {"lastmod": "2026-04-30"}).fetch
    assert not policy().decide(known, {"channel": "listing"}).fetch


def test_lastmod_newer_than_fetch_refetches():
    known = {"fetched_at": "2026-05-01T00:00:00+00:00", "published_at": "2026-04-20T00:00:00+00:00"}
    assert policy().decide(known, {"lastmod": "2026-05-02T00:00:00Z"}).fetch
    assert policy().decide(known, {"updated": "2026-05-03T00:00:00Z"}).fetch


def test_age_ladder_step_passed_refetches_once():
    # published 2 days ago, fetched 10 minutes after publication: the 1h and 1d steps passed
    published = NOW - timedelta(days=2)
    known = {
        "fetched_at": (published + timedelta(minutes=10)).isoformat(),
        "published_at": published.isoformat(),
    }
    assert policy().decide(known, {}).fetch
    # fetched again after the 1d step: nothing due until the 7d step
    known["fetched_at"] = (published + timedelta(days=1, minutes=5)).isoformat()
    assert not policy().decide(known, {}).fetch


def test_failed_fetch_is_retried_but_content_drops_are_not():
    assert policy().decide(None, {}, dropped={"reason": "http_status"}).fetch
    old = {
        "reason": "no_artist",
        "first_seen_at": "2026-01-01T00:00:00+00:00",
        "last_seen_at": "2026-02-01T00:00:00+00:00",
    }
    assert not policy().decide(None, {}, dropped=old).fetch


def test_channel_compared_with_what_it_said_before_not_our_clock():
    # Our fetch happened "after" the edit by our clock (skew, or a slow sitemap), but the
    # sitemap's lastmod moved on since the fetch we archived: the page changed.
    known = {
        "fetched_at": "2026-05-09T00:00:00+00:00",
        "published_at": "2026-04-01T00:00:00+00:00",
        "discovery": '{"lastmod": "2026-04-01T00:00:00+00:00"}',
    }
    assert policy().decide(known, {"lastmod": "2026-05-01T00:00:00+00:00"}).fetch
    # Same lastmod as when we fetched: nothing changed, whatever the clocks say.
    known["discovery"] = '{"lastmod": "2026-05-01T00:00:00+00:00"}'
    assert not policy().decide(known, {"lastmod": "2026-05-01T00:00:00+00:00"}).fetch


def test_without_channel_history_the_page_dates_are_the_reference():
    known = {
        "fetched_at": "2026-05-09T00:00:00+00:00",
        "published_at": "2026-04-01T00:00:00+00:00",
        "modified_at": "2026-04-02T00:00:00+00:00",
    }
    assert not policy().decide(known, {"updated": "2026-04-02T00:00:00+00:00"}).fetch
    # an edit the publisher dates after the version we hold, even if our clock says
    # we fetched later (skew): fetched once, and the channel's date is then recorded
    assert policy().decide(known, {"updated": "2026-04-03T00:00:00+00:00"}).fetch


def test_page_without_any_date_falls_back_to_our_fetch_time():
    known = {"fetched_at": "2026-05-09T00:00:00+00:00"}
    no_ladder = RefreshPolicy((), now=NOW)
    assert not no_ladder.decide(known, {"lastmod": "2026-05-08"}).fetch
    assert no_ladder.decide(known, {"lastmod": "2026-05-10"}).fetch
