"""Golden tests on the bundled demo publishers: every article page the demo sites serve
(WordPress/Yoast, OpenGraph + microdata magazine, tabloid, legacy cp1252 site) is
fetched over HTTP and extracted, and the fields are compared with the catalogue's
ground truth (``newscrawl.demo.catalog.load_catalog``)."""

from __future__ import annotations

import urllib.request
from datetime import datetime

import pytest

from newscrawl.demo.catalog import load_catalog
from newscrawl.demo.server import DemoSites
from newscrawl.extract import extract_article
from newscrawl.extract.evaluate import body_scores, date_match

ARTICLES = [article.key for article in load_catalog().articles if article.status == 200]
MIN_BODY_F1 = 0.95


@pytest.fixture(scope="module")
def served():
    """``{key: (catalogue article, extracted fields, base URLs)}`` for every 200 page."""
    results = {}
    with DemoSites(port=0) as sites:
        for article in sites.catalog.articles:
            if article.status != 200:
                continue
            url = sites.url(article)
            with urllib.request.urlopen(url, timeout=10) as response:
                html, headers = response.read(), dict(response.headers)
            results[article.key] = (
                article,
                extract_article(html, url, headers=headers),
                dict(sites.base_urls),
            )
    return results


def expected_body(article, fields) -> str:
    # The extractor starts the body with a visible standfirst (the news-archive
    # convention of the fundus corpus); the catalogue keeps it in `description`.
    paragraphs = list(article.body)
    if article.description and fields["body"].startswith(article.description):
        paragraphs.insert(0, article.description)
    return "\n\n".join(paragraphs)


def test_every_family_is_covered(served):
    families = {article.source_id for article, _, _ in served.values()}
    assert families == {"popwire", "stagescreen", "dailygossip", "showbizbulletin"}


@pytest.mark.parametrize("key", ARTICLES)
def test_demo_article(key, served):
    article, fields, _ = served[key]
    assert fields["title"] == article.title
    assert fields["authors"] == article.authors
    assert date_match(fields["published_at"], article.published_at), (
        fields["published_at"],
        article.published_at,
    )
    # every demo page states the time too: the archive keeps the instant, not just the day
    assert datetime.fromisoformat(fields["published_at"]) == datetime.fromisoformat(
        article.published_at
    )
    f1 = body_scores(fields["body"], expected_body(article, fields))[2]
    assert f1 >= MIN_BODY_F1, f"body F1 {f1:.3f}"


@pytest.mark.parametrize("key", ARTICLES)
def test_demo_article_metadata(key, served):
    article, fields, base_urls = served[key]
    assert fields["canonical_url"] == article.canonical_url(base_urls)
    assert fields["language"] == article.language
    assert fields["section"] == article.section
    assert [t.casefold() for t in fields["tags"]] == [t.casefold() for t in article.tags]
    assert bool(fields["is_paywalled"]) == article.paywalled
    if article.description:
        assert fields["description"] == article.description
    if article.modified_at:
        assert date_match(fields["modified_at"], article.modified_at)
    if article.image:
        assert fields["image_url"].endswith(article.image)
