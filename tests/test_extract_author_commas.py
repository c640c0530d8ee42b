"""A comma in an author value: another author ("Jane Doe, John Roe"), or what the person
is or where they write from ("Jane Doe, Los Angeles", "Jane Doe, Staff Writer"), or a
name written family name first ("Doe, Jane")."""

from __future__ import annotations

import json

import pytest
from extract_pages import PARAGRAPHS, URL, page

from newscrawl.extract import extract_article


def extract(author: object = None, *, head: str = "", byline: str = "") -> dict:
    script = ""
    if author is not None:
        node = {
            "@context": "https://schema.org",
            "@type": "NewsArticle",
            "headline": "Star Announces Tour",
            "author": author,
        }
        script = f'<script type="application/ld+json">{json.dumps(node)}</script>'
    text = "".join(f"<p>{p}</p>" for p in PARAGRAPHS)
    body = f"<article><h1>Star Announces Tour</h1>{byline}{text}</article>"
    return extract_article(page(script + head, body), URL)


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        # A place after the comma.
        ("Jane Doe, Los Angeles", ["Jane Doe"]),
        ("Jane Doe, London", ["Jane Doe"]),
        ("Jane Doe, Nashville, Tenn.", ["Jane Doe"]),
        ("Jane Doe and John Roe, New York", ["Jane Doe", "John Roe"]),
        # A role or an employer after the comma.
        ("By Jane Doe, Staff Writer", ["Jane Doe"]),
        ("Jane Doe, Times Staff Writer", ["Jane Doe"]),
        ("Jane Doe, Special to the Star", ["Jane Doe"]),
        ("Jane Doe, Variety", ["Jane Doe"]),
        ("Jane Doe, Los Angeles Times", ["Jane Doe"]),
        # Other people stay other people.
        ("Jane Doe and John Roe", ["Jane Doe", "John Roe"]),
        ("Jane Doe, John Roe", ["Jane Doe", "John Roe"]),
        ("Jane Doe, John Roe, Ann Poe", ["Jane Doe", "John Roe", "Ann Poe"]),
        ("Jane Doe, John Roe Senior Editor", ["Jane Doe", "John Roe"]),
    ],
)
@pytest.mark.parametrize("shape", ["string", "person"])
def test_what_follows_a_comma(name, expected, shape):
    author = name if shape == "string" else {"@type": "Person", "name": name}
    assert extract(author)["authors"] == expected


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("Doe, Jane", ["Jane Doe"]),
        ("DOE, JANE", ["Jane Doe"]),
        # An agency code is not a given name.
        ("Reuters, AP", ["Reuters", "AP"]),
    ],
)
def test_family_name_first_in_a_json_ld_string(name, expected):
    assert extract(name)["authors"] == expected


def test_family_name_first_in_a_meta_tag():
    fields = extract(head='<meta name="citation_author" content="Doe, Jane">')
    assert (fields["authors"], fields["provenance"]["authors"]) == (["Jane Doe"], "meta")


def test_a_place_after_the_comma_in_a_visible_byline():
    fields = extract(byline='<p class="byline">By Jane Doe, Los Angeles</p>')
    assert (fields["authors"], fields["provenance"]["authors"]) == (["Jane Doe"], "byline")


def test_family_name_first_in_the_feed_author():
    text = "".join(f"<p>{p}</p>" for p in PARAGRAPHS)
    html = page("", f"<article><h1>Star Announces Tour</h1>{text}</article>")
    evidence = {"channel": "rss", "author": "Doe, Jane"}
    fields = extract_article(html, URL, evidence=evidence)
    assert (fields["authors"], fields["provenance"]["authors"]) == (["Jane Doe"], "feed")
