"""Paywalls a page does not declare in its structured data: the page shows a teaser and a
prompt to subscribe or register where the story stops. The teaser is archived as what it
is, flagged ``is_paywalled``, and without the prompt's text."""

from __future__ import annotations

import pytest
from extract_pages import PARAGRAPHS, URL, page

from newscrawl.extract import extract_article

TEASER = PARAGRAPHS[0]

# A metered site's paywall (Piano / Tinypass-style markup): the story's first paragraph,
# then the offer where the rest of the story would be.
SUBSCRIBE_WALL = (
    '<div class="tp-container-inner"><h2>Subscribe to continue reading</h2>'
    "<p>Get unlimited access to Gossip journalism for just $1 a week. Cancel anytime.</p>"
    '<a class="button" href="/subscribe">Subscribe now</a>'
    '<p>Already a subscriber? <a href="/login">Sign in</a></p></div>'
)
REGISTRATION_WALL = (
    '<div class="regwall"><p>Create a free account to keep reading.</p>'
    '<a href="/register">Register</a> <a href="/login">Log in</a></div>'
)
RESERVED = (
    '<div class="paywall-message"><p>This article is reserved for subscribers.</p>'
    '<a href="/subscribe">See our offers</a></div>'
)


def stub(wall: str) -> bytes:
    return page(
        "<title>Star Announces Tour | Gossip</title>",
        "<header><nav><a href='/'>Home</a> <a href='/music/'>Music</a></nav></header>"
        "<main><article><h1>Star Announces Tour</h1><p class='byline'>By Jane Doe</p>"
        f"<div class='article-body'><p>{TEASER}</p></div>{wall}</article></main>",
    )


@pytest.mark.parametrize("wall", [SUBSCRIBE_WALL, REGISTRATION_WALL, RESERVED])
def test_a_teaser_with_a_paywall_prompt_is_flagged_and_kept_without_the_prompt(wall):
    # The teaser (under NEWSCRAWL_MIN_WORDS) sent extraction to the trafilatura fallback,
    # which took in the headline and the offer ("Subscribe to continue reading", "$1 a
    # week", "Already a subscriber?"), and nothing said the text was cut short.
    fields = extract_article(stub(wall), URL)
    assert fields["is_paywalled"] is True
    assert fields["provenance"]["is_paywalled"] == "html"
    assert fields["body"] == TEASER
