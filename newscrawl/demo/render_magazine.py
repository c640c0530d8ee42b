"""Stage & Screen Monthly: a magazine with OpenGraph and schema.org microdata, no JSON-LD.

Exercises: ``og:``/``article:`` meta tags, ``itemprop`` microdata (NewsArticle, Person,
``<time itemprop=datePublished datetime>``, ``articleBody``), pull quotes inside the
article body, an Atom feed, a paginated ``/latest`` listing, a ``/search?q=`` artist
page template, two URL shapes (``/features/slug`` and ``/news/slug.html``), the
original of a syndicated story, and (edition 2) an article that answers 410 Gone.
"""

from __future__ import annotations

import re
from datetime import datetime
from urllib.parse import quote_plus

from newscrawl.demo.common import (
    Response,
    esc,
    fold,
    html_response,
    page_number,
    page_slice,
    slugify,
    xml_response,
)
from newscrawl.demo.model import DemoArticle
from newscrawl.demo.site import Site

STATIC = {
    "/about": (
        "About us",
        "Stage & Screen Monthly covers music, theatre, film and television. A fictional demo publisher.",
    ),
    "/contact": ("Contact", "Letters to the editor: letters@stagescreen.invalid"),
    "/subscribe": ("Subscribe", "Twelve issues a year, delivered."),
}
_CONTRIBUTOR = re.compile(r"^/contributors/([a-z0-9-]+)$")


def human_date(moment: datetime) -> str:
    return f"{moment.day} {moment:%B %Y}"


class MagazineSite(Site):
    family = "magazine"
    always_modified = True
    image_prefixes = ("/media/",)
    robots_txt = "User-agent: *\nDisallow: /admin/\nDisallow: /account/\n"

    @classmethod
    def article_path(cls, *, slug, title, published, number, kind, premium) -> str:
        return f"/features/{slug}" if kind == "features" else f"/news/{slug}.html"

    @classmethod
    def image_path(cls, path: str, published: datetime, number: int) -> str:
        stem = path.rsplit("/", 1)[1].removesuffix(".html")
        return f"/media/{published:%Y/%m}/{stem}-hero.jpg"

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.per_page = 25 if self.scaled else 8
        self.search_per_page = 20 if self.scaled else 4
        self.feed_size = 50 if self.scaled else 15
        self.haystack = {
            id(a): fold(" ".join([a.title, a.description or "", *a.tags])) for a in self.visible
        }

    def search(self, query: str) -> list[DemoArticle]:
        """Site search: every word of the query in the title, standfirst or tags."""
        words = fold(query).split()
        if not words:
            return []
        return [a for a in self.visible if all(w in self.haystack[id(a)] for w in words)]

    def channel_members(self) -> dict[str, list[DemoArticle]]:
        found: dict[int, DemoArticle] = {}
        for name in self.watchlist:
            found.update((id(a), a) for a in self.search(name))
        return {
            "listing": self.visible,
            "atom": self.visible[: self.feed_size],
            "artist-page": list(found.values()),
        }

    # --- routing ------------------------------------------------------------------

    def route(self, path, query, origin) -> Response | None:
        if path.startswith(("/features/", "/news/")) and path in self.by_path:
            return self.article_response(self.by_path[path], origin)
        page = page_number(query.get("page"))
        if page is None:
            return None
        if path == "/":
            return self.home(origin)
        if path == "/latest":
            return self.listing("/latest", "Latest", self.visible, page, self.per_page, origin)
        if path in ("/features/", "/news/"):
            kind = path.strip("/")
            items = [
                a
                for a in self.visible
                if (a.extra.get("kind") == "features") == (kind == "features")
            ]
            return self.listing(path, kind.title(), items, page, self.per_page, origin)
        if path == "/search":
            q = query.get("q", "").strip()
            items = self.search(q)
            return self.listing(
                "/search",
                f"Search results for “{q}”" if q else "Search",
                items,
                page,
                self.search_per_page,
                origin,
                query=q,
            )
        if match := _CONTRIBUTOR.match(path):
            items = [a for a in self.visible if match.group(1) in map(slugify, a.authors)]
            if not items:
                return None
            name = next(n for n in items[0].authors if slugify(n) == match.group(1))
            return self.listing(path, name, items, page, self.per_page, origin)
        if path in STATIC:
            title, text = STATIC[path]
            return html_response(
                self.frame(title, f"<h1>{esc(title)}</h1><p>{esc(text)}</p>", origin)
            )
        if path == "/atom.xml":
            return xml_response(self.atom(origin), "application/atom+xml; charset=utf-8")
        return None

    # --- pages ----------------------------------------------------------------------

    def frame(self, title: str, main: str, origin, *, head: str = "") -> str:
        home = origin[self.publisher.id]
        return (
            '<!DOCTYPE html>\n<html lang="en-GB">\n<head>\n<meta charset="utf-8">\n'
            f"<title>{esc(title)} — Stage &amp; Screen Monthly</title>\n{head}"
            f'<link rel="alternate" type="application/atom+xml" href="{home}/atom.xml" title="Stage &amp; Screen Monthly">\n'
            "</head>\n<body>\n"
            f'<header class="masthead"><a class="logo" href="{home}/">Stage &amp; Screen Monthly</a>\n'
            f'<nav><a href="{home}/latest">Latest</a> <a href="{home}/features/">Features</a> '
            f'<a href="{home}/news/">News</a> <a href="{home}/about">About</a> '
            f'<a href="{home}/contact">Contact</a> <a href="{home}/subscribe">Subscribe</a></nav>\n'
            f'<form class="search" action="{home}/search" method="get"><input type="search" name="q" '
            'placeholder="Search"><button>Search</button></form></header>\n'
            f"<main>\n{main}\n</main>\n"
            "<footer><p>© 2026 Stage &amp; Screen Monthly. A fictional demo publisher; "
            "all articles are invented.</p></footer>\n</body>\n</html>\n"
        )

    def card(self, a: DemoArticle, origin) -> str:
        return (
            f'<li class="card"><a class="card-link" href="{self.url(a, origin)}">{esc(a.title)}</a>'
            f'<p class="standfirst">{esc(a.description or "")}</p>'
            f'<span class="meta">{esc(a.section or "")} · {human_date(a.published_dt)}</span></li>\n'
        )

    def home(self, origin) -> Response:
        cards = "".join(self.card(a, origin) for a in self.visible[:8])
        home = origin[self.publisher.id]
        main = (
            f'<h1>This month</h1>\n<ul class="cards">\n{cards}</ul>\n'
            f'<p><a href="{home}/latest">All the latest</a></p>'
        )
        return html_response(self.frame("Music, theatre, film and television", main, origin))

    def listing(self, base, title, items, page, per_page, origin, *, query: str = ""):
        sliced = page_slice(items, page, per_page)
        if sliced is None:
            return None
        shown, pages = sliced
        home = origin[self.publisher.id]
        q = f"q={quote_plus(query)}&amp;" if query else ""

        def page_url(n: int) -> str:
            if n == 1:
                return f"{home}{base}" + (f"?{q[:-5]}" if q else "")
            return f"{home}{base}?{q}page={n}"

        head, nav = "", []
        if page > 1:
            head += f'<link rel="prev" href="{page_url(page - 1)}">\n'
            nav.append(f'<a class="prev" href="{page_url(page - 1)}">‹ Newer</a>')
        if page < pages:
            head += f'<link rel="next" href="{page_url(page + 1)}">\n'
            nav.append(f'<a class="next" rel="next" href="{page_url(page + 1)}">Older ›</a>')
        cards = "".join(self.card(a, origin) for a in shown) or "<li>No articles found.</li>"
        main = (
            f'<h1>{esc(title)}</h1>\n<ul class="cards">\n{cards}</ul>\n'
            f'<nav class="pager"><span>Page {page} of {pages}</span> {" ".join(nav)}</nav>'
        )
        return html_response(self.frame(title, main, origin, head=head))

    def render_article(self, article: DemoArticle, origin) -> Response:
        home = origin[self.publisher.id]
        url = self.url(article, origin)
        image = home + article.image
        head = (
            f'<meta name="description" content="{esc(article.description or "")}">\n'
            f'<link rel="canonical" href="{url}">\n'
            '<meta property="og:site_name" content="Stage &amp; Screen Monthly">\n'
            '<meta property="og:locale" content="en_GB">\n<meta property="og:type" content="article">\n'
            f'<meta property="og:title" content="{esc(article.title)}">\n'
            f'<meta property="og:description" content="{esc(article.description or "")}">\n'
            f'<meta property="og:url" content="{url}">\n<meta property="og:image" content="{image}">\n'
            f'<meta property="article:published_time" content="{article.published_at}">\n'
            f'<meta property="article:modified_time" content="{article.modified_at}">\n'
            + "".join(
                f'<meta property="article:author" content="{esc(n)}">\n' for n in article.authors
            )
            + f'<meta property="article:section" content="{esc(article.section or "")}">\n'
            + "".join(f'<meta property="article:tag" content="{esc(t)}">\n' for t in article.tags)
            + '<meta name="twitter:card" content="summary_large_image">\n'
        )
        paragraphs = [f"<p>{esc(p)}</p>" for p in article.body]
        if article.extra.get("pullquote") and len(paragraphs) > 2:
            paragraphs.insert(
                2, f'<aside class="pullquote"><p>{esc(article.extra["pullquote"])}</p></aside>'
            )
        authors = " and ".join(
            '<span itemprop="author" itemscope itemtype="https://schema.org/Person">'
            f'<a itemprop="url" href="{home}/contributors/{slugify(n)}"><span itemprop="name">{esc(n)}</span></a></span>'
            for n in article.authors
        )
        tags = " ".join(
            f'<a class="tag" href="{home}/search?q={quote_plus(t)}">{esc(t)}</a>'
            for t in article.tags
        )
        kicker = "Feature" if article.extra.get("kind") == "features" else "News"
        main = (
            '<article itemscope itemtype="https://schema.org/NewsArticle">\n'
            f'<p class="kicker">{kicker} · <span itemprop="articleSection">{esc(article.section or "")}</span></p>\n'
            f'<h1 itemprop="headline">{esc(article.title)}</h1>\n'
            f'<p class="standfirst" itemprop="description">{esc(article.description or "")}</p>\n'
            f'<p class="byline">By {authors} · <time itemprop="datePublished" datetime="{article.published_at}">'
            f"{human_date(article.published_dt)}</time>"
            f'<meta itemprop="dateModified" content="{article.modified_at}"></p>\n'
            '<figure itemprop="image" itemscope itemtype="https://schema.org/ImageObject">'
            f'<img itemprop="url" src="{image}" alt=""><figcaption>Photograph: Stage &amp; Screen archive</figcaption></figure>\n'
            f'<div class="article-body" itemprop="articleBody">\n{chr(10).join(paragraphs)}\n</div>\n'
            f'<footer class="tags">Filed under: {tags}</footer>\n</article>\n'
            '<aside class="newsletter"><h2>The Monthly Edit</h2><p>Our best writing, once a month.</p>'
            f'<a href="{home}/subscribe">Sign up</a></aside>'
        )
        return html_response(self.frame(article.title, main, origin, head=head))

    def atom(self, origin) -> str:
        home = origin[self.publisher.id]
        items = self.visible[: self.feed_size]
        updated = max((a.lastmod_dt for a in items), default=self.now)
        entries = []
        for a in items:
            url = self.url(a, origin)
            entries.append(
                f"<entry>\n<title>{esc(a.title)}</title>\n"
                f'<link rel="alternate" type="text/html" href="{url}"/>\n'
                f"<id>tag:stagescreen.demo,{a.published_dt:%Y-%m-%d}:{esc(a.path)}</id>\n"
                f"<published>{a.published_at}</published>\n<updated>{a.lastmod_dt.isoformat()}</updated>\n"
                + "".join(f"<author><name>{esc(n)}</name></author>\n" for n in a.authors)
                + f'<category term="{esc(a.section or "")}" label="{esc(a.section or "")}"/>\n'
                + "".join(f'<category term="{esc(t)}"/>\n' for t in a.tags)
                + f'<summary type="text">{esc(a.description or "")}</summary>\n</entry>\n'
            )
        return (
            '<?xml version="1.0" encoding="utf-8"?>\n'
            '<feed xmlns="http://www.w3.org/2005/Atom" xml:lang="en-GB">\n'
            "<title>Stage &amp; Screen Monthly</title>\n<subtitle>Music, theatre, film and television</subtitle>\n"
            f'<link rel="alternate" type="text/html" href="{home}/"/>\n'
            f'<link rel="self" type="application/atom+xml" href="{home}/atom.xml"/>\n'
            f"<id>{home}/</id>\n<updated>{updated.isoformat()}</updated>\n"
            f"{''.join(entries)}</feed>\n"
        )
