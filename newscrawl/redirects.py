"""Where an article request's redirects ended: on an article page, or on a page that is
not one (the home page a removed story redirects to, a section page).

Scrapy follows redirects before the spider sees the answer. A publisher that takes a
story down often redirects its URL to the home page (or the story's section) instead of
answering 404: the home page then reached the extract step as the "article", was
archived (its headlines mention every watched artist), and the story's URL was recorded
as redirecting to it, so later runs took the home page for the story.
"""

from __future__ import annotations

from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from newscrawl.urls import canonicalize_url, domain_allowed

if TYPE_CHECKING:
    from newscrawl.sources import Source

# Paths a site's front page is served under besides "/".
INDEX_PATHS = frozenset({"/", "/index.html", "/index.htm", "/index.php", "/home"})


def is_home_page(url: str, source: Source) -> bool:
    """True when ``url`` is the source's home page, or the front page of one of its hosts."""
    canonical = canonicalize_url(url)
    if canonical == canonicalize_url(source.homepage):
        return True
    parts = urlsplit(canonical)
    return not parts.query and parts.path.lower() in INDEX_PATHS


def redirected_off_articles(
    source: Source, final_url: str, *, archived: bool
) -> tuple[str, str] | None:
    """``(reason, detail)`` of the ``fetch`` drop for an article request whose redirects
    ended on ``final_url`` (on the source's domains), or None when that is an article.

    The home page means the story is gone: ``removed``, like a 404 (``archived``: the
    archived version is kept). Any other page the source's ``article_url`` does not match
    (a section or tag page) is ``off_pattern``, as a discovered link would be.
    """
    if not domain_allowed(final_url, source.allowed_domains):
        return None  # an offsite redirect: the caller's offsite drop
    if is_home_page(final_url, source):
        kept = "; the archived version is kept" if archived else ""
        return "removed", f"redirected to the home page {final_url}: the story is gone{kept}"
    if not source.is_article_url(final_url):
        return (
            "off_pattern",
            f"redirected to {final_url}, which does not match {source.article_url}",
        )
    return None
