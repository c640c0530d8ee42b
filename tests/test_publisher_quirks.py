"""Quirks of real publishers, crawled on a real local server: a removed story redirected
to the home page, a FeedBurner feed whose links go through a redirector on another host,
a gzipped sitemap cut short, a page number past the end serving the last page again."""

from __future__ import annotations

import gzip
import http.server
import json
from collections import Counter

import yaml
from crawling import scrapy_crawl, serve_locally
from test_discovery_channels import story

# A front page whose headlines mention the watched artist often enough to pass for an
# article about her.
HOME = (
    "<html><head><title>Popwire - entertainment news</title></head><body>"
    + "".join(
        f"<h2><a href='/2026/headline-{i}/'>Lady Gaga headline {i} about her tour</a></h2>"
        "<p>Lady Gaga fans queued all night for tickets and sang along to every song.</p>"
        for i in range(15)
    )
    + "</body></html>"
)


class Publisher(http.server.BaseHTTPRequestHandler):
    """One publisher: ``routes`` maps a path to (status, content type, body, headers);
    ``{host}`` in a body or header is the server's host, ``{other}`` another server's."""

    routes: dict = {}
    names: dict = {}
    hits: Counter = Counter()

    def do_GET(self):  # noqa: N802 - the http.server API
        self.hits[self.path] += 1
        status, content_type, body, headers = self.routes.get(
            self.path, (404, "text/html", b"not found", {})
        )
        if isinstance(body, str):
            body = body.format(**self.names).encode()
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        for name, value in headers.items():
            self.send_header(name, value.format(**self.names))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


def publisher(routes: dict) -> type[Publisher]:
    routes = {"/robots.txt": (200, "text/plain", "User-agent: *\nAllow: /\n", {}), **routes}
    return type("Site", (Publisher,), {"routes": routes, "names": {}, "hits": Counter()})


def page(body: str, content_type: str = "text/html; charset=utf-8") -> tuple:
    return 200, content_type, body, {}


def moved(location: str) -> tuple:
    return 301, "text/html", b"", {"Location": location}


def write_config(tmp_path, host: str, **channels) -> tuple:
    entry = {
        "id": "popwire",
        "name": "Popwire",
        "homepage": f"http://{host}/",
        "allowed_domains": [host],
        "article_url": "/2026/",
        **channels,
    }
    sources = tmp_path / "sources.yml"
    sources.write_text(yaml.safe_dump({"sources": [entry]}))
    artists = tmp_path / "artists.yml"
    artists.write_text("artists:\n  - name: Lady Gaga\n")
    return sources, artists


def crawl(tmp_path, host: str, spider_args: dict | None = None, **channels):
    sources, artists = write_config(tmp_path, host, **channels)
    return scrapy_crawl(
        db=tmp_path / "a.db", sources=sources, artists=artists, spider_args=spider_args
    )


def drops(result) -> dict:
    return {r["url"]: r for r in result.query("select * from drops")}


def archived(result) -> set:
    return {r["url"] for r in result.query("select url from articles")}


SITEMAP = (
    '<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">'
    "<url><loc>http://{host}/2026/taken-down/</loc></url>"
    "<url><loc>http://{host}/2026/moved-to-section/</loc></url>"
    "<url><loc>http://{host}/2026/story/</loc></url></urlset>"
)


def test_a_removed_story_redirected_to_the_home_page_is_not_archived(tmp_path):
    # Publishers often redirect a story they took down to the home page (or its section)
    # rather than answer 404. The home page is not the story: it must not be archived
    # as an article, and the story's URL must say it is gone.
    site = publisher(
        {
            "/": page(HOME),
            "/sitemap.xml": page(SITEMAP, "application/xml"),
            "/2026/taken-down/": moved("http://{host}/"),
            "/2026/moved-to-section/": moved("/music/"),
            "/music/": page(HOME.replace("Popwire -", "Music -")),
            "/2026/story/": page(story("Lady Gaga album")),
        }
    )
    with serve_locally(site) as host:
        site.names["host"] = host
        result = crawl(tmp_path, host, sitemaps=[f"http://{host}/sitemap.xml"])
    base = f"http://{host}"
    assert archived(result) == {f"{base}/2026/story/"}
    gone, section = (
        drops(result)[f"{base}/2026/taken-down/"],
        drops(result)[f"{base}/2026/moved-to-section/"],
    )
    assert (gone["stage"], gone["reason"]) == ("fetch", "removed")
    assert "home page" in gone["detail"]
    assert (section["stage"], section["reason"]) == ("fetch", "off_pattern")
    assert f"{base}/music/" in section["detail"]
    assert set(drops(result)) == {f"{base}/2026/taken-down/", f"{base}/2026/moved-to-section/"}


def test_a_removed_story_redirected_to_a_listing_of_the_crawl(tmp_path):
    # The home page is also the source's listing: the redirect to it is refused by the
    # duplicate filter. The story is gone, not a "duplicate" of the home page.
    site = publisher(
        {
            "/": page("<a href='/2026/story/'>Story</a> <a href='/2026/taken-down/'>Old</a>"),
            "/2026/taken-down/": moved("http://{host}/"),
            "/2026/story/": page(story("Lady Gaga album")),
        }
    )
    with serve_locally(site) as host:
        site.names["host"] = host
        result = crawl(tmp_path, host, listings=[f"http://{host}/"])
    base = f"http://{host}"
    assert archived(result) == {f"{base}/2026/story/"}
    gone = drops(result)[f"{base}/2026/taken-down/"]
    assert (gone["stage"], gone["reason"]) == ("fetch", "removed")


def test_an_archived_story_later_redirected_home_keeps_its_archived_version(tmp_path):
    site = publisher({"/": page(HOME), "/2026/story/": page(story("Lady Gaga album"))})
    with serve_locally(site) as host:
        site.names["host"] = host
        base = f"http://{host}"
        refetch = {"spider_args": {"urls": f"{base}/2026/story/"}, "listings": [f"{base}/"]}
        first = crawl(tmp_path, host, **refetch)
        assert archived(first) == {f"{base}/2026/story/"}
        site.routes["/2026/story/"] = moved("http://{host}/")
        second = crawl(tmp_path, host, **refetch)
    assert archived(second) == {f"{base}/2026/story/"}
    [row] = second.query("select title from articles")
    assert row["title"] == "Lady Gaga album"
    gone = drops(second)[f"{base}/2026/story/"]
    assert gone["reason"] == "removed"
    assert "archived version is kept" in gone["detail"]


def test_feedburner_links_are_followed_to_the_publishers_own_url(tmp_path):
    # FeedBurner-style feeds link every entry to a click-counting redirector on another
    # host and keep the publisher's URL in <feedburner:origLink>. The redirector is not
    # on the source's domains: every entry was an offsite drop and never archived.
    redirector = publisher({})
    rss = (
        '<?xml version="1.0"?><rss version="2.0"'
        ' xmlns:feedburner="http://rssnamespace.org/feedburner/ext/1.0"><channel>'
        "<item><title>Album</title><link>http://{other}/~r/popwire/~3/a1/</link>"
        '<guid isPermaLink="false">popwire-1</guid>'
        "<feedburner:origLink>http://{host}/2026/album/</feedburner:origLink></item>"
        "</channel></rss>"
    )
    atom = (
        '<feed xmlns="http://www.w3.org/2005/Atom"'
        ' xmlns:feedburner="http://rssnamespace.org/feedburner/ext/1.0">'
        '<entry><title>Tour</title><link rel="alternate" href="http://{other}/~r/popwire/~3/t2/"/>'
        "<feedburner:origLink>http://{host}/2026/tour/</feedburner:origLink></entry></feed>"
    )
    site = publisher(
        {
            "/rss.xml": page(rss, "application/rss+xml"),
            "/atom.xml": page(atom, "application/atom+xml"),
            "/2026/album/": page(story("Lady Gaga album")),
            "/2026/tour/": page(story("Lady Gaga tour")),
        }
    )
    with serve_locally(redirector) as other, serve_locally(site) as host:
        site.names.update(host=host, other=other)
        result = crawl(tmp_path, host, feeds=[f"http://{host}/rss.xml", f"http://{host}/atom.xml"])
    base = f"http://{host}"
    assert archived(result) == {f"{base}/2026/album/", f"{base}/2026/tour/"}
    assert drops(result) == {}
    assert not redirector.hits


def test_a_gzipped_sitemap_cut_short_is_a_channel_error_not_a_crash(tmp_path):
    # .xml.gz sitemaps, served as files (no Content-Encoding) or with Content-Encoding:
    # gzip, are read; one cut short in transfer or on the publisher's disk raised
    # EOFError in the callback (a traceback in the log, the crawl's "spider_exceptions").
    def urlset(slug):
        return (
            '<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">'
            f"<url><loc>http://{{host}}/2026/{slug}/</loc></url></urlset>"
        )

    site = publisher(
        {
            "/sitemap-index.xml": page(
                '<sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">'
                "<sitemap><loc>http://{host}/cut.xml.gz</loc></sitemap>"
                "<sitemap><loc>http://{host}/plain.xml.gz</loc></sitemap>"
                "<sitemap><loc>http://{host}/encoded.xml.gz</loc></sitemap>"
                "</sitemapindex>",
                "application/xml",
            ),
            "/2026/plain-gz/": page(story("Lady Gaga album")),
            "/2026/encoded-gz/": page(story("Lady Gaga tour")),
            "/2026/lost/": page(story("Lady Gaga film")),
        }
    )
    with serve_locally(site) as host:
        site.names["host"] = host
        filled = {
            slug: gzip.compress(urlset(slug).format(host=host).encode())
            for slug in ("plain-gz", "encoded-gz", "lost")
        }
        site.routes["/plain.xml.gz"] = (200, "application/x-gzip", filled["plain-gz"], {})
        site.routes["/encoded.xml.gz"] = (
            200,
            "application/xml",
            filled["encoded-gz"],
            {"Content-Encoding": "gzip"},
        )
        cut = filled["lost"][: len(filled["lost"]) // 2]
        site.routes["/cut.xml.gz"] = (200, "application/x-gzip", cut, {})
        result = crawl(tmp_path, host, sitemaps=[f"http://{host}/sitemap-index.xml"])
    base = f"http://{host}"
    assert archived(result) == {f"{base}/2026/plain-gz/", f"{base}/2026/encoded-gz/"}
    stats = json.loads(result.run()["stats"])
    assert stats.get("newscrawl/channel_errors") == 1
    assert "spider_exceptions/count" not in stats
    assert "cut.xml.gz unreadable" in result.output


def test_a_page_number_past_the_end_serving_the_last_page_again_ends_the_walk(tmp_path):
    # Many CMSs answer ?page=N past the end with the last page again, its "next" link
    # pointing at N+1. Its links were requested by this crawl, which counted as new:
    # the crawl walked the same page to max_listing_pages (50) on every first run, every
    # run after an unfinished one, and every run in Redis mode.
    class Clamped(Publisher):
        routes = {"/robots.txt": (200, "text/plain", "User-agent: *\nAllow: /\n", {})}
        names: dict = {}
        hits: Counter = Counter()

        def do_GET(self):  # noqa: N802 - the http.server API
            if self.path.startswith("/news/?page="):
                number = int(self.path.rsplit("=", 1)[1])
                shown = min(number, 3)  # three pages of stories
                self.routes[self.path] = page(
                    f"<a href='/2026/story-{shown}a/'>A</a><a href='/2026/story-{shown}b/'>B</a>"
                    f"<a rel='next' href='/news/?page={number + 1}'>Next</a>"
                )
            elif self.path.startswith("/2026/"):
                self.routes[self.path] = page(story("Lady Gaga " + self.path))
            super().do_GET()

    with serve_locally(Clamped) as host:
        result = crawl(tmp_path, host, listings=[f"http://{host}/news/?page=1"])
    assert len(archived(result)) == 6
    listing_hits = {p for p in Clamped.hits if p.startswith("/news/")}
    # Pages 1-3, and page 4, which serves page 3 again.
    assert listing_hits == {f"/news/?page={n}" for n in range(1, 5)}
    assert drops(result) == {}
