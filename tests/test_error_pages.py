"""Error pages served with status 200 that the headline alone does not give away, and
real pages that only quote an error: a "Page not found" page whose headline is the site's
name is a soft 404, a story quoting that message is archived; a CDN's error page is
``blocked`` (tried again next run), a news brief about an outage quoting "502 Bad
Gateway" is judged as any other page. Crawled on a real local server; the gate's rules
are also checked on the extractor's output directly."""

from __future__ import annotations

import pytest
from crawling import scrapy_crawl, serve_locally
from test_not_articles import CLOUDFLARE_CHALLENGE, NAV, TRENDING
from test_publisher_quirks import archived, crawl, drops, page, publisher, write_config

from newscrawl.article_gate import why_not_an_article
from newscrawl.extract import extract_article

RECENT_POSTS = (
    "<div class='widget widget_recent_entries'><h2 class='widget-title'>Recent Posts</h2><ul>"
    + "".join(
        f"<li><a href='/2026/recent-{i}/'>Lady Gaga announces new date number {i} for the "
        "Chromatica Ball</a></li>"
        for i in range(10)
    )
    + "</ul></div>"
)

# An error template whose only headline is the site's name (the <title>, no <h1>): the
# message is in the text, and the sidebars give it words and the watched artist.
SITE_NAMED_404 = (
    "<!doctype html><html lang='en'><head><meta charset='utf-8'><title>Popwire</title>"
    "</head><body>"
    + NAV
    + "<main id='main'><div class='content'><h2>Sorry!</h2><p>The page you requested could "
    "not be found. Try a search, or go back to the home page.</p></div>"
    + RECENT_POSTS
    + "</main>"
    + TRENDING
    + "</body></html>"
)

# A real story that quotes the same message, at the start of a sentence and of a
# paragraph, under its own headline.
QUOTING_STORY = (
    "<html><head><title>Lady Gaga fans met an error page</title></head><body><article>"
    "<h1>Lady Gaga fans met an error page</h1><p>When tickets for Lady Gaga's stadium shows "
    "went on sale on Friday, thousands of fans who clicked the link in her post were told: "
    "&quot;The page you requested could not be found.&quot;</p><p>The page you requested "
    "could not be found. That message stayed on the ticket site for an hour, the promoter "
    "said, before the sale reopened and every date sold out by the evening.</p></article>"
    "</body></html>"
)

SITEMAP = (
    '<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">'
    + "".join(f"<url><loc>http://{{host}}/2026/{slug}/</loc></url>" for slug in ("gone", "quoting"))
    + "</urlset>"
)


def test_an_error_page_headlined_with_the_site_name_is_a_soft_404(tmp_path):
    # Its headline is "Popwire", no error words: only the text says the page is gone,
    # and the Recent Posts links made it an archived article about the artist.
    site = publisher(
        {
            "/sitemap.xml": page(SITEMAP, "application/xml"),
            "/2026/gone/": page(SITE_NAMED_404),
            "/2026/quoting/": page(QUOTING_STORY),
        }
    )
    with serve_locally(site) as host:
        site.names["host"] = host
        result = crawl(tmp_path, host, sitemaps=[f"http://{host}/sitemap.xml"])
    base = f"http://{host}"
    assert archived(result) == {f"{base}/2026/quoting/"}
    gone = drops(result)[f"{base}/2026/gone/"]
    assert (gone["stage"], gone["reason"]) == ("extract", "soft_404")
    assert "The page you requested could not be found." in gone["detail"]


# What CDNs and web servers answer in place of the page, as served by them.
NGINX_502 = (
    "<html>\r\n<head><title>502 Bad Gateway</title></head>\r\n<body>\r\n"
    "<center><h1>502 Bad Gateway</h1></center>\r\n<hr><center>nginx/1.24.0</center>\r\n"
    "</body>\r\n</html>\r\n"
)
AKAMAI_DENIED = (
    "<HTML><HEAD>\n<TITLE>Access Denied</TITLE>\n</HEAD><BODY>\n<H1>Access Denied</H1>\n \n"
    "You don't have permission to access \"http&#58;&#47;&#47;popwire&#46;example&#47;2026"
    '&#47;story&#47;" on this server.<P>\nReference&#32;&#35;18&#46;2f1e3b17&#46;'
    "1733561212&#46;5a7c9d\n</BODY>\n</HTML>\n"
)
VARNISH_503 = (
    '<?xml version="1.0" encoding="utf-8"?>\n<!DOCTYPE html>\n<html>\n  <head>\n'
    "    <title>503 Backend fetch failed</title>\n  </head>\n  <body>\n"
    "    <h1>Error 503 Backend fetch failed</h1>\n    <p>Backend fetch failed</p>\n"
    "    <h3>Guru Meditation:</h3>\n    <p>XID: 1234567890</p>\n    <hr>\n"
    "    <p>Varnish cache server</p>\n  </body>\n</html>\n"
)
# Cloudflare's 5xx page has more words than NEWSCRAWL_MIN_WORDS.
CLOUDFLARE_502 = (
    "<!DOCTYPE html><html lang='en-US'><head><title>popwire.example | 502: Bad gateway"
    "</title><meta charset='UTF-8'><meta name='robots' content='noindex, nofollow'></head>"
    "<body><div id='cf-wrapper'><header><h1><span class='inline-block'>Bad gateway</span> "
    "<span class='code-label'>Error code 502</span></h1><div>Visit <a "
    "href='https://www.cloudflare.com/5xx-error-landing'>cloudflare.com</a> for more "
    "information.</div><div class='utc'>2026-12-07 10:12:44 UTC</div></header>"
    "<div id='cf-host-status'><span>You</span> Browser Working <span>Paris</span> "
    "Cloudflare Working <span>popwire.example</span> Host Error</div>"
    "<div class='cf-section'><h2>What happened?</h2><p>The web server reported a bad "
    "gateway error.</p></div><div class='cf-section'><h2>What can I do?</h2><p>Please try "
    "again in a few minutes.</p></div><div class='cf-error-footer'><p>Cloudflare Ray ID: "
    "<strong>8ef1a2b3c4d5e6f7</strong> &bull; Your IP: <span>203.0.113.9</span> &bull; "
    "Performance &amp; security by <a href='https://www.cloudflare.com/'>Cloudflare</a>"
    "</p></div></div></body></html>"
)

# A short news brief about an outage: it quotes the error, and is shorter than the
# default NEWSCRAWL_MIN_WORDS.
OUTAGE_BRIEF = (
    "<html><head><title>Lady Gaga ticket site shows 502 Bad Gateway</title></head><body>"
    "<article><h1>Lady Gaga ticket site shows 502 Bad Gateway</h1><p>Lady Gaga fans trying "
    "to buy tickets on Friday morning saw only a &quot;502 Bad Gateway&quot; page for almost "
    "an hour before the ticket site came back and the sale resumed.</p></article>"
    "</body></html>"
)


def test_cdn_error_pages_are_blocked_and_an_outage_brief_quoting_one_is_archived(tmp_path):
    # The brief was a blocked drop, fetched again on every run and never archived; and
    # Cloudflare's 5xx page, over NEWSCRAWL_MIN_WORDS, was not read for the error at all.
    cdn_pages = {
        "nginx": NGINX_502,
        "akamai": AKAMAI_DENIED,
        "varnish": VARNISH_503,
        "cloudflare-502": CLOUDFLARE_502,
        "challenge": CLOUDFLARE_CHALLENGE,
    }
    routes = {f"/2026/{slug}/": page(html) for slug, html in cdn_pages.items()}
    routes["/2026/outage/"] = page(OUTAGE_BRIEF)
    routes["/"] = page("".join(f"<a href='{path}'>{path}</a> " for path in routes))
    site = publisher(routes)
    with serve_locally(site) as host:
        site.names["host"] = host
        sources, artists = write_config(tmp_path, host, listings=[f"http://{host}/"])
        result = scrapy_crawl(
            db=tmp_path / "a.db",
            sources=sources,
            artists=artists,
            settings={"NEWSCRAWL_MIN_WORDS": "20"},
        )
    base = f"http://{host}"
    assert archived(result) == {f"{base}/2026/outage/"}
    dropped = drops(result)
    assert {url: (row["stage"], row["reason"]) for url, row in dropped.items()} == {
        f"{base}/2026/{slug}/": ("extract", "blocked") for slug in cdn_pages
    }


URL = "https://popwire.example/2026/story/"


def gate(html: str, *, min_words: int = 40):
    """The gate's verdict on a page of popwire.example (its host names the site)."""
    refused = why_not_an_article(extract_article(html.encode(), URL), min_words=min_words)
    return refused[0] if refused else None


def test_an_outage_brief_too_short_to_archive_is_not_article_not_blocked():
    # Under the default NEWSCRAWL_MIN_WORDS the brief is not archived, but it is a fact
    # about the page (not_article, on the refresh ladder), not a block to retry forever.
    assert gate(OUTAGE_BRIEF) == "not_article"


def test_a_short_page_with_article_markup_headlined_with_an_error_is_not_blocked():
    # Structured data and a byline are a publisher's article template, not a CDN's page,
    # even when the headline is the error's own words.
    html = (
        "<html><head><title>502 Bad Gateway</title><script type='application/ld+json'>"
        '{"@type": "NewsArticle", "headline": "502 Bad Gateway", "datePublished": '
        '"2026-05-02T10:00:00Z", "author": {"@type": "Person", "name": "Jane Doe"}}'
        "</script></head><body><article><h1>502 Bad Gateway</h1><p class='byline'>By Jane "
        "Doe</p><p>Lady Gaga's ticket site answered every fan with the same three words for "
        "an hour on Friday.</p></article></body></html>"
    )
    assert gate(html) == "not_article"


def test_cloudflare_5xx_page_is_blocked_though_longer_than_min_words():
    assert gate(CLOUDFLARE_502) == "blocked"


@pytest.mark.parametrize(
    "headline",
    ["<title>Popwire</title>", "<title>popwire.example</title>", "<title>Popwire.example</title>"],
    ids=["site name", "host name", "capitalised host name"],
)
def test_a_generic_headline_over_an_error_message_is_a_soft_404(headline):
    html = (
        f"<html><head>{headline}</head><body>{NAV}<main><p>Oops! That page can't be "
        f"found.</p><p>It may have been moved or deleted.</p>{RECENT_POSTS}</main></body></html>"
    )
    assert gate(html) == "soft_404"


@pytest.mark.parametrize(
    "message",
    [
        "The page you requested could not be found.",
        "Sorry, the page you're looking for doesn't exist.",
        "Page not found",
        "Error 404 - Page Not Found",
    ],
)
def test_an_error_message_under_the_site_name_is_a_soft_404_and_a_quote_of_it_is_not(message):
    def site_page(text: str) -> str:
        return (
            f"<html><head><title>Popwire</title></head><body><main><p>{text}</p>"
            f"{RECENT_POSTS}</main></body></html>"
        )

    assert gate(site_page(message)) == "soft_404"
    # The message inside a sentence, under the same headline, is no error page (this
    # one is too short to archive): it must be a short paragraph's whole opening
    # sentence.
    quoted = (
        f"Fans of Lady Gaga who clicked the link in her post on Friday saw &quot;{message}"
        "&quot; for an hour, until the ticket site came back and every date sold out."
    )
    assert gate(site_page(quoted)) == "not_article"
