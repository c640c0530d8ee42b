"""De-duplication rules, shared by the crawl's dedupe step and the Redis ingester.

One article per canonical URL, and one copy of a syndicated story:

* within one crawl run (one WARC series), a second page with an already-seen canonical
  URL or identical content is a duplicate, unless it is the original (its URL is the
  canonical URL) and the first was a syndicated copy: the original then replaces the
  copy in the archive, and the copy is recorded as the duplicate;
* against the archive, a copy hosted elsewhere of a story whose original we hold (its
  canonical URL points at the other publisher) is a duplicate, and so is a page whose
  content equals an archived article under another canonical URL;
* a refetch of an archived article is not a duplicate: it goes on to be updated.
"""

from __future__ import annotations

from array import array
from typing import Any, Protocol

from newscrawl.compact import DigestMap, StringLog, digest64
from newscrawl.items import Article
from newscrawl.urls import site_of


class ArchiveLookups(Protocol):
    def archived_page(self, url: str) -> dict | None: ...

    def article_with_hash(self, content_hash: str) -> dict | None: ...


class _SeriesMemory:
    """What one WARC series (one run) kept: for each article it let through, an entry
    with the URL it was fetched from and its canonical URL's digest; the entries are
    found by canonical-URL digest and by content digest.

    60-110 bytes an article (the URL's compressed text and 4-byte end, the 8-byte
    canonical digest, two 12-byte map slots at most 2/3 full), where dicts of str keys
    and values held ~400 (docs/benchmarks.md).
    Digests are 64 bits: two different canonical URLs (or contents) share one with a
    chance of about n**2 / 2**65 over a run of n articles (3 in a million at 10 million
    articles), which would drop the second as a duplicate."""

    def __init__(self) -> None:
        self.urls = StringLog()
        self.canonicals = array("Q")
        self.by_canonical = DigestMap()
        self.by_content = DigestMap()

    def remember(self, url: str, canonical: int, content: int) -> None:
        entry = self.urls.append(url)
        self.canonicals.append(canonical)
        self.by_canonical[canonical] = entry
        self.by_content[content] = entry


class Deduplicator:
    """Remembers what a run has seen and applies the rules above."""

    def __init__(self) -> None:
        # WARC series -> what was first seen there. This memory grows with every article
        # a run keeps, so it holds no Python object per article (newscrawl.compact).
        self.seen: dict[str, _SeriesMemory] = {}

    @staticmethod
    def fetch_series(article: Article) -> str:
        # One crawl run fetches a URL once; a replay of WARC files holds one record per
        # fetch, so "seen in this run" means seen in the same WARC series.
        return (article.warc_file or "").rsplit("-", 1)[0]

    def duplicate_of(self, article: Article, archive: ArchiveLookups | Any) -> str | None:
        """Why ``article`` is a duplicate (a sentence naming the original), or None.

        A non-duplicate is remembered, so call this once per article, in order.
        """
        memory = self.seen.get(self.fetch_series(article))
        if memory is None:
            memory = self.seen[self.fetch_series(article)] = _SeriesMemory()
        is_original = article.url == article.canonical_url
        canonical = digest64(article.canonical_url)
        content = _content_digest(article.content_hash)
        for what, found in (
            ("canonical URL", memory.by_canonical.get(canonical)),
            ("content", memory.by_content.get(content)),
        ):
            if found is None:
                continue
            first_url = memory.urls[found]
            # The original, seen after a syndicated copy of it (whose canonical URL is
            # this URL), replaces the copy.
            replaces_copy = (
                is_original and memory.canonicals[found] == canonical and first_url != article.url
            )
            if not replaces_copy:
                return f"same {what} as {first_url}"
        existing = archive.archived_page(article.canonical_url)
        if existing is not None:
            original = site_of(article.canonical_url)
            if site_of(article.url) != original and site_of(existing["url"]) == original:
                return f"syndicated copy of {existing['url']}"
        else:
            same = archive.article_with_hash(article.content_hash)
            if same is not None and same["canonical_url"] != article.canonical_url:
                return f"same content as {same['url']}"
        memory.remember(article.url, canonical, content)
        return None


_HEX_DIGITS = frozenset("0123456789abcdefABCDEF")


def _content_digest(content_hash: str) -> int:
    """The content hash (sha256 hex) as a 64-bit digest: its first 16 hex digits, which
    are already uniform. Anything else (a hand-made item) is hashed."""
    head = content_hash[:16]
    if len(head) == 16 and _HEX_DIGITS.issuperset(head):
        return int(head, 16) or 1
    return digest64(content_hash)
