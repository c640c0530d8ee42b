"""Which JSON-LD node describes the article: reviews and the other CreativeWork types that
publishers use for articles, in every container shape (``@type`` lists, ``@graph``)."""

from __future__ import annotations

import json

import pytest
from extract_pages import PARAGRAPHS, URL, page

from newscrawl.extract import extract_article

ARTICLE = {
    "headline": "Album Review: The Band Returns With Its Best Record",
    "author": {"@type": "Person", "name": "Jane Doe"},
    "datePublished": "2024-05-02T10:00:00-04:00",
    "dateModified": "2024-05-03T09:30:00-04:00",
}


def extract(*nodes: object) -> dict:
    scripts = "".join(
        f'<script type="application/ld+json">{json.dumps(node)}</script>' for node in nodes
    )
    text = "".join(f"<p>{p}</p>" for p in PARAGRAPHS)
    body = f"<article><h1>The Band Returns</h1>{text}</article>"
    return extract_article(page(scripts, body), URL)


def assert_from_jsonld(fields: dict) -> None:
    assert fields["title"] == ARTICLE["headline"]
    assert fields["authors"] == ["Jane Doe"]
    assert fields["published_at"] == "2024-05-02T10:00:00-04:00"
    assert fields["modified_at"] == "2024-05-03T09:30:00-04:00"
    for name in ("title", "authors", "published_at", "modified_at"):
        assert fields["provenance"][name] == "jsonld"


@pytest.mark.parametrize(
    "kind",
    [
        "Review",
        "CriticReview",
        ["Review"],
        ["CreativeWork", "Review"],
        "https://schema.org/Review",
    ],
    ids=str,
)
def test_a_review_gives_title_authors_and_dates(kind):
    node = {"@context": "https://schema.org", "@type": kind, **ARTICLE}
    assert_from_jsonld(extract(node))


def test_a_review_inside_a_graph_container():
    graph = {
        "@context": "https://schema.org",
        "@graph": [
            {"@type": "WebSite", "name": "Gossip Daily"},
            {"@type": "WebPage", "name": "The Band Returns - Gossip Daily"},
            {
                "@type": "Review",
                **ARTICLE,
                "itemReviewed": {"@type": "MusicAlbum", "name": "Returns", "datePublished": "2024"},
                "reviewRating": {"@type": "Rating", "ratingValue": 4, "bestRating": 5},
            },
        ],
    }
    assert_from_jsonld(extract(graph))


def test_a_review_that_is_the_pages_main_entity():
    webpage = {
        "@context": "https://schema.org",
        "@type": "WebPage",
        "mainEntity": {"@type": "CriticReview", **ARTICLE},
    }
    assert_from_jsonld(extract(webpage))


def test_a_review_is_the_article_only_where_it_describes_the_page():
    # A critic's review at the top level is the article...
    assert_from_jsonld(extract({"@context": "https://schema.org", "@type": "Review", **ARTICLE}))
    # ...a reader's review nested in a product's list is not.
    product = {
        "@context": "https://schema.org",
        "@type": "Product",
        "name": "Tour T-shirt",
        "review": [
            {
                "@type": "Review",
                "name": "Great shirt",
                "author": {"@type": "Person", "name": "Some Buyer"},
                "datePublished": "2023-01-01",
            }
        ],
    }
    fields = extract(product)
    assert fields["title"] == "The Band Returns"
    assert fields["authors"] == []
    assert fields["published_at"] == "2024-05-02"  # from the URL, not the reader's review


def test_a_lone_surrogate_escape_does_not_lose_the_article():
    """JSON allows ``\\ud83c`` on its own (half of an emoji cut by a publisher's CMS);
    Python decodes it to a string that cannot be written as UTF-8, and the whole page
    became an ``extract/failed`` drop. The half character is now U+FFFD, and a whole
    escaped pair (``\\ud83c\\udf89``) stays the emoji it encodes."""
    node = {
        "@context": "https://schema.org",
        "@type": "NewsArticle",
        **ARTICLE,
        "headline": "Album Review: The Band Returns \ud83c With Its Best Record \U0001f389",
        "author": {"@type": "Person", "name": "Jane Doe\udf89"},
    }
    fields = extract(node)
    assert fields["title"] == (
        "Album Review: The Band Returns \ufffd With Its Best Record \U0001f389"
    )
    assert fields["authors"] == ["Jane Doe\ufffd"]
    for value in fields.values():
        json.dumps(value, ensure_ascii=False).encode("utf-8")
