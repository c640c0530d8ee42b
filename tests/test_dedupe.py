"""The Deduplicator's in-run memory: the rules with real content hashes, and its size.

The rules themselves are also exercised through the pipeline (tests/test_pipelines.py)
and the ingester; these tests pin what the compact memory must still tell apart.
"""

from __future__ import annotations

import hashlib
import tracemalloc

from newscrawl.dedupe import Deduplicator
from newscrawl.items import Article

SERIES = "newscrawl-20261207010101-1234"


class NothingArchived:
    def archived_page(self, url):
        return None

    def article_with_hash(self, content_hash):
        return None


def article(url, canonical=None, text="body", warc_file=f"{SERIES}-00000.warc.gz"):
    return Article(
        url=url,
        canonical_url=canonical or url,
        source_id="popwire",
        content_hash=hashlib.sha256(text.encode()).hexdigest(),
        warc_file=warc_file,
    )


def test_same_canonical_url_or_content_within_a_run_is_a_duplicate():
    dedupe = Deduplicator()
    first = article("https://pop.example/a/", text="one")
    assert dedupe.duplicate_of(first, NothingArchived()) is None
    amp = article("https://pop.example/a/amp/", canonical=first.url, text="two")
    assert (
        dedupe.duplicate_of(amp, NothingArchived())
        == "same canonical URL as https://pop.example/a/"
    )
    again = article("https://pop.example/b/", text="one")
    assert dedupe.duplicate_of(again, NothingArchived()) == "same content as https://pop.example/a/"


def test_the_original_replaces_a_copy_seen_first_and_later_copies_name_the_original():
    dedupe = Deduplicator()
    copy = article("https://stage.example/c.html", canonical="https://pop.example/c/", text="c")
    assert dedupe.duplicate_of(copy, NothingArchived()) is None
    original = article("https://pop.example/c/", text="c")
    assert dedupe.duplicate_of(original, NothingArchived()) is None
    # The copy was remembered under its (url, canonical) pair, the original by its URL
    # alone: a third page with the same content names the original.
    third = article("https://other.example/c/", text="c")
    assert dedupe.duplicate_of(third, NothingArchived()) == "same content as https://pop.example/c/"


def test_another_series_is_not_a_duplicate_and_a_url_never_matches_a_hash():
    dedupe = Deduplicator()
    assert dedupe.duplicate_of(article("https://pop.example/a/"), NothingArchived()) is None
    later_run = article("https://pop.example/a/", warc_file="newscrawl-20261208-99-00000.warc.gz")
    assert dedupe.duplicate_of(later_run, NothingArchived()) is None
    # A page whose canonical URL happens to be spelled like another page's content hash.
    digest = hashlib.sha256(b"x").hexdigest()
    assert dedupe.duplicate_of(article(digest, text="y"), NothingArchived()) is None
    assert (
        dedupe.duplicate_of(article("https://pop.example/x/", text="x"), NothingArchived()) is None
    )


def test_the_memory_kept_per_article_is_small():
    """A run's dedupe memory grows with every article it keeps. Counting the map alone
    (the pages still hold their URL strings): 368 bytes an article with tuple keys and
    hex hashes, 131 now. In a crawl, where the map keeps the URL alive, ~640 → ~300."""
    dedupe = Deduplicator()
    archive = NothingArchived()
    pages = [
        article(
            f"https://www.example-publisher.com/2026/12/07/a-story-about-an-artist-{n}/",
            text=str(n),
        )
        for n in range(20_000)
    ]
    tracemalloc.start()
    try:
        before = tracemalloc.get_traced_memory()[0]
        for page in pages:
            dedupe.duplicate_of(page, archive)
        per_article = (tracemalloc.get_traced_memory()[0] - before) / len(pages)
    finally:
        tracemalloc.stop()
    # The URL strings already exist (the pages hold them); what is counted is the map.
    assert per_article < 200, f"{per_article:.0f} bytes per article"
