"""The scaled demo corpus (``newscrawl demo-site --articles N``) against its own catalogue.

A crawl of the scaled publishers is checked against ``load_catalog(edition, N)``, so each
generated page must state exactly what the catalogue says it does, the way the
extractor reads it: a mismatch here shows up as thousands of false errors in an
at-scale comparison.
"""

from __future__ import annotations

import urllib.request
from collections import Counter
from datetime import datetime

import pytest

from newscrawl.demo.catalog import load_catalog
from newscrawl.demo.server import DemoSites
from newscrawl.extract import extract_article

SIZE = 44  # eleven generated articles per publisher (40 would space them in whole minutes)


@pytest.fixture(scope="module")
def scaled_pages():
    """``[(catalogue article, extracted fields)]`` for every page of a small scaled corpus."""
    results = []
    with DemoSites(port=0, articles=SIZE) as sites:
        for article in sites.catalog.articles:
            url = sites.url(article)
            with urllib.request.urlopen(url, timeout=10) as response:
                html, headers = response.read(), dict(response.headers)
            results.append((article, extract_article(html, url, headers=headers)))
    return results


def test_every_publisher_prints_the_catalogued_publication_time(scaled_pages):
    # The tabloid prints "13:21 EST": a generated time with seconds (13:21:33) was a
    # truth no page could give, and a crawl of 6,000 articles compared 806 of its 846
    # archived ones as misdated.
    misdated = {
        article.key: (fields["published_at"], article.published_at)
        for article, fields in scaled_pages
        if datetime.fromisoformat(fields["published_at"])
        != datetime.fromisoformat(article.published_at)
    }
    assert not misdated
    assert {article.source_id for article, _ in scaled_pages} == {
        "popwire",
        "stagescreen",
        "dailygossip",
        "showbizbulletin",
    }


def test_the_extracted_body_is_the_catalogued_body(scaled_pages):
    # The closing line is what tells two generated bodies apart when their headline and
    # shuffled paragraphs coincide (from about 1,100 articles on). Worded "This article
    # was first published on ...", the extractor removed it as boilerplate, and a crawl
    # of 6,000 articles dropped 7 distinct ones as `dedupe` / `duplicate` of another.
    differing = []
    for article, fields in scaled_pages:
        paragraphs = fields["body"].split("\n\n")
        if article.description and paragraphs[0] == article.description:
            paragraphs = paragraphs[1:]  # a visible standfirst opens the extracted body
        if (fields["title"], fields["authors"], paragraphs) != (
            article.title,
            article.authors,
            article.body,
        ):
            differing.append(article.key)
    assert differing == []


def test_edition_two_edits_and_removes_articles_of_every_publisher():
    # Every `j % 100 == 49` is publisher j % 4 == 1: every edit fell on Stage & Screen,
    # whose channels date only its 50 newest articles, and every removal on Showbiz
    # Bulletin (listings only), so a crawl of edition 2 at scale could archive no
    # revision and see no removal, whatever the crawler did (6,000 articles: 0 of 32
    # edited watched articles; 17 once the edits fell on PopWire and The Daily Gossip,
    # whose sitemaps date them).
    catalog = load_catalog(2, articles=4000)
    changed = Counter((a.edition_changes, a.source_id) for a in catalog.articles)
    publishers = [p.id for p in catalog.publishers]
    assert {source: changed["edited", source] for source in publishers} == dict.fromkeys(
        publishers, 10
    )
    assert {source: changed["removed", source] for source in publishers} == dict.fromkeys(
        publishers, 1
    )
