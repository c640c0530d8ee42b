"""The base class of a demo publisher site: routing, robots.txt, images, channel lists.

A site is built from the catalogue records of one publisher and answers requests with
:class:`~newscrawl.demo.common.Response` objects; rendering is done on request, so a
scaled site with thousands of articles starts instantly. Subclasses (one module per
markup family) define the article paths, the pages and which articles each discovery
channel lists. The same channel lists drive both the rendered pages and the
catalogue's ``channels`` field, so the two cannot drift apart.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from urllib.parse import parse_qs, urlsplit

from newscrawl.demo.common import (
    TINY_PNG,
    Response,
    html_response,
    slugify,
    text_response,
    to_utc,
)
from newscrawl.demo.model import DemoArticle, DemoPage, Publisher

NEWS_WINDOW = timedelta(hours=48)
"""Google News sitemaps list only articles published in the last two days."""


class Site:
    """One publisher. ``articles`` are all its records, removed ones included."""

    family = ""
    image_prefixes: tuple[str, ...] = ()
    robots_txt = "User-agent: *\nDisallow:\n"
    always_modified = False
    """True when every article page states a modification time (WordPress, magazine)."""
    shows_description = True
    """False when pages carry no standfirst or meta description (the legacy site)."""

    @classmethod
    def slug_for(cls, title: str) -> str:
        """The slug an article gets from its first title (later title edits keep it)."""
        return slugify(title)

    @classmethod
    def article_path(
        cls,
        *,
        slug: str,
        title: str,
        published: datetime,
        number: int,
        kind: str | None,
        premium: bool,
    ) -> str:
        """URL path (with query) of an article; ``number`` is its index in the content."""
        raise NotImplementedError

    @classmethod
    def image_path(cls, path: str, published: datetime, number: int) -> str:
        """Lead image path of the article at ``path``."""
        raise NotImplementedError

    def __init__(
        self,
        publisher: Publisher,
        articles: list[DemoArticle],
        *,
        now: datetime,
        scaled: bool,
        watchlist: list[str],
    ) -> None:
        self.publisher = publisher
        self.now = now
        self.scaled = scaled
        self.watchlist = watchlist
        self.articles = articles
        self.by_path = {a.path: a for a in articles}
        # Newest first; removed articles (410) are gone from every page.
        self.visible = sorted(
            (a for a in articles if a.status != 410),
            key=lambda a: (to_utc(a.published_dt), a.path),
            reverse=True,
        )

    # --- subclass interface -------------------------------------------------------

    def channel_members(self) -> dict[str, list[DemoArticle]]:
        """Articles listed by each discovery channel of the emitted sources.yml."""
        raise NotImplementedError

    def other_pages(self) -> list[DemoPage]:
        """Non-article URLs that a discovery channel lists."""
        return []

    def route(self, path: str, query: dict[str, str], origin: dict[str, str]) -> Response | None:
        """Answer a request, or None for 404."""
        raise NotImplementedError

    def not_found(self, origin: dict[str, str]) -> Response:
        return html_response("<!DOCTYPE html><title>Not Found</title><h1>Not Found</h1>", 404)

    def render_article(self, article: DemoArticle, origin: dict[str, str]) -> Response:
        raise NotImplementedError

    # --- shared behaviour ---------------------------------------------------------

    def handle(self, target: str, origin: dict[str, str]) -> Response:
        """Answer ``target`` (path + query); ``origin`` maps source id → ``http://host:port``."""
        parts = urlsplit(target)
        path = parts.path or "/"
        query = {k: v[0] for k, v in parse_qs(parts.query, keep_blank_values=True).items()}
        if path == "/robots.txt":
            return text_response(self.robots_txt.replace("{origin}", self.origin(origin)))
        if path == "/favicon.ico" or (
            path.startswith(self.image_prefixes) and path.endswith((".jpg", ".png", ".gif"))
        ):
            return Response(200, TINY_PNG, "image/png")
        response = self.route(path, query, origin)
        return response if response is not None else self.not_found(origin)

    def article_response(self, article: DemoArticle, origin: dict[str, str]) -> Response:
        """The page for an article record, honouring its status."""
        if article.status == 200:
            return self.render_article(article, origin)
        if article.status == 500:
            return html_response(
                "<!DOCTYPE html><title>Internal Server Error</title>"
                "<h1>Internal Server Error</h1><p>The server encountered an error.</p>",
                500,
            )
        if article.status == 410:
            return html_response(
                "<!DOCTYPE html><title>Gone</title><h1>Gone</h1>"
                "<p>This article has been removed.</p>",
                410,
            )
        return self.not_found(origin)

    def origin(self, origin: dict[str, str]) -> str:
        return origin[self.publisher.id]

    def url(self, article: DemoArticle, origin: dict[str, str]) -> str:
        return origin[article.source_id] + article.path

    def canonical_url(self, article: DemoArticle, origin: dict[str, str]) -> str:
        source_id, path = article.canonical
        return origin[source_id] + path

    def recent_news(self) -> list[DemoArticle]:
        """Articles for a Google News sitemap: published in the last 48 hours."""
        return [
            a
            for a in self.visible
            if self.now - NEWS_WINDOW <= to_utc(a.published_dt) <= self.now
            and a.syndicated_from is None
        ]

    def artist_index(self, key) -> dict[str, list[DemoArticle]]:
        """Watched artist slug → visible articles ``key(article, artist)`` selects."""
        return {slugify(name): [a for a in self.visible if key(a, name)] for name in self.watchlist}

    def related(self, article: DemoArticle, count: int) -> list[DemoArticle]:
        """The ``count`` stable articles nearest in time, earlier ones first.

        Only stable articles (unchanged in every edition) are linked from article pages,
        so an unchanged article's page is byte-identical in every edition.
        """
        stable = [a for a in self.stable_sorted() if a is not article]
        earlier = [a for a in stable if a.published_dt < article.published_dt]
        later = [a for a in reversed(stable) if a.published_dt >= article.published_dt]
        return (earlier[:count] + later)[:count]

    def stable_sorted(self) -> list[DemoArticle]:
        cached = getattr(self, "_stable", None)
        if cached is None:
            cached = [a for a in self.visible if a.extra.get("stable")]
            self._stable = cached
        return cached
