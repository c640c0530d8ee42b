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

from typing import Any, Protocol

from newscrawl.items import Article
from newscrawl.urls import site_of


class ArchiveLookups(Protocol):
    def archived_page(self, url: str) -> dict | None: ...

    def article_with_hash(self, content_hash: str) -> dict | None: ...


class Deduplicator:
    """Remembers what a run has seen and applies the rules above."""

    def __init__(self) -> None:
        # WARC series → {canonical URL or content digest: what was first seen there}.
        # This memory grows with every article a run keeps, so it is kept compact: one
        # dict per series instead of a tuple key per article; the content hash as its
        # 32 raw bytes, not 64 hex characters; the first-seen page as its URL alone when
        # that is its canonical URL (almost always), the two URL strings shared with
        # both keys. ~300 bytes an article instead of ~640 (tests/test_dedupe.py).
        self.seen: dict[str, dict[str | bytes, str | tuple[str, str]]] = {}

    @staticmethod
    def fetch_series(article: Article) -> str:
        # One crawl run fetches a URL once; a replay of WARC files holds one record per
        # fetch, so "seen in this run" means seen in the same WARC series.
        return (article.warc_file or "").rsplit("-", 1)[0]

    def duplicate_of(self, article: Article, archive: ArchiveLookups | Any) -> str | None:
        """Why ``article`` is a duplicate (a sentence naming the original), or None.

        A non-duplicate is remembered, so call this once per article, in order.
        """
        seen = self.seen.setdefault(self.fetch_series(article), {})
        is_original = article.url == article.canonical_url
        digest = _digest(article.content_hash)
        for key in (article.canonical_url, digest):
            first = seen.get(key)
            if first is None:
                continue
            first_url, first_canonical = (first, first) if isinstance(first, str) else first
            replaces_copy = (
                is_original and first_canonical == article.url and first_url != article.url
            )
            if not replaces_copy:
                what = "canonical URL" if key == article.canonical_url else "content"
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
        first = article.url if is_original else (article.url, article.canonical_url)
        seen[article.canonical_url] = first
        seen[digest] = first
        return None


def _digest(content_hash: str) -> str | bytes:
    """The content hash (sha256 hex) as its raw bytes: half the memory, and never equal
    to a URL key. Anything that is not hex (a hand-made item) is kept as it is,
    prefixed so it cannot collide with a URL."""
    try:
        return bytes.fromhex(content_hash)
    except ValueError:
        return "\0" + content_hash
