"""Extraction defects found on real publisher markup, each on a small page shaped like it."""

from __future__ import annotations

import pytest
from extract_pages import PARAGRAPHS, URL, page

from newscrawl.extract import extract_article
from newscrawl.extract.authors import split_names
from newscrawl.extract.normalize import parse_date


def paragraphs(items: list[str] = PARAGRAPHS) -> str:
    return "".join(f"<p>{p}</p>" for p in items)


def body_of(html: bytes) -> list[str]:
    return extract_article(html, URL)["body"].split("\n\n")


def test_widget_titles_styled_as_headings_are_not_body_text():
    # Postmedia pages (National Post, Canada.com, The Province): the widget title is a
    # <div class="h2 widget-title__heading">, its links are dropped, the title was kept.
    widget = (
        '<section class="list-widget"><div class="h2 widget-title__heading">{}</div>'
        '<div class="card"><h3><a href="/a">Another story about another star</a></h3></div>'
        '<div class="card"><h3><a href="/b">A third story about a band on tour</a></h3></div>'
        "</section>"
    )
    body = (
        "<article><h1>Star Announces Tour</h1>"
        + paragraphs(PARAGRAPHS[:2])
        + widget.format("Recommended from Editorial")
        + paragraphs(PARAGRAPHS[2:])
        + widget.format("Latest from Shopping Essentials")
        + '<div class="h2 widget-title__heading">Latest National Stories</div>'
        + "</article>"
    )
    assert body_of(page("", body)) == PARAGRAPHS


def test_a_subheading_followed_by_text_stays():
    body = (
        "<article><h1>Star Announces Tour</h1>"
        + paragraphs(PARAGRAPHS[:1])
        + '<div class="h2">Latest from the tour</div>'
        + paragraphs(PARAGRAPHS[1:])
        + "</article>"
    )
    assert body_of(page("", body)) == [PARAGRAPHS[0], "Latest from the tour", *PARAGRAPHS[1:]]


def test_paywall_teaser_prompts_are_not_body_text():
    prompts = (
        "Subscribe to continue reading. Already a subscriber? Log in.",
        "This article is only available to subscribers.",
        "To keep reading, start your subscription for $1 a week.",
    )
    body = (
        "<article><h1>Star Announces Tour</h1>"
        + paragraphs()
        + '<div class="paywall">'
        + "".join(f"<p>{p}</p>" for p in prompts)
        + "</div></article>"
    )
    assert body_of(page("", body)) == PARAGRAPHS


def test_sentences_about_subscribers_stay():
    line = "Fan club subscribers will get early access to tickets, her label said on Monday."
    body = "<article><h1>Star Announces Tour</h1>" + paragraphs([*PARAGRAPHS, line]) + "</article>"
    assert body_of(page("", body)) == [*PARAGRAPHS, line]


def test_sentences_about_a_feature_for_subscribers_stay():
    line = "The new feature will be available to premium subscribers only, the company said."
    body = "<article><h1>Star Announces Tour</h1>" + paragraphs([*PARAGRAPHS, line]) + "</article>"
    assert body_of(page("", body)) == [*PARAGRAPHS, line]


def test_amp_ad_and_embed_placeholders_are_not_body_text():
    body = (
        '<amp-sidebar id="menu" layout="nodisplay"><p>Sections and a menu of the site</p>'
        "</amp-sidebar><article><h1>Star Announces Tour</h1>"
        f"<p>{PARAGRAPHS[0]}</p>"
        '<amp-ad width="300" height="250" type="doubleclick"><div placeholder>Loading ad</div>'
        "<div fallback>The ad could not be loaded.</div></amp-ad>"
        f"<p>{PARAGRAPHS[1]}</p>"
        '<amp-iframe src="https://embed.example/x" width="600" height="400">'
        "<div placeholder>Loading the embedded content for you...</div></amp-iframe>"
        f"<p>{PARAGRAPHS[2]}</p>"
        '<amp-social-share type="twitter">Share on Twitter</amp-social-share>'
        f"<p>{PARAGRAPHS[3]}</p></article>"
    )
    html = page('<link rel="canonical" href="https://gossip.example/music/x/">', body)
    assert body_of(html.replace(b"<html ", b"<html amp ")) == PARAGRAPHS


@pytest.mark.parametrize(
    ("byline", "expected"),
    [
        ("By Jane Doe in Los Angeles", ["Jane Doe"]),
        ("By JANE DOE IN NEW YORK and JOHN ROE in London", ["Jane Doe", "John Roe"]),
        ("By Jane Doe; Additional reporting by John Roe", ["Jane Doe", "John Roe"]),
        ("Reporting by Jane Doe; Editing by John Roe and Ann Poe", ["Jane Doe"]),
    ],
)
def test_byline_places_and_credits_are_not_names(byline, expected):
    assert split_names(byline) == expected


def test_visible_byline_with_a_place():
    body = (
        '<article><h1>Star Announces Tour</h1><p class="byline">By Jane Doe in Los Angeles</p>'
        + paragraphs()
        + "</article>"
    )
    assert extract_article(page("", body), URL)["authors"] == ["Jane Doe"]


@pytest.mark.parametrize(
    ("byline", "expected"),
    [
        ("By DEREK O'BRIEN", ["Derek O'Brien"]),
        ("BY SHAQUILLE O’NEAL and JANE MCDONALD", ["Shaquille O’Neal", "Jane McDonald"]),
        ("By JAMES MACDONALD", ["James Macdonald"]),
    ],
)
def test_all_caps_names_with_o_and_mc_are_title_cased(byline, expected):
    assert split_names(byline) == expected


@pytest.mark.parametrize(
    ("meta", "headers"),
    [
        ("iso-8859-1", None),
        ("windows-1252", None),
        ("utf-8", {"Content-Type": "text/html; charset=ISO-8859-1"}),  # a server default
    ],
)
def test_utf8_pages_declared_latin1_decode_as_utf8(meta, headers):
    # No ” here: its UTF-8 bytes hold 0x9D, undefined in cp1252, so strict cp1252 fails
    # and the old code fell through to UTF-8; with ’ é – it decoded as mojibake.
    body = "<article><h1>Beyoncé’s Renaissance tour – Café Olé</h1>" + paragraphs() + "</article>"
    html = page("<title>Beyoncé’s tour</title>", body, charset=meta)
    fields = extract_article(html, URL, headers=headers)
    assert fields["title"] == "Beyoncé’s Renaissance tour – Café Olé"


@pytest.mark.parametrize(
    ("text", "iso"),
    [
        ("2024-03-02 10:00:00 EST", "2024-03-02T10:00:00-05:00"),
        ("2024-03-02T10:00 PDT", "2024-03-02T10:00:00-07:00"),
        ("2024-03-02 10:00:00 UTC", "2024-03-02T10:00:00+00:00"),
        ("2024-03-02 10:00:00 local", "2024-03-02T10:00:00"),
    ],
)
def test_iso_dates_with_a_zone_abbreviation_keep_the_offset(text, iso):
    assert parse_date(text).iso() == iso


def test_teaser_cards_marked_up_as_articles_are_not_body_text():
    cards = "".join(
        f'<article class="c-{i}"><h3><a href="/story-{i}">Another headline about a star, '
        f"number {i}</a></h3><p>A one-line summary of that other story, number {i}.</p>"
        "</article>"
        for i in range(3)
    )
    body = (
        "<article><h1>Star Announces Tour</h1>"
        + paragraphs()
        + f"<section>{cards}</section></article>"
    )
    assert body_of(page("", body)) == PARAGRAPHS


def test_a_gallery_read_by_the_fallback_does_not_start_with_the_headline():
    # Three slides: too few for the gallery reader (tests/test_extract_galleries.py), so
    # the text comes from the trafilatura fallback.
    slides = "".join(
        f'<figure class="gallery-slide"><img src="s{i}.jpg"><figcaption>Slide {i}: the star '
        "arrives at the premiere in a custom gown, waving to fans who waited for hours "
        f"behind the barriers on the red carpet, look number {i}.</figcaption></figure>"
        for i in range(3)
    )
    body = (
        "<main><h1>Best Dressed at the Premiere</h1>"
        "<p>Here are the best looks from last night.</p>"
        f'<div class="gallery">{slides}</div></main>'
    )
    fields = extract_article(page("<title>Best Dressed at the Premiere</title>", body), URL)
    assert fields["provenance"]["body"] == "trafilatura"
    assert fields["body"].startswith("Here are the best looks from last night.")


def test_video_lead_in_lines_with_a_bar_are_not_body_text():
    # CBC: "WATCH | <what the video shows>:" above an embedded player that is dropped.
    body = (
        "<article><h1>Star Announces Tour</h1>"
        + paragraphs(PARAGRAPHS[:2])
        + "<div>WATCH | The singer tells fans about the tour dates:</div>"
        + '<div class="video-player"><iframe src="https://player.example/1"></iframe></div>'
        + paragraphs(PARAGRAPHS[2:])
        + "</article>"
    )
    assert body_of(page("", body)) == PARAGRAPHS


def test_numbers_standing_alone_are_not_paragraphs():
    # LA Times story stacks: <div class="story-stack-item-number">2</div> over each part.
    items = "".join(
        f'<div class="story-stack-item-number">{n}</div><h3>Part {i}</h3><p>{p}</p>'
        for i, (n, p) in enumerate(zip(("1", "2.", "3/4", "4"), PARAGRAPHS, strict=True), 1)
    )
    body = f"<article><h1>Star Announces Tour</h1>{items}</article>"
    expected = [x for n, p in enumerate(PARAGRAPHS, 1) for x in (f"Part {n}", p)]
    assert body_of(page("", body)) == expected
