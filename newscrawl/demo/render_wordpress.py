"""PopWire: a WordPress + Yoast SEO style site.

Exercises: Yoast JSON-LD ``@graph`` (NewsArticle, WebPage, Person, ...), RSS 2.0 at
``/feed/``, a sitemap index with a gzipped child, a Google News sitemap, tag pages with
``/page/N/`` pagination, a paywalled article, a syndicated copy with a cross-site
canonical, a URL that always answers 500, and the project's seed article.
"""

from __future__ import annotations

import gzip
import re
from datetime import datetime

from newscrawl.demo.common import (
    Response,
    esc,
    html_response,
    long_date,
    page_slice,
    redirect,
    slugify,
    xml_response,
)
from newscrawl.demo.model import DemoArticle, DemoPage
from newscrawl.demo.site import Site
from newscrawl.demo.wordpress_xml import feed_xml, news_sitemap_xml, urlset_xml, yoast_graph

SECTIONS = ["Music", "Tours", "Festivals", "Awards", "Film & TV", "Style", "Features", "Radio"]
STATIC = {
    "/about/": (
        "About PopWire",
        "PopWire covers pop music, tours and charts. This is a fictional demo site.",
    ),
    "/contact/": ("Contact", "Tips and corrections: newsroom@popwire.invalid"),
    "/privacy-policy/": ("Privacy Policy", "This demo site sets no cookies."),
    "/subscribe/": ("Subscribe to PopWire Plus", "Members read every story in full."),
}
_ARTICLE = re.compile(r"^/(\d{4})/(\d{2})/([a-z0-9-]+)/?$")
_ARCHIVE = re.compile(r"^/(tag|category|author)/([a-z0-9-]+)/(?:page/(\d+)/)?$")
_HOME = re.compile(r"^/(?:page/(\d+)/)?$")
_POST_SITEMAP = re.compile(r"^/post-sitemap(\d*)\.xml(\.gz)?$")


class WordPressSite(Site):
    family = "wordpress"
    always_modified = True
    image_prefixes = ("/wp-content/uploads/",)
    robots_txt = (
        "User-agent: *\nDisallow: /wp-admin/\nAllow: /wp-admin/admin-ajax.php\n\n"
        "Sitemap: {origin}/sitemap_index.xml\nSitemap: {origin}/news-sitemap.xml\n"
    )

    @classmethod
    def article_path(cls, *, slug, title, published, number, kind, premium) -> str:
        return f"/{published:%Y}/{published:%m}/{slug}/"

    @classmethod
    def image_path(cls, path: str, published: datetime, number: int) -> str:
        return f"/wp-content/uploads/{published:%Y}/{published:%m}/{path.rstrip('/').rsplit('/', 1)[1]}.jpg"

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.per_page = 25 if self.scaled else 10
        self.tag_per_page = 20 if self.scaled else 5
        self.feed_size = 50 if self.scaled else 10
        self.sitemap_size = 1000 if self.scaled else 15
        self.archives: dict[str, dict[str, tuple[str, list[DemoArticle]]]] = {
            "tag": {},
            "category": {},
            "author": {},
        }
        for article in self.visible:
            for kind, names in (
                ("tag", article.tags),
                ("category", [article.section] if article.section else []),
                ("author", article.authors),
            ):
                for name in names:
                    entry = self.archives[kind].setdefault(slugify(name), (name, []))
                    entry[1].append(article)
        self.by_post_id = {1000 + a.extra["number"]: a for a in self.visible}
        in_sitemap = [a for a in self.visible if a.syndicated_from is None]
        in_sitemap.sort(key=lambda a: (a.published_dt, a.path))
        self.sitemap_chunks = [
            in_sitemap[i : i + self.sitemap_size]
            for i in range(0, len(in_sitemap), self.sitemap_size)
        ] or [[]]

    # --- channels -----------------------------------------------------------------

    def channel_members(self) -> dict[str, list[DemoArticle]]:
        artist_pages = []
        for name in self.watchlist:
            artist_pages += self.archives["tag"].get(slugify(name), ("", []))[1]
        return {
            "listing": self.visible,
            "rss": self.visible[: self.feed_size],
            "sitemap": [a for chunk in self.sitemap_chunks for a in chunk],
            "news-sitemap": self.recent_news(),
            "artist-page": artist_pages,
        }

    def other_pages(self) -> list[DemoPage]:
        return [
            DemoPage(self.publisher.id, path, "page", frozenset({"sitemap"}))
            for path in ["/", *STATIC]
        ]

    # --- routing ------------------------------------------------------------------

    def route(self, path, query, origin) -> Response | None:
        if (match := _ARTICLE.match(path)) and path.endswith("/"):
            article = self.by_path.get(path)
            return self.article_response(article, origin) if article else None
        if match and path + "/" in self.by_path:
            return redirect(origin[self.publisher.id] + path + "/")
        if path == "/" and query.get("p", "").isdigit():
            # The feed's guid is WordPress's ?p=ID shortlink, which redirects.
            article = self.by_post_id.get(int(query["p"]))
            return redirect(self.url(article, origin)) if article else None
        if match := _HOME.match(path):
            return self.archive_page(
                "/", "Latest", self.visible, int(match.group(1) or 1), self.per_page, origin
            )
        if match := _ARCHIVE.match(path):
            kind, slug, page = match.group(1), match.group(2), int(match.group(3) or 1)
            if slug not in self.archives[kind]:
                return None
            name, items = self.archives[kind][slug]
            per_page = self.tag_per_page if kind == "tag" else self.per_page
            return self.archive_page(f"/{kind}/{slug}/", name, items, page, per_page, origin)
        if path in STATIC:
            title, text = STATIC[path]
            return html_response(
                self.frame(title, f"<h1>{esc(title)}</h1><p>{esc(text)}</p>", origin)
            )
        if path == "/feed/":
            return xml_response(
                feed_xml(self, self.visible[: self.feed_size], origin),
                "application/rss+xml; charset=UTF-8",
            )
        if path == "/sitemap_index.xml":
            return xml_response(self.sitemap_index(origin))
        if match := _POST_SITEMAP.match(path):
            number = int(match.group(1) or 1)
            if match.group(1) == "1" or not 1 <= number <= len(self.sitemap_chunks):
                return None
            data = urlset_xml(self, self.sitemap_chunks[number - 1], origin).encode("utf-8")
            if match.group(2):
                return Response(200, gzip.compress(data, mtime=0), "application/x-gzip")
            return Response(200, data, "application/xml; charset=utf-8")
        if path == "/page-sitemap.xml":
            pages = [(origin[self.publisher.id] + p, None) for p in ["/", *STATIC]]
            return xml_response(urlset_xml(self, [], origin, extra=pages))
        if path == "/news-sitemap.xml":
            return xml_response(news_sitemap_xml(self, self.recent_news(), origin))
        return None

    def sitemap_url(self, number: int, origin) -> str:
        name = "post-sitemap.xml" if number == 1 else f"post-sitemap{number}.xml"
        return f"{origin[self.publisher.id]}/{name}{'.gz' if number == 2 else ''}"

    def sitemap_index(self, origin) -> str:
        rows = []
        for number, chunk in enumerate(self.sitemap_chunks, 1):
            lastmod = max((a.lastmod_dt for a in chunk), default=None)
            rows.append((self.sitemap_url(number, origin), lastmod))
        rows.append((origin[self.publisher.id] + "/page-sitemap.xml", None))
        body = "".join(
            f"<sitemap><loc>{esc(loc)}</loc>"
            + (f"<lastmod>{lastmod.isoformat()}</lastmod>" if lastmod else "")
            + "</sitemap>\n"
            for loc, lastmod in rows
        )
        return (
            '<?xml version="1.0" encoding="UTF-8"?>\n'
            '<sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">\n'
            f"{body}</sitemapindex>\n"
        )

    # --- pages ----------------------------------------------------------------------

    def frame(self, title: str, main: str, origin, *, head: str = "", body_class: str = "") -> str:
        home = origin[self.publisher.id]
        nav = "".join(
            f'<li class="menu-item"><a href="{home}/category/{slugify(s)}/">{esc(s)}</a></li>'
            for s in SECTIONS
        )
        return (
            '<!DOCTYPE html>\n<html lang="en-US">\n<head>\n<meta charset="UTF-8">\n'
            '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
            f"<title>{esc(title)} | PopWire</title>\n{head}"
            f'<link rel="alternate" type="application/rss+xml" title="PopWire &raquo; Feed" href="{home}/feed/">\n'
            f'</head>\n<body class="{body_class}">\n'
            f'<header id="masthead" class="site-header"><p class="site-title"><a href="{home}/" rel="home">PopWire</a></p>'
            '<p class="site-description">Pop news, tours and charts</p>'
            f'<nav id="site-navigation" class="main-navigation"><ul id="primary-menu" class="menu">{nav}</ul></nav></header>\n'
            f'<main id="primary" class="site-main">\n{main}\n</main>\n'
            '<footer id="colophon" class="site-footer"><nav class="footer-menu">'
            f'<a href="{home}/about/">About</a> · <a href="{home}/contact/">Contact</a> · '
            f'<a href="{home}/privacy-policy/">Privacy Policy</a> · <a href="{home}/subscribe/">Subscribe</a></nav>'
            "<p>© 2026 PopWire. A fictional demo publisher.</p></footer>\n</body>\n</html>\n"
        )

    def byline(self, article: DemoArticle, origin) -> str:
        home = origin[self.publisher.id]
        return " and ".join(
            f'<span class="author vcard"><a class="url fn n" href="{home}/author/{slugify(n)}/" rel="author">{esc(n)}</a></span>'
            for n in article.authors
        )

    def archive_page(self, base: str, name: str, items, page: int, per_page: int, origin):
        sliced = page_slice(items, page, per_page)
        if sliced is None:
            return None
        shown, pages = sliced
        home = origin[self.publisher.id]

        def page_url(n: int) -> str:
            return f"{home}{base}" if n == 1 else f"{home}{base}page/{n}/"

        posts = "".join(
            f'<article class="post type-post"><header class="entry-header"><h2 class="entry-title">'
            f'<a href="{self.url(a, origin)}" rel="bookmark">{esc(a.title)}</a></h2>'
            f'<div class="entry-meta"><time class="entry-date published" datetime="{a.published_at}">'
            f"{long_date(a.published_dt)}</time> by {self.byline(a, origin)}</div></header>"
            f'<div class="entry-summary"><p>{esc(a.description or "")}</p></div></article>\n'
            for a in shown
        )
        head, links = "", []
        if page > 1:
            head += f'<link rel="prev" href="{page_url(page - 1)}">\n'
            links.append(f'<a class="prev page-numbers" href="{page_url(page - 1)}">« Previous</a>')
        links += [
            f'<a class="page-numbers" href="{page_url(n)}">{n}</a>'
            if n != page
            else f'<span aria-current="page" class="page-numbers current">{n}</span>'
            for n in range(max(1, page - 2), min(pages, page + 2) + 1)
        ]
        if page < pages:
            head += f'<link rel="next" href="{page_url(page + 1)}">\n'
            links.append(
                f'<a class="next page-numbers" rel="next" href="{page_url(page + 1)}">Next »</a>'
            )
        title = name if base == "/" else f"{name} Archives"
        main = (
            f'<header class="page-header"><h1 class="page-title">{esc(title)}</h1></header>\n{posts}'
            f'<nav class="navigation pagination" aria-label="Posts"><div class="nav-links">{"".join(links)}</div></nav>'
        )
        head = f'<link rel="canonical" href="{page_url(page)}">\n' + head
        return html_response(self.frame(title, main, origin, head=head, body_class="archive"))

    def render_article(self, article: DemoArticle, origin) -> Response:
        home = origin[self.publisher.id]
        canonical = self.canonical_url(article, origin)
        image = home + article.image
        graph = yoast_graph(self, article, origin)
        head = (
            f'<meta name="description" content="{esc(article.description or "")}">\n'
            f'<link rel="canonical" href="{canonical}">\n'
            '<meta property="og:locale" content="en_US">\n<meta property="og:type" content="article">\n'
            f'<meta property="og:title" content="{esc(article.title)}">\n'
            f'<meta property="og:description" content="{esc(article.description or "")}">\n'
            f'<meta property="og:url" content="{canonical}">\n<meta property="og:site_name" content="PopWire">\n'
            f'<meta property="article:published_time" content="{article.published_at}">\n'
            f'<meta property="article:modified_time" content="{article.modified_at}">\n'
            f'<meta property="og:image" content="{image}">\n'
            f'<meta name="author" content="{esc(", ".join(article.authors))}">\n'
            f'<script type="application/ld+json" class="yoast-schema-graph">{graph}</script>\n'
        )
        paragraphs = "\n".join(f"<p>{esc(p)}</p>" for p in article.body)
        if article.paywalled:
            paragraphs += (
                '\n<div class="paywall"><div class="subscribe-box"><h3>Subscribe to read</h3>'
                "<p>This story is for PopWire Plus members. Subscribe to read the rest.</p>"
                f'<a class="button" href="{home}/subscribe/">Subscribe</a></div></div>'
            )
        notes = ""
        if article.extra.get("seed"):
            notes += (
                '<p class="source-note">This article was originally published by The Inquisitr.</p>'
            )
        if article.syndicated_from:
            notes += f'<p class="source-note">This story originally appeared on <a href="{canonical}">Stage &amp; Screen Monthly</a>.</p>'
        tags = ", ".join(
            f'<a href="{home}/tag/{slugify(t)}/" rel="tag">{esc(t)}</a>' for t in article.tags
        )
        section = article.section or ""
        main = (
            f'<article id="post-{1000 + article.extra["number"]}" class="post type-post status-publish">\n'
            f'<header class="entry-header"><span class="cat-links"><a href="{home}/category/{slugify(section)}/" rel="category tag">{esc(section)}</a></span>'
            f'<h1 class="entry-title">{esc(article.title)}</h1>\n<div class="entry-meta">By {self.byline(article, origin)} · '
            f'<time class="entry-date published" datetime="{article.published_at}">{long_date(article.published_dt)}</time>'
            f'<time class="updated" datetime="{article.modified_at}">{long_date(article.modified_dt)}</time></div></header>\n'
            f'<figure class="post-thumbnail"><img src="{image}" alt="" width="1200" height="675"></figure>\n'
            f'<div class="entry-content">\n{paragraphs}\n</div>\n{notes}'
            f'<footer class="entry-footer"><span class="tags-links">Tagged {tags}</span></footer>\n'
            '<div class="sharedaddy"><h3 class="sd-title">Share this:</h3><ul><li><a class="share-x" href="#">X</a></li>'
            '<li><a class="share-facebook" href="#">Facebook</a></li></ul></div>\n'
            '</article>\n<div id="comments" class="comments-area"><div id="respond" class="comment-respond">'
            '<h3 id="reply-title" class="comment-reply-title">Leave a Reply</h3>'
            '<p class="comment-notes">Your email address will not be published.</p></div></div>'
        )
        return html_response(
            self.frame(article.title, main, origin, head=head, body_class="single single-post")
        )
