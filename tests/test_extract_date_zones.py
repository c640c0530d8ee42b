"""Named time zones after a date: the common US / UK / European abbreviations, their
daylight-saving variants, US regions ("ET", "PT") read by the date, and ambiguous labels
("IST") left without an offset rather than guessed."""

from __future__ import annotations

import pytest
from extract_pages import PARAGRAPHS, page

from newscrawl.extract import extract_article
from newscrawl.extract.normalize import parse_date

UNDATED_URL = "https://gossip.example/music/star-announces-tour/"


@pytest.mark.parametrize(
    ("text", "iso"),
    [
        ("2024-03-05 14:30 EST", "2024-03-05T14:30:00-05:00"),
        ("2024-07-05 14:30 EDT", "2024-07-05T14:30:00-04:00"),
        ("July 5, 2024 2:30 pm PDT", "2024-07-05T14:30:00-07:00"),
        ("2024-07-05 14:30 BST", "2024-07-05T14:30:00+01:00"),
        ("March 5, 2024 14:30 CET", "2024-03-05T14:30:00+01:00"),
        ("2024-07-05 14:30 CEST", "2024-07-05T14:30:00+02:00"),
        ("2024-03-05 14:30 WET", "2024-03-05T14:30:00+00:00"),
        ("2024-07-05 14:30 EEST", "2024-07-05T14:30:00+03:00"),
        # A 12-hour clock after an ISO date: the "PM" was dropped with the zone after it.
        ("2024-03-05 2:30 PM EST", "2024-03-05T14:30:00-05:00"),
        ("2024-03-05 12:10 a.m. EST", "2024-03-05T00:10:00-05:00"),
        # "PT" / "ET": standard time in March (before the switch), daylight time in July.
        ("March 5, 2024 2:30 pm PT", "2024-03-05T14:30:00-08:00"),
        ("July 5, 2024 2:30 pm PT", "2024-07-05T14:30:00-07:00"),
        ("March 5, 2024 at 2:30 p.m. ET", "2024-03-05T14:30:00-05:00"),
        ("2024-03-11 09:00 ET", "2024-03-11T09:00:00-04:00"),
        ("May 2, 2024 10:00 AM (CT)", "2024-05-02T10:00:00-05:00"),
        # RFC 2822 dates with a zone the email parser does not know.
        ("Fri, 05 Jul 2024 14:30:00 BST", "2024-07-05T14:30:00+01:00"),
        ("Tue, 05 Mar 2024 14:30:00 CET", "2024-03-05T14:30:00+01:00"),
    ],
)
def test_named_zones(text, iso):
    assert parse_date(text).iso() == iso


@pytest.mark.parametrize(
    "text",
    [
        "2024-03-05 14:30 IST",
        "March 5, 2024 2:30 pm AST",
        # RFC 2822's "-0000" says the zone is unknown.
        "Tue, 05 Mar 2024 14:30:00 -0000",
    ],
)
def test_ambiguous_zones_are_not_guessed(text):
    # IST is India, Ireland or Israel; AST Atlantic or Arabia: a time without an offset.
    assert parse_date(text).iso() == "2024-03-05T14:30:00"


def extract(head: str = "", line: str = "") -> dict:
    text = "".join(f"<p>{p}</p>" for p in PARAGRAPHS)
    body = f'<article><h1>Star Announces Tour</h1><p class="meta">{line}</p>{text}</article>'
    return extract_article(page(head, body), UNDATED_URL)


def test_a_meta_date_with_a_twelve_hour_clock_and_a_zone():
    fields = extract('<meta property="article:published_time" content="2024-03-05 2:30 PM EST">')
    assert fields["published_at"] == "2024-03-05T14:30:00-05:00"


@pytest.mark.parametrize(
    ("line", "iso"),
    [
        ("Posted March 5, 2024 2:30 pm PT", "2024-03-05T14:30:00-08:00"),
        ("Published July 5, 2024 at 9:15 am ET", "2024-07-05T09:15:00-04:00"),
        ("Published: 14:30 BST, 5 July 2024", "2024-07-05T14:30:00+01:00"),
    ],
)
def test_datelines_with_a_named_zone(line, iso):
    fields = extract(line=line)
    assert (fields["published_at"], fields["provenance"]["published_at"]) == (iso, "dateline")
