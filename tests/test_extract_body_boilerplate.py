"""Lines inside the story's container that are not the story: pull quotes, promos for
other articles, newsletter sign-up boxes and image credits."""

from __future__ import annotations

import pytest
from extract_pages import PARAGRAPHS, URL, page

from newscrawl.extract import extract_article


def body_with(insert: str, *, at: int = 2) -> list[str]:
    """The body of a story with ``insert`` between its paragraphs."""
    parts = [f"<p>{p}</p>" for p in PARAGRAPHS]
    parts.insert(at, insert)
    html = page("", "<article><h1>Star Announces Tour</h1>" + "".join(parts) + "</article>")
    return extract_article(html, URL)["body"].split("\n\n")


QUOTE = "“I have never felt more alive on a stage,” she said."


@pytest.mark.parametrize(
    "markup",
    [
        f'<blockquote class="pull-quote"><p>{QUOTE}</p></blockquote>',
        f'<div class="pullquote">{QUOTE}</div>',
        f'<p class="article-pullquote">{QUOTE}</p>',
        f'<p><span class="pullQuote">{QUOTE}</span></p>',
        f'<blockquote class="wp-block-pullquote"><p>{QUOTE}</p><cite>Jane Doe</cite></blockquote>',
    ],
)
def test_pull_quotes_marked_as_such(markup):
    assert body_with(markup) == PARAGRAPHS


def test_a_pull_quote_in_quote_marks_in_a_styled_box():
    box = '<div class="quote-box"><p>“The tour opens in Lisbon in September”</p></div>'
    assert body_with(box) == PARAGRAPHS


def test_a_quotation_is_dropped_only_when_it_repeats_the_story():
    repeated = (
        "<blockquote><p>“Tickets for the London shows sold out in under an hour”</p></blockquote>"
    )
    assert body_with(repeated) == PARAGRAPHS
    said = "“We will be back next year with a bigger show,” the band wrote."
    assert body_with(f"<blockquote><p>{said}</p></blockquote>") == [
        *PARAGRAPHS[:2],
        said,
        *PARAGRAPHS[2:],
    ]
    # A subheading quoting the story structures it.
    heading = "“Tickets for the London shows sold out”"
    assert body_with(f"<h2>{heading}</h2>{repeated}") == [*PARAGRAPHS[:2], heading, *PARAGRAPHS[2:]]


@pytest.mark.parametrize(
    "line",
    [
        "Don’t miss: Star cancels Paris show after storm damages venue",
        "MUST READ: Star cancels Paris show after storm damages venue",
        "RELATED STORY: Star cancels Paris show after storm damages venue",
        "Recommended Reading: Star cancels Paris show after storm damages venue",
        "Read More – Star cancels Paris show after storm damages venue",
        "RELATED | Star cancels Paris show after storm damages venue",
        "Read more &gt;&gt; Star cancels Paris show after storm damages venue",
        "Up next: Star cancels Paris show after storm damages venue",
        "READ: Star cancels Paris show after storm damages venue",
    ],
)
def test_promo_lines_for_other_stories(line):
    assert body_with(f"<p>{line}</p>") == PARAGRAPHS


@pytest.mark.parametrize("label", ["Read more:", "RELATED:"])
def test_a_promo_line_after_a_single_line_break(label):
    text = "Tickets went quickly, the promoter said, and more shows are planned for next year."
    markup = f'<p>{text}<br>{label} <a href="/x">Star cancels Paris show after the storm</a></p>'
    assert body_with(markup) == [*PARAGRAPHS[:2], text, *PARAGRAPHS[2:]]


def test_a_shouted_label_is_a_promo_a_sentence_starting_with_the_word_is_not():
    assert body_with("<p>MORE: Star cancels Paris show after storm damages venue</p>") == PARAGRAPHS
    line = "More than a million people saw her last tour, the promoter said on Monday."
    assert body_with(f"<p>{line}</p>") == [*PARAGRAPHS[:2], line, *PARAGRAPHS[2:]]


def test_newsletter_sign_up_boxes():
    box = (
        '<div class="nl-box"><h3>Get the Gossip Daily newsletter</h3>'
        "<p>The biggest celebrity stories, straight to your inbox every morning.</p>"
        "<p>Enter your email</p><p>Sign up</p>"
        "<p>By signing up, you agree to our Terms of Use and Privacy Policy.</p>"
        "<p>This site is protected by reCAPTCHA and the Google Privacy Policy and Terms of "
        "Service apply.</p><p>Thanks for signing up!</p></div>"
    )
    assert body_with(box) == PARAGRAPHS
    pitch = "<p>Want the latest music news? Get our free weekly newsletter.</p>"
    assert body_with(pitch) == PARAGRAPHS


@pytest.mark.parametrize(
    "credit",
    [
        "(Photo by Kevin Mazur/Getty Images)",
        "Kevin Mazur/Getty Images",
        "Kevin Mazur / Getty Images for TAS",
        "Getty Images",
        "Shutterstock",
        "AP Photo/Chris Pizzello",
        "(AP Photo/Chris Pizzello, File)",
        "Image source, Getty Images",
        "Jane Doe performs at the O2 Arena in London. (Photo by Kevin Mazur/Getty Images)",
    ],
)
def test_image_credit_lines(credit):
    assert body_with(f"<p>{credit}</p>") == PARAGRAPHS


def test_a_caption_ends_with_a_photo_agency_a_sentence_with_a_slash_does_not():
    assert body_with("<p>Jane Doe on stage in Lisbon. (Kevin Mazur/WireImage)</p>") == PARAGRAPHS
    line = "She announced the dates on her account on the social network (formerly Twitter/X)."
    assert body_with(f"<p>{line}</p>") == [*PARAGRAPHS[:2], line, *PARAGRAPHS[2:]]
