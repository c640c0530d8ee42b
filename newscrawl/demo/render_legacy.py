"""Showbiz Bulletin: a legacy ASP-era site in windows-1252.

Exercises: ``text/html; charset=windows-1252`` with bytes really encoded in cp1252
(curly quotes, é, em dashes), upper-case table-and-font markup, no feed and no
sitemap, ``/news.asp?page=N`` listings with "next »" links, article links carrying
tracking and session parameters, and ``rel=canonical`` pointing at the clean
``/story.asp?id=N`` URL. Times are printed without a zone.
"""

from __future__ import annotations

import hashlib
from datetime import datetime

from newscrawl.demo.common import Response, esc, html_response, page_number, page_slice
from newscrawl.demo.model import DemoArticle
from newscrawl.demo.site import Site

CHARSET = "windows-1252"
STATIC = {
    "/about.asp": (
        "About Us",
        "Showbiz Bulletin has covered entertainment since 1998. A fictional demo publisher.",
    ),
    "/contact.asp": ("Contact Us", "Write to the editor at editor@showbizbulletin.invalid"),
}


def story_id(number: int) -> int:
    return 2310 + 17 * number


def posted(moment: datetime) -> str:
    """``2/20/2025 2:15:00 PM``, as classic ASP prints a date."""
    hour = moment.hour % 12 or 12
    return (
        f"{moment.month}/{moment.day}/{moment.year} {hour}:{moment:%M:%S} "
        f"{'PM' if moment.hour >= 12 else 'AM'}"
    )


class LegacySite(Site):
    family = "legacy"
    image_prefixes = ("/images/",)
    robots_txt = "User-agent: *\nDisallow: /cgi-bin/\nDisallow: /admin/\n"
    shows_description = False

    @classmethod
    def article_path(cls, *, slug, title, published, number, kind, premium) -> str:
        return f"/story.asp?id={story_id(number)}"

    @classmethod
    def image_path(cls, path: str, published: datetime, number: int) -> str:
        return f"/images/stories/{story_id(number)}.jpg"

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.per_page = 25 if self.scaled else 6

    def channel_members(self) -> dict[str, list[DemoArticle]]:
        return {"listing": self.visible}

    def tracked(self, article: DemoArticle, source: str, page: int) -> str:
        """A relative story link with campaign and session parameters, HTML-escaped."""
        session = hashlib.sha1(f"{source}:{page}".encode()).hexdigest()[:16].upper()
        return (
            f"story.asp?id={story_id(article.extra['number'])}&amp;utm_source={source}"
            f"&amp;utm_medium=web&amp;utm_campaign=bulletin&amp;sessionid={session}"
        )

    def route(self, path, query, origin) -> Response | None:
        if path == "/story.asp":
            article = self.by_path.get(f"/story.asp?id={query.get('id', '')}")
            return self.article_response(article, origin) if article else None
        page = page_number(query.get("page"))
        if page is None:
            return None
        if path in ("/", "/default.asp"):
            rows = "".join(
                f'<LI><A href="{self.tracked(a, "homepage", 1)}">{esc(a.title)}</A></LI>\n'
                for a in self.visible[:5]
            )
            main = (
                '<FONT face="Georgia" size="4"><B>Top Stories</B></FONT>\n'
                f'<UL>\n{rows}</UL>\n<P><A href="news.asp?page=1">All the news &raquo;</A></P>'
            )
            return self.page("Home", main)
        if path == "/news.asp":
            return self.listing(page)
        if path in STATIC:
            title, text = STATIC[path]
            return self.page(title, f"<H2>{esc(title)}</H2><P>{esc(text)}</P>")
        return None

    def not_found(self, origin) -> Response:
        main = "<H2>Story not found</H2><P>The story you requested could not be found.</P>"
        return html_response(self.frame("Not Found", main), 404, charset=CHARSET)

    def page(self, title: str, main: str, *, head: str = "") -> Response:
        return html_response(self.frame(title, main, head=head), charset=CHARSET)

    def frame(self, title: str, main: str, *, head: str = "") -> str:
        return (
            '<!DOCTYPE HTML PUBLIC "-//W3C//DTD HTML 4.01 Transitional//EN">\n<HTML>\n<HEAD>\n'
            f"<TITLE>Showbiz Bulletin :: {esc(title)}</TITLE>\n"
            f'<META http-equiv="Content-Type" content="text/html; charset={CHARSET}">\n{head}'
            '</HEAD>\n<BODY bgcolor="#FFFFFF" topmargin="0" leftmargin="0">\n'
            '<TABLE width="780" border="0" cellpadding="4" cellspacing="0">\n'
            '<TR><TD colspan="2" bgcolor="#003366"><A href="default.asp"><IMG src="/images/logo.gif" '
            'alt="Showbiz Bulletin" border="0" width="300" height="60"></A></TD></TR>\n'
            '<TR><TD width="160" valign="top" bgcolor="#EEEEEE"><FONT face="Arial" size="2">'
            '<A href="default.asp">Home</A><BR><A href="news.asp?page=1">News</A><BR>'
            '<A href="about.asp">About Us</A><BR><A href="contact.asp">Contact Us</A></FONT></TD>\n'
            f'<TD valign="top" width="620">\n{main}\n</TD></TR>\n'
            '<TR><TD colspan="2" align="center"><FONT size="1">Copyright © 1998–2026 Showbiz '
            "Bulletin. A fictional demo publisher. All rights reserved.</FONT></TD></TR>\n"
            "</TABLE>\n</BODY>\n</HTML>\n"
        )

    def listing(self, page: int) -> Response | None:
        sliced = page_slice(self.visible, page, self.per_page)
        if sliced is None:
            return None
        shown, pages = sliced
        rows = "".join(
            f'<TR><TD valign="top" width="80"><FONT size="2">{a.published_dt.month}/'
            f"{a.published_dt.day}/{a.published_dt.year}</FONT></TD>"
            f'<TD><A href="{self.tracked(a, "newslist", page)}"><B>{esc(a.title)}</B></A><BR>'
            f'<FONT size="1">By {esc(", ".join(a.authors))}</FONT></TD></TR>\n'
            for a in shown
        )
        nav = []
        if page > 1:
            nav.append(f'<A href="news.asp?page={page - 1}">« previous</A>')
        if page < pages:
            nav.append(f'<A href="news.asp?page={page + 1}">next »</A>')
        main = (
            f'<FONT face="Georgia" size="4"><B>News</B></FONT> <FONT size="1">(page {page} of {pages})</FONT>\n'
            f'<TABLE width="100%" border="0" cellpadding="3">\n{rows}</TABLE>\n'
            f'<P align="center"><FONT size="2">{" | ".join(nav)}</FONT></P>'
        )
        return self.page(f"News - Page {page}", main)

    def render_article(self, article: DemoArticle, origin) -> Response:
        home = origin[self.publisher.id]
        head = (
            f'<META name="keywords" content="{esc(", ".join(article.tags))}">\n'
            f'<LINK rel="canonical" href="{home}{article.path}">\n'
        )
        paragraphs = "\n".join(f"<P>{esc(p)}</P>" for p in article.body)
        main = (
            f'<FONT size="1"><A href="news.asp?page=1">News</A> &gt; {esc(article.section or "")}</FONT><BR>\n'
            f'<FONT face="Georgia" size="5"><B>{esc(article.title)}</B></FONT><BR>\n'
            f'<FONT face="Arial" size="2" color="#666666">By {esc(", ".join(article.authors))}<BR>\n'
            f'Posted: {posted(article.published_dt)}</FONT>\n<HR size="1" noshade>\n'
            f'<IMG src="{article.image}" width="240" height="180" align="right" hspace="6" alt="">\n'
            f'<FONT face="Verdana" size="2">\n{paragraphs}\n</FONT>\n'
            '<P><FONT size="1"><A href="#">Email this story</A> | <A href="#">Print this story</A>'
            "</FONT></P>"
        )
        return self.page(article.title, main, head=head)
