"""Dates as real pages write them: zones after the time, European numeric dates, datelines
with two labels, AMP's <amp-timeago>."""

from __future__ import annotations

import pytest
from extract_pages import PARAGRAPHS, URL, page

from newscrawl.extract import extract_article
from newscrawl.extract.normalize import parse_date

UNDATED_URL = "https://gossip.example/music/star-announces-tour/"


@pytest.mark.parametrize(
    ("text", "iso"),
    [
        # "GMT+1" is an hour ahead of GMT, not GMT.
        ("2024-05-02T10:00:00 GMT+02:00", "2024-05-02T10:00:00+02:00"),
        ("2024-05-02 10:00 UTC+5:30", "2024-05-02T10:00:00+05:30"),
        ("May 2, 2024, 10:00 AM GMT+1", "2024-05-02T10:00:00+01:00"),
        ("2 May 2024 10:00 (GMT+02:00)", "2024-05-02T10:00:00+02:00"),
        (
            "Thu May 02 2024 10:00:00 GMT+0200 (Central European Summer Time)",
            "2024-05-02T10:00:00+02:00",
        ),
        # A numeric offset after a written-out date.
        ("May 2, 2024 10:00 AM -0400", "2024-05-02T10:00:00-04:00"),
        # Zones that are not ambiguous, beyond the US / European / Australian ones.
        ("May 2, 2024 at 10:00 pm HST", "2024-05-02T22:00:00-10:00"),
        ("May 2, 2024 at 10:00 NZST", "2024-05-02T10:00:00+12:00"),
        # The time after a slash.
        ("May 2, 2024 / 10:00 AM EDT", "2024-05-02T10:00:00-04:00"),
    ],
)
def test_zones_after_the_time(text, iso):
    assert parse_date(text).iso() == iso


def dateline(line: str, *, url: str = UNDATED_URL) -> dict:
    text = "".join(f"<p>{p}</p>" for p in PARAGRAPHS)
    body = f'<article><h1>Star Announces Tour</h1><p class="meta">{line}</p>{text}</article>'
    return extract_article(page("", body), url)


@pytest.mark.parametrize(
    ("line", "iso"),
    [
        ("Published 2 May 2024 10:00 (GMT+02:00)", "2024-05-02T10:00:00+02:00"),
        # Dots are written day first, whatever the page's language.
        ("Published 02.05.2024 10:00 CEST", "2024-05-02T10:00:00+02:00"),
        ("Posted on 2024-05-02 10:00 PDT", "2024-05-02T10:00:00-07:00"),
        (
            "Updated 5 mins ago · Published May 2, 2024 at 10:00 am EDT",
            "2024-05-02T10:00:00-04:00",
        ),
    ],
)
def test_datelines(line, iso):
    fields = dateline(line)
    assert (fields["published_at"], fields["provenance"]["published_at"]) == (iso, "dateline")


def test_a_modified_dateline_stops_at_the_publication_label():
    fields = dateline("Updated 5 mins ago · Published May 2, 2024 at 10:00 am EDT")
    assert fields["modified_at"] is None


def test_amp_timeago_gives_the_date_its_text_does_not():
    text = "".join(f"<p>{p}</p>" for p in PARAGRAPHS)
    body = (
        '<article><h1>Star Announces Tour</h1><p class="meta">By Jane Doe · '
        '<amp-timeago datetime="2024-05-02T10:00:00Z" layout="fixed" width="160" height="20">'
        "3 hours ago</amp-timeago></p>"
        f"{text}</article>"
    )
    fields = extract_article(page("", body).replace(b"<html ", b"<html amp "), URL)
    assert fields["published_at"] == "2024-05-02T10:00:00+00:00"
    assert fields["provenance"]["published_at"] == "time"
