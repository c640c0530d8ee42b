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
        # (WARC series, canonical URL or content hash) → (url, canonical URL) first seen
        self.seen: dict[tuple[str, str], tuple[str, str]] = {}

    @staticmethod
    def fetch_series(article: Article) -> str:
        # One crawl run fetches a URL once; a replay of WARC files holds one record per
        # fetch, so "seen in this run" means seen in the same WARC series.
        return (article.warc_file or "").rsplit("-", 1)[0]

    def duplicate_of(self, article: Article, archive: ArchiveLookups | Any) -> str | None:
        """Why ``article`` is a duplicate (a sentence naming the original), or None.

        A non-duplicate is remembered, so call this once per article, in order.
        """
        series = self.fetch_series(article)
        is_original = article.url == article.canonical_url
        for key in ((series, article.canonical_url), (series, article.content_hash)):
            first = self.seen.get(key)
            if first is None:
                continue
            first_url, first_canonical = first
            replaces_copy = (
                is_original and first_canonical == article.url and first_url != article.url
            )
            if not replaces_copy:
                what = "canonical URL" if key[1] == article.canonical_url else "content"
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
        self.seen[(series, article.canonical_url)] = (article.url, article.canonical_url)
        self.seen[(series, article.content_hash)] = (article.url, article.canonical_url)
        return None
