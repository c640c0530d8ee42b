"""The Daily Gossip: a messy tabloid in the style of big UK showbiz sites.

Exercises: no structured data beyond a meta description and ``og:title``; bylines and
dates only as text (``By KAYLA BRENNAN For The Daily Gossip``, ``Published: 09:31 EDT,
6 May 2025 | Updated: ...``); ads, captions with credits, "RELATED ARTICLES" and "Read
more:" blocks, share buttons and a newsletter box inside the article container;
capitalised headlines; a robots.txt-disallowed ``/premium-gossip/`` section that the
listings and the sitemap still link; a dead (404) link; an off-pattern ``/video/`` page
in the sitemap; an RSS feed.
"""

from __future__ import annotations

from datetime import datetime

from newscrawl.demo.common import (
    Response,
    esc,
    html_response,
    page_number,
    page_slice,
    rfc822,
    slugify,
    title_slug,
    xml_response,
    zone_abbreviation,
)
from newscrawl.demo.model import DemoArticle, DemoPage
from newscrawl.demo.site import Site

VIDEO_PATH = "/video/tvshowbiz/video-3011234/Red-carpet-highlights-of-the-week.html"
LISTING = "/tvshowbiz/index.html"
STATIC = {
    "/about.html": ("About The Daily Gossip", "Showbiz news, all day. A fictional demo publisher."),
    "/contact.html": ("Contact us", "Got a story? Email tips@dailygossip.invalid"),
}


class TabloidSite(Site):
    family = "tabloid"
    image_prefixes = ("/i/pix/",)
    robots_txt = (
        "User-agent: *\nDisallow: /premium-gossip/\nDisallow: /registration/\n"
        "Disallow: /search.html\n\nUser-agent: GPTBot\nDisallow: /\n\n"
        "Sitemap: {origin}/sitemap.xml\n"
    )

    @classmethod
    def slug_for(cls, title: str) -> str:
        return title_slug(title)

    @classmethod
    def article_path(cls, *, slug, title, published, number, kind, premium) -> str:
        section = "premium-gossip" if premium else "tvshowbiz"
        return f"/{section}/article-{15230411 + 3187 * number}/{slug}.html"

    @classmethod
    def image_path(cls, path: str, published: datetime, number: int) -> str:
        return f"/i/pix/{published:%Y/%m/%d}/article-{15230411 + 3187 * number}-lead.jpg"

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.per_page = 30 if self.scaled else 8
        self.feed_size = 50 if self.scaled else 10
        self.sitemap_size = 1000
        self.premium = [a for a in self.visible if a.robots_disallowed]
        ordered = sorted(self.visible, key=lambda a: (a.published_dt, a.path))
        self.sitemap_chunks = [
            ordered[i : i + self.sitemap_size] for i in range(0, len(ordered), self.sitemap_size)
        ]

    def channel_members(self) -> dict[str, list[DemoArticle]]:
        return {
            "listing": self.visible,
            "rss": self.visible[: self.feed_size],
            "sitemap": self.visible,
        }

    def other_pages(self) -> list[DemoPage]:
        return [DemoPage(self.publisher.id, VIDEO_PATH, "video", frozenset({"sitemap"}))]

    # --- routing ------------------------------------------------------------------

    def route(self, path, query, origin) -> Response | None:
        if path in self.by_path:
            return self.article_response(self.by_path[path], origin)
        page = page_number(query.get("page"))
        if page is None:
            return None
        if path in ("/", "/index.html") and page == 1:
            return self.listing_page("/", "Showbiz news", self.visible[:12], 1, 12, origin)
        if path == LISTING:
            return self.listing_page(
                LISTING, "TV&Showbiz", self.visible, page, self.per_page, origin
            )
        if path == "/premium-gossip/index.html":
            return self.listing_page(path, "Premium", self.premium, page, self.per_page, origin)
        if path.startswith("/authors/") and path.endswith(".html"):
            slug = path[len("/authors/") : -len(".html")]
            items = [a for a in self.visible if slug in map(slugify, a.authors)]
            if items:
                return self.listing_page(path, "Articles", items, page, self.per_page, origin)
            return None
        if path in STATIC:
            title, text = STATIC[path]
            return html_response(
                self.frame(title, f"<h1>{esc(title)}</h1><p>{esc(text)}</p>", origin)
            )
        if path == VIDEO_PATH:
            main = '<h1>Red carpet highlights of the week</h1><div class="vjs-player">Video player</div>'
            return html_response(self.frame("Red carpet highlights of the week", main, origin))
        if path == "/tvshowbiz/index.rss":
            return xml_response(self.rss(origin), "application/rss+xml; charset=utf-8")
        if path == "/sitemap.xml":
            return xml_response(self.sitemap(origin))
        if self.scaled and path == "/sitemaps/sitemap-video.xml":
            return xml_response(self.urlset([], origin, video=True))
        if self.scaled and path.startswith("/sitemaps/sitemap-articles-") and path.endswith(".xml"):
            number = path[len("/sitemaps/sitemap-articles-") : -4]
            chunks = self.sitemap_chunks
            if number.isdigit() and 1 <= int(number) <= len(chunks):
                return xml_response(self.urlset(chunks[int(number) - 1], origin))
        return None

    # --- pages ----------------------------------------------------------------------

    def frame(self, title: str, main: str, origin, *, head: str = "") -> str:
        home = origin[self.publisher.id]
        return (
            '<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n'
            f"<title>{esc(title)} | Daily Gossip Online</title>\n{head}</head>\n<body>\n"
            f'<div id="top" class="masthead"><a href="{home}/"><img src="{home}/i/pix/logo.png" alt="The Daily Gossip"></a>\n'
            f'<ul class="nav-primary"><li><a href="{home}/">Home</a></li><li><a href="{home}{LISTING}">TV&amp;Showbiz</a></li>'
            f'<li><a href="{home}/premium-gossip/index.html">Premium</a></li><li><a href="{home}{VIDEO_PATH}">Video</a></li>'
            f'<li><a href="{home}/about.html">About</a></li><li><a href="{home}/contact.html">Contact</a></li></ul></div>\n'
            f'<div id="content">\n{main}\n</div>\n'
            '<div class="footer">Published by The Daily Gossip, a fictional demo publisher. '
            "© Daily Gossip Ltd</div>\n</body>\n</html>\n"
        )

    def listing_page(self, base, title, items, page, per_page, origin):
        sliced = page_slice(items, page, per_page)
        if sliced is None:
            return None
        shown, pages = sliced
        home = origin[self.publisher.id]
        puffs = "".join(
            '<div class="article article-tri-headline"><h2 class="linkro-darkred">'
            + ('<span class="premium-label">PREMIUM</span> ' if a.robots_disallowed else "")
            + f'<a href="{self.url(a, origin)}">{esc(a.title)}</a></h2>'
            f"<p>{esc(a.description or '')}</p></div>\n"
            for a in shown
        )
        head, nav = "", ""
        if page < pages:
            nxt = f"{home}{base}?page={page + 1}"
            head = f'<link rel="next" href="{nxt}">\n'
            nav = f'<a class="next" rel="next" href="{nxt}">More stories ›</a>'
        main = f'<h1>{esc(title)}</h1>\n<div class="puffs">\n{puffs}</div>\n<div class="pagination">{nav}</div>'
        return html_response(self.frame(title, main, origin, head=head))

    def render_article(self, article: DemoArticle, origin) -> Response:
        home = origin[self.publisher.id]
        url = self.url(article, origin)
        zone = self.publisher.timezone

        def stamp(moment: datetime) -> str:
            return f"{moment:%H:%M} {zone_abbreviation(moment, zone)}, {moment.day} {moment:%B %Y}"

        names = " and ".join(
            f'<a class="author" href="{home}/authors/{slugify(n)}.html">{esc(n.upper())}</a>'
            for n in article.authors
        )
        dates = f'<span class="article-timestamp-published">Published: {stamp(article.published_dt)}</span>'
        if article.modified_dt:
            dates += f' | <span class="article-timestamp-updated">Updated: {stamp(article.modified_dt)}</span>'
        number = 15230411 + 3187 * article.extra["number"]
        shares = (number * 37) % 1900 + 40
        related = self.related(article, 4)
        blocks = [
            f'<div class="artSplitter mol-img-group"><img src="{home}{article.image}" alt="{esc(article.extra.get("caption", ""))}">'
            f'<p class="imageCaption">{esc(article.extra.get("caption", ""))}</p>'
            f'<span class="imageCredit">Credit: {esc(article.extra.get("credit", "Gossip Pictures"))}</span></div>',
            '<div class="adHolder mpu"><span class="ad-label">Advertisement</span></div>',
            '<div class="related-carousel"><h3>RELATED ARTICLES</h3><ul>'
            + "".join(
                f'<li><a href="{self.url(r, origin)}">{esc(r.title)}</a></li>' for r in related[:3]
            )
            + '</ul><span class="rotator-prev">Previous</span> <span class="rotator-next">Next</span></div>',
        ]
        if related:
            more = related[3] if len(related) > 3 else related[0]
            blocks.append(
                f'<p class="read-more"><strong>Read more:</strong> <a href="{self.url(more, origin)}">{esc(more.title)}</a></p>'
            )
        body = []
        for index, paragraph in enumerate(article.body):
            body.append(f'<p class="mol-para-with-font">{esc(paragraph)}</p>')
            if index < len(blocks):
                body.append(blocks[index])
        body += blocks[len(article.body) :]
        bullets = "".join(
            f"<li><strong>{esc(b)}</strong></li>" for b in article.extra.get("bullets", ())
        )
        head = (
            f'<meta name="description" content="{esc(article.description or "")}">\n'
            f'<meta name="keywords" content="{esc(",".join(article.tags))}">\n'
            f'<meta property="og:title" content="{esc(article.title)}">\n'
            f'<meta property="og:image" content="{home}{article.image}">\n'
            f'<link rel="canonical" href="{url}">\n'
        )
        premium = '<span class="premium-label">PREMIUM</span>' if article.robots_disallowed else ""
        main = (
            '<div class="article-wrapper"><div id="js-article-text" class="article-text">\n'
            f'<div class="breadcrumb"><a href="{home}{LISTING}">{esc(article.section or "")}</a></div>\n'
            f"{premium}<h1>{esc(article.title)}</h1>\n"
            + (f'<ul class="mol-bullets-with-font">{bullets}</ul>\n' if bullets else "")
            + f'<p class="author-section byline-plain">By {names} For The Daily Gossip</p>\n'
            f'<p class="byline-section">{dates}</p>\n'
            f'<div class="social-share top"><ul><li class="share-facebook">Share</li><li class="share-x">Post</li>'
            f'<li class="share-whatsapp">WhatsApp</li><li class="share-email">Email</li></ul>'
            f'<span class="share-count">{shares} shares</span></div>\n'
            + "\n".join(body)
            + '\n<div class="newsletter-signup"><h4>Get the hottest showbiz gossip</h4>'
            "<p>Sign up to our free daily newsletter for all the latest celebrity news.</p>"
            '<form><input type="email" placeholder="Your email"><button>Sign up</button></form></div>\n'
            '<div class="adHolder billboard"><span class="ad-label">Advertisement</span></div>\n'
            '<div class="social-share bottom"><p>Share or comment on this article:</p>'
            f'<span class="headline-share">{esc(article.title)}</span></div>\n'
            "</div></div>"
        )
        return html_response(self.frame(article.title, main, origin, head=head))

    # --- feeds and sitemaps -------------------------------------------------------------

    def rss(self, origin) -> str:
        home = origin[self.publisher.id]
        items = "".join(
            f"<item>\n<title>{esc(a.title)}</title>\n<link>{self.url(a, origin)}</link>\n"
            f"<description>{esc(a.description or '')}</description>\n"
            f"<pubDate>{rfc822(a.published_dt)}</pubDate>\n"
            f"<guid>{self.url(a, origin)}</guid>\n<category>{esc(a.section or '')}</category>\n"
            + (f'<media:thumbnail url="{home}{a.image}"/>\n' if a.image else "")
            + "</item>\n"
            for a in self.visible[: self.feed_size]
        )
        return (
            '<?xml version="1.0" encoding="utf-8"?>\n'
            '<rss version="2.0" xmlns:media="http://search.yahoo.com/mrss/">\n<channel>\n'
            f"<title>TV&amp;Showbiz | Daily Gossip Online</title>\n<link>{home}{LISTING}</link>\n"
            "<description>The latest showbiz news</description>\n<language>en-us</language>\n"
            f"{items}</channel>\n</rss>\n"
        )

    def urlset(self, items: list[DemoArticle], origin, *, video: bool = False) -> str:
        home = origin[self.publisher.id]
        rows = "".join(
            f"<url><loc>{self.url(a, origin)}</loc><lastmod>{a.lastmod_dt.isoformat()}</lastmod></url>\n"
            for a in items
        )
        if video:
            rows += f"<url><loc>{home}{VIDEO_PATH}</loc></url>\n"
        return (
            '<?xml version="1.0" encoding="UTF-8"?>\n'
            '<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">\n'
            f"{rows}</urlset>\n"
        )

    def sitemap(self, origin) -> str:
        if not self.scaled:
            return self.urlset(self.visible, origin, video=True)
        home = origin[self.publisher.id]
        rows = "".join(
            f"<sitemap><loc>{home}/sitemaps/sitemap-articles-{n}.xml</loc>"
            f"<lastmod>{max(a.lastmod_dt for a in chunk).isoformat()}</lastmod></sitemap>\n"
            for n, chunk in enumerate(self.sitemap_chunks, 1)
        )
        rows += f"<sitemap><loc>{home}/sitemaps/sitemap-video.xml</loc></sitemap>\n"
        return (
            '<?xml version="1.0" encoding="UTF-8"?>\n'
            '<sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">\n'
            f"{rows}</sitemapindex>\n"
        )
