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
    """A run's dedupe memory grows with every article it keeps: ~400 bytes an article
    with str keys and values in dicts (a 71-character URL), 60-80 in flat arrays.

    Measured as in a crawl: each article is built as the extract step builds it (its
    canonical URL a string of its own, from canonicalize_url) and let go once the rules
    have seen it, so what stays is what the memory keeps alive."""
    from newscrawl.urls import canonicalize_url

    dedupe = Deduplicator()
    archive = NothingArchived()

    def page(n):
        url = f"https://www.example-publisher.com/2026/12/07/a-story-about-an-artist-{n}/"
        return Article(
            url=url,
            canonical_url=canonicalize_url(url),
            source_id="popwire",
            content_hash=hashlib.sha256(str(n).encode()).hexdigest(),
            warc_file=f"{SERIES}-00000.warc.gz",
        )

    count = 20_000
    dedupe.duplicate_of(page(-1), archive)  # the series' memory exists
    canonicalize_url.cache_clear()  # its cache of URLs is not the dedupe's
    tracemalloc.start()
    try:
        before = tracemalloc.get_traced_memory()[0]
        for n in range(count):
            assert dedupe.duplicate_of(page(n), archive) is None
        canonicalize_url.cache_clear()
        per_article = (tracemalloc.get_traced_memory()[0] - before) / count
    finally:
        tracemalloc.stop()
    assert per_article < 200, f"{per_article:.0f} bytes per article"
    # The memory grew many times over on the way; the first and the last are found.
    for n in (0, count // 2, count - 1):
        url = page(n).url
        amp = Article(
            url=url + "amp/",
            canonical_url=url,
            source_id="popwire",
            content_hash=hashlib.sha256(b"amp").hexdigest(),
            warc_file=f"{SERIES}-00001.warc.gz",
        )
        assert dedupe.duplicate_of(amp, archive) == f"same canonical URL as {url}"
        copy = Article(
            url=f"https://other.example/{n}/",
            canonical_url=f"https://other.example/{n}/",
            source_id="popwire",
            content_hash=hashlib.sha256(str(n).encode()).hexdigest(),
            warc_file=f"{SERIES}-00001.warc.gz",
        )
        assert dedupe.duplicate_of(copy, archive) == f"same content as {url}"
