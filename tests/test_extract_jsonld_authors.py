"""JSON-LD ``author`` values as publishers write them: value objects, mixed lists,
organizations, and several people in one ``name``."""

from __future__ import annotations

import json

import pytest
from extract_pages import PARAGRAPHS, URL, page

from newscrawl.extract import extract_article
from newscrawl.extract.authors import split_names


def extract(author: object, *, head: str = "", byline: str = "") -> dict:
    node = {
        "@context": "https://schema.org",
        "@type": "NewsArticle",
        "headline": "Star Announces Tour",
        "author": author,
        "publisher": {"@type": "NewsMediaOrganization", "name": "Gossip Daily"},
    }
    script = f'<script type="application/ld+json">{json.dumps(node)}</script>'
    text = "".join(f"<p>{p}</p>" for p in PARAGRAPHS)
    body = f"<article><h1>Star Announces Tour</h1>{byline}{text}</article>"
    return extract_article(page(script + head, body), URL)


@pytest.mark.parametrize(
    "author",
    [
        {"@value": "Jane Doe"},
        [{"@value": "Jane Doe", "@language": "en"}],
        {"@type": "Person", "name": {"@value": "Jane Doe"}},
        {"@type": "Person", "name": [{"@value": "Jane Doe", "@language": "en"}]},
        {"@type": "Person", "givenName": {"@value": "Jane"}, "familyName": {"@value": "Doe"}},
    ],
    ids=json.dumps,
)
def test_value_objects(author):
    fields = extract(author)
    assert fields["authors"] == ["Jane Doe"]
    assert fields["provenance"]["authors"] == "jsonld"


def test_a_list_mixing_strings_value_objects_and_people():
    author = ["Jane Doe", {"@value": "Ann Poe"}, {"@type": "Person", "name": "John Roe"}]
    assert extract(author)["authors"] == ["Jane Doe", "Ann Poe", "John Roe"]


def test_the_publisher_credited_as_author_is_not_a_person():
    publisher = {"@type": "Organization", "name": "Gossip Daily"}
    # Next to a person, the publisher is left out...
    assert extract([{"@type": "Person", "name": "Jane Doe"}, publisher])["authors"] == ["Jane Doe"]
    # ...alone, it gives way to the page's visible byline or its meta author...
    fields = extract(publisher, byline='<p class="byline">By Jane Doe</p>')
    assert (fields["authors"], fields["provenance"]["authors"]) == (["Jane Doe"], "byline")
    fields = extract(publisher, head='<meta name="author" content="Jane Doe">')
    assert (fields["authors"], fields["provenance"]["authors"]) == (["Jane Doe"], "meta")
    # ...and without either the article has no author.
    assert extract(publisher)["authors"] == []


def test_another_organization_is_credited_by_its_whole_name():
    # A news agency on a syndicating site is the credit the page gives; its name is one
    # name, not a list of people split at "&".
    agency = {"@type": "NewsMediaOrganization", "name": "Black & White Press Agency"}
    assert extract(agency)["authors"] == ["Black & White Press Agency"]
    assert extract([{"@type": "Person", "name": "Jane Doe"}, agency])["authors"] == [
        "Jane Doe",
        "Black & White Press Agency",
    ]


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("Doe, Jane", ["Jane Doe"]),
        ("Doe, Jane A.", ["Jane A. Doe"]),
        ("Jane Doe/John Roe", ["Jane Doe", "John Roe"]),
        ("Jane Doe + John Roe", ["Jane Doe", "John Roe"]),
    ],
)
def test_several_or_inverted_names_in_one_person(name, expected):
    assert extract({"@type": "Person", "name": name})["authors"] == expected


def test_a_slash_between_names_in_a_byline():
    assert split_names("By Jane Doe/John Roe") == ["Jane Doe", "John Roe"]
