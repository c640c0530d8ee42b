"""De-duplication rules, shared by the crawl's dedupe step and the Redis ingester.

One article per canonical URL, and one copy of a syndicated story:

* within one crawl run (one WARC series), a second page with an already-seen canonical
  URL or identical content is a duplicate;
* against the archive, a copy hosted elsewhere of a story whose original we hold (its
  canonical URL points at the other publisher) is a duplicate, and so is a page whose
  content equals an archived article under another canonical URL;
* a refetch of an archived article is not a duplicate: it goes on to be updated.
"""

from __future__ import annotations

from typing import Any, Protocol

from newscrawl.items import Article
from newscrawl.urls import hostname


class ArchiveLookups(Protocol):
    def archived_page(self, url: str) -> dict | None: ...

    def article_with_hash(self, content_hash: str) -> dict | None: ...


class Deduplicator:
    """Remembers what a run has seen and applies the rules above."""

    def __init__(self) -> None:
        self.seen_canonical: dict[tuple[str, str], str] = {}
        self.seen_hash: dict[tuple[str, str], str] = {}

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
        first = self.seen_canonical.get((series, article.canonical_url))
        if first is not None:
            return f"same canonical URL as {first}"
        first = self.seen_hash.get((series, article.content_hash))
        if first is not None:
            return f"same content as {first}"
        existing = archive.archived_page(article.canonical_url)
        if existing is not None:
            original = hostname(article.canonical_url)
            if hostname(article.url) != original and hostname(existing["url"]) == original:
                return f"syndicated copy of {existing['url']}"
        else:
            same = archive.article_with_hash(article.content_hash)
            if same is not None and same["canonical_url"] != article.canonical_url:
                return f"same content as {same['url']}"
        self.seen_canonical[(series, article.canonical_url)] = article.url
        self.seen_hash[(series, article.content_hash)] = article.url
        return None
