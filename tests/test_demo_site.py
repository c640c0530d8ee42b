"""The demo publishers: real HTTP servers on 127.0.0.1, checked against their catalogue.

The channel tests crawl every feed, sitemap, listing and artist page over HTTP with a
small independent crawler (urllib + lxml) and compare what they find with the
catalogue's ``channels``; the page tests compare served pages with the catalogue's
titles, bodies, dates and statuses.
"""

from __future__ import annotations

import gzip
import hashlib
import json
import re
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
import urllib.robotparser
from collections import Counter, defaultdict
from datetime import datetime, timedelta
from pathlib import Path
from urllib.parse import parse_qsl, quote_plus, urlencode, urlsplit, urlunsplit

import lxml.etree
import lxml.html
import pytest
import yaml

from newscrawl.demo import DemoSites, load_catalog
from newscrawl.demo.common import fold, slugify
from newscrawl.demo.model import CHANNELS

# The original seed beside the repository (../shared/seeds), when present.
SEED = Path(__file__).resolve().parents[2] / "shared/seeds/britney-gaga-duet.txt"
PACKAGED_SEED = Path(__file__).parents[1] / "newscrawl/demo/content/seed-britney-gaga-duet.txt"
WATCHLIST = Path(__file__).parents[1] / "newscrawl/demo/artists.yml"
SITEMAP_NS = "{http://www.sitemaps.org/schemas/sitemap/0.9}"
ATOM_NS = "{http://www.w3.org/2005/Atom}"


# --- a tiny independent crawler ---------------------------------------------------------


def fetch(url: str, headers: dict | None = None) -> tuple[int, dict, bytes]:
    request = urllib.request.Request(url, headers=headers or {})
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, dict(response.headers), response.read()
    except urllib.error.HTTPError as error:
        return error.code, dict(error.headers), error.read()


def decode(headers: dict, body: bytes) -> str:
    match = re.search(r"charset=([\w-]+)", headers.get("Content-Type", ""))
    return body.decode(match.group(1) if match else "utf-8")


def clean(url: str) -> str:
    """Drop tracking and session parameters (the legacy site's listings add them)."""
    parts = urlsplit(url)
    query = [
        (k, v)
        for k, v in parse_qsl(parts.query, keep_blank_values=True)
        if not k.startswith("utm_") and k != "sessionid"
    ]
    return urlunsplit(parts._replace(query=urlencode(query)))


def path_of(url: str) -> str:
    parts = urlsplit(url)
    return parts.path + (f"?{parts.query}" if parts.query else "")


def sitemap_locs(url: str, seen: set[str]) -> list[str]:
    """Every <loc> of the urlsets reachable from ``url`` (following sitemap indexes)."""
    assert url not in seen, f"sitemap loop at {url}"
    seen.add(url)
    status, _, body = fetch(url)
    assert status == 200, url
    if body[:2] == b"\x1f\x8b":
        body = gzip.decompress(body)
    root = lxml.etree.fromstring(body)
    locs = [loc.text.strip() for loc in root.iter(f"{SITEMAP_NS}loc")]
    if root.tag == f"{SITEMAP_NS}sitemapindex":
        return [loc for child in locs for loc in sitemap_locs(child, seen)]
    assert root.tag == f"{SITEMAP_NS}urlset", url
    return locs


def feed_links(url: str) -> tuple[str, list[str]]:
    status, _, body = fetch(url)
    assert status == 200, url
    root = lxml.etree.fromstring(body)
    if root.tag == "rss":
        items = root.findall("channel/item")
        for item in items:
            assert item.findtext("title") and item.findtext("pubDate"), url
            datetime.strptime(item.findtext("pubDate"), "%a, %d %b %Y %H:%M:%S %z")
        return "rss", [item.findtext("link").strip() for item in items]
    assert root.tag == f"{ATOM_NS}feed", url
    links = []
    for entry in root.findall(f"{ATOM_NS}entry"):
        for name in ("published", "updated", "id", "title"):
            assert entry.findtext(f"{ATOM_NS}{name}"), (url, name)
        assert entry.findtext(f"{ATOM_NS}author/{ATOM_NS}name")
        assert entry.find(f"{ATOM_NS}category").get("term")
        datetime.fromisoformat(entry.findtext(f"{ATOM_NS}published"))
        links.append(entry.find(f"{ATOM_NS}link[@rel='alternate']").get("href"))
    return "atom", links


def paginate(start: str, limit: int = 400) -> list[str] | None:
    """All link targets on a paginated listing; None when the first page is a 404."""
    links, url, visited = [], start, []
    while url:
        assert url not in visited, f"pagination loops back to {url}"
        assert len(visited) < limit, f"pagination from {start} does not end"
        visited.append(url)
        status, headers, body = fetch(url)
        if status == 404 and len(visited) == 1:
            return None
        assert status == 200, url
        doc = lxml.html.document_fromstring(decode(headers, body), base_url=url)
        doc.make_links_absolute(url)
        links += doc.xpath("//a/@href")
        nexts = doc.xpath("//link[@rel='next']/@href | //a[@rel='next']/@href") or [
            a.get("href") for a in doc.xpath("//a") if a.text_content().strip().startswith("next")
        ]
        url = nexts[0] if nexts else None
    return links


def crawl_source(source: dict, watchlist: list[str]):
    """What one source's discovery channels list: ({channel: {path}}, off-pattern
    {(path, channel)} from sitemaps and feeds)."""
    pattern = re.compile(source["article_url"])
    channels: dict[str, set[str]] = defaultdict(set)
    off: set[tuple[str, str]] = set()

    def keep(url: str, channel: str, *, listed: bool) -> None:
        url = clean(url)
        if pattern.search(url):
            channels[channel].add(path_of(url))
        elif not listed:  # listings link plenty of non-articles; channels of URLs do not
            off.add((path_of(url), channel))

    for sitemap in source.get("sitemaps", []):
        channel = "news-sitemap" if "news" in sitemap else "sitemap"
        for loc in sitemap_locs(sitemap, set()):
            keep(loc, channel, listed=False)
    for feed in source.get("feeds", []):
        channel, links = feed_links(feed)
        for link in links:
            keep(link, channel, listed=False)
    for listing in source.get("listings", []):
        for link in paginate(listing) or []:
            keep(link, "listing", listed=True)
    for template in source.get("artist_pages", []):
        for name in watchlist:
            url = template.replace("{slug}", slugify(name)).replace("{query}", quote_plus(name))
            for link in paginate(url) or []:
                keep(link, "artist-page", listed=True)
    return channels, off


def assert_channels_match(sites: DemoSites) -> None:
    catalog = sites.catalog
    sources = yaml.safe_load(sites.sources_yaml())["sources"]
    for source in sources:
        found, other = crawl_source(source, catalog.watchlist)
        articles = catalog.for_source(source["id"])
        for channel in CHANNELS:
            expected = {a.path for a in articles if channel in a.channels}
            assert found[channel] == expected, (source["id"], channel)
        pages = {
            (p.path, c) for p in catalog.pages if p.source_id == source["id"] for c in p.channels
        }
        assert other == pages, source["id"]


def page_texts(headers: dict, body: bytes) -> tuple[lxml.html.HtmlElement, set[str]]:
    doc = lxml.html.document_fromstring(decode(headers, body))
    return doc, {" ".join(p.text_content().split()) for p in doc.iter("p", "P")}


# --- fixtures -------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def sites():
    with DemoSites(port=0) as running:
        yield running


@pytest.fixture(scope="module")
def catalog(sites):
    return sites.catalog


def served(catalog):
    return [a for a in catalog.articles if a.status == 200]


# --- the corpus -----------------------------------------------------------------------------


def test_corpus_size_mix_and_dates(catalog):
    ok = served(catalog)
    assert len(ok) >= 80
    assert sum(1 for a in ok if not a.artists) / len(ok) >= 0.25
    assert {p.id for p in catalog.publishers} == {a.source_id for a in ok}
    assert len({p.port_offset for p in catalog.publishers}) == len(catalog.publishers)
    assert len({(a.source_id, a.path) for a in catalog.articles}) == len(catalog.articles)
    latest = datetime(2026, 11, 24)
    for a in ok:
        assert a.artists <= set(catalog.watchlist), a.key
        assert a.title and a.authors and a.body and a.section, a.key
        if not a.paywalled:
            assert 120 <= a.word_count <= 400, (a.key, a.word_count)
        for stamp in (a.published_at, a.modified_at):
            if stamp:
                moment = datetime.fromisoformat(stamp).replace(tzinfo=None)
                assert datetime(2025, 1, 1) <= moment <= latest, a.key
    counts = Counter(name for a in ok for name in a.artists)
    assert all(counts[name] >= 3 for name in catalog.watchlist), counts


def test_seed_article_is_verbatim_and_tagged(sites, catalog):
    seed = next(a for a in catalog.articles if a.extra.get("seed"))
    assert seed.source_id == "popwire"
    assert seed.title == "Britney Spears Prepping Duet With Lady Gaga"
    assert seed.artists == {"Britney Spears", "Lady Gaga"}
    assert {"Britney Spears", "Lady Gaga"} <= set(seed.tags)
    source = SEED if SEED.exists() else PACKAGED_SEED
    blocks = [b.strip() for b in source.read_text("utf-8").split("\n\n") if b.strip()]
    assert seed.body == blocks[2:]
    status, headers, body = fetch(sites.url(seed))
    assert status == 200
    _, texts = page_texts(headers, body)
    assert set(seed.body) <= texts
    assert "originally published by The Inquisitr" in decode(headers, body)


def _mentions(text: str, entry: dict) -> bool:
    """A strong mention: canonical name or alias, exclusions removed first."""
    for phrase in entry.get("exclude") or ():
        text = re.sub(re.escape(phrase), " ", text, flags=re.IGNORECASE)
    for term in [entry["name"], *(entry.get("aliases") or ())]:
        exact = term in (entry.get("case_sensitive") or ())
        haystack, needle = (text, term) if exact else (fold(text), fold(term))
        if re.search(rf"(?<!\w){re.escape(needle)}(?!\w)", haystack):
            return True
    return False


def test_true_artists_agree_with_the_text(catalog):
    watchlist = yaml.safe_load(WATCHLIST.read_text("utf-8"))["artists"]
    for entry in watchlist:
        for key in ("name", "aliases", "weak_aliases", "exclude", "case_sensitive"):
            assert key in entry, (entry.get("name"), key)
        for key in ("aliases", "weak_aliases", "exclude", "case_sensitive"):
            assert isinstance(entry[key], list), (entry["name"], key)
    assert [e["name"] for e in watchlist] == catalog.watchlist
    for a in served(catalog):
        text = "\n".join([a.title, a.description or "", *a.body])
        mentioned = {e["name"] for e in watchlist if _mentions(text, e)}
        assert mentioned == set(a.artists), a.key


def test_tagger_traps_are_present(catalog):
    ok = served(catalog)

    def find(needle: str) -> list:
        return [a for a in ok if needle in "\n".join([a.title, *a.body])]

    assert any(not a.artists for a in find("Jamie Lynn Spears"))
    assert all(
        "Britney" not in " ".join(a.body) for a in find("Jamie Lynn Spears") if not a.artists
    )
    assert any(not a.artists for a in find("Brit Awards"))
    assert any("Beyoncé" in a.artists and "Beyoncé" not in a.title for a in find("Beyonce"))
    assert any("Lady Gaga" in a.artists for a in find("Gaga’s"))
    assert any(not a.artists for a in find("went gaga"))
    assert any(not a.artists for a in find("Taylor Brooks"))
    shouting = [
        a for a in ok if a.source_id == "dailygossip" and re.match(r"[A-Z’ -]{8,}!", a.title)
    ]
    assert shouting and all(a.artists for a in shouting)


# --- served pages -------------------------------------------------------------------------


def test_every_article_url_serves_its_status_and_content(sites, catalog):
    for a in catalog.articles:
        status, headers, body = fetch(sites.url(a))
        assert status == a.status, (a.key, status)
        if a.status != 200:
            continue
        doc, texts = page_texts(headers, body)
        missing = [p for p in a.body if p not in texts]
        assert not missing, (a.key, missing[:1])
        page_text = " ".join(doc.text_content().split())
        assert a.title in page_text, a.key
        for author in a.authors:
            assert author in page_text or author.upper() in page_text, (a.key, author)
        canonical = doc.xpath("//link[@rel='canonical']/@href")
        assert canonical == [a.canonical_url(sites.base_urls)], a.key
        if a.image:
            assert fetch(sites.base_urls[a.source_id].rstrip("/") + a.image)[0] == 200


def test_error_urls_fail_every_time(sites, catalog):
    errors = {a.status: a for a in catalog.articles if a.status != 200}
    assert set(errors) == {404, 500}
    for _ in range(3):
        assert fetch(sites.url(errors[500]))[0] == 500
    assert fetch(sites.url(errors[404]))[0] == 404
    assert fetch(sites.base_urls["popwire"] + "2026/01/no-such-post/")[0] == 404
    assert fetch(sites.base_urls["showbizbulletin"] + "story.asp?id=99999")[0] == 404
    assert fetch(sites.base_urls["popwire"] + "tag/lady-gaga/page/99/")[0] == 404
    guid = lxml.etree.fromstring(fetch(sites.base_urls["popwire"] + "feed/")[2]).find(".//guid")
    status, _, body = fetch(guid.text)  # ?p=ID redirects to the permalink
    assert status == 200 and b"yoast-schema-graph" in body


def test_wordpress_json_ld_and_paywall(sites, catalog):
    for a in served(catalog):
        if a.source_id != "popwire":
            continue
        status, headers, body = fetch(sites.url(a))
        doc = lxml.html.document_fromstring(decode(headers, body))
        graph = json.loads(doc.xpath("//script[@type='application/ld+json']/text()")[0])["@graph"]
        by_type = {node["@type"]: node for node in graph}
        news, page = by_type["NewsArticle"], by_type["WebPage"]
        assert news["headline"] == a.title
        assert news["datePublished"] == a.published_at and news["dateModified"] == a.modified_at
        assert re.search(r"[+-]\d\d:\d\d$", news["datePublished"])
        authors = news["author"] if isinstance(news["author"], list) else [news["author"]]
        people = {n["@id"]: n["name"] for n in graph if n["@type"] == "Person"}
        assert [people[ref["@id"]] for ref in authors] == a.authors
        assert news["keywords"] == a.tags and news["articleSection"] == [a.section]
        assert news["inLanguage"] == "en-US" and news["image"]["@id"]
        assert page["url"] == a.canonical_url(sites.base_urls)
        assert (news.get("isAccessibleForFree") is False) == a.paywalled
        if a.paywalled:
            assert news["hasPart"]["cssSelector"] == ".paywall"
            assert doc.cssselect(".paywall") and "Subscribe to read" in doc.text_content()
            assert doc.xpath("//title/text()")[0] == f"{a.title} | PopWire"
    assert sum(a.paywalled for a in catalog.articles) == 1


def test_magazine_opengraph_and_microdata(sites, catalog):
    for a in served(catalog):
        if a.source_id != "stagescreen":
            continue
        status, headers, body = fetch(sites.url(a))
        doc = lxml.html.document_fromstring(decode(headers, body))

        def meta(prop: str, doc=doc) -> list[str]:
            return doc.xpath(f"//meta[@property='{prop}']/@content")

        assert not doc.xpath("//script[@type='application/ld+json']")
        assert meta("og:type") == ["article"] and meta("og:title") == [a.title]
        assert meta("article:published_time") == [a.published_at]
        assert meta("article:modified_time") == [a.modified_at]
        assert meta("article:author") == a.authors and meta("article:tag") == a.tags
        assert meta("article:section") == [a.section]
        article = doc.xpath("//*[@itemtype='https://schema.org/NewsArticle']")[0]
        assert article.xpath(".//*[@itemprop='headline']")[0].text_content() == a.title
        assert article.xpath(".//time[@itemprop='datePublished']/@datetime") == [a.published_at]
        names = article.xpath(".//*[@itemprop='author']//*[@itemprop='name']")
        assert [n.text_content() for n in names] == a.authors
        body_ps = article.xpath(".//*[@itemprop='articleBody']/p")
        assert [p.text_content() for p in body_ps] == a.body


def test_tabloid_dates_bylines_and_clutter(sites, catalog):
    premiere = next(a for a in catalog.articles if a.key == "dailygossip/grande-premiere")
    assert premiere.published_at == "2026-03-03T09:31:00-05:00"
    assert premiere.modified_at == "2026-03-03T14:02:00-05:00"
    status, headers, body = fetch(sites.url(premiere))
    text = " ".join(lxml.html.document_fromstring(decode(headers, body)).text_content().split())
    assert "Published: 09:31 EST, 3 March 2026 | Updated: 14:02 EST, 3 March 2026" in text
    assert "By MARCUS DUNNE For The Daily Gossip" in text
    for clutter in ("Advertisement", "RELATED ARTICLES", "Read more:", "newsletter", "Credit:"):
        assert clutter in text
    gala = next(a for a in catalog.articles if a.key == "dailygossip/gaga-gala")
    assert gala.published_at == "2025-05-06T09:31:00-04:00"
    assert "Published: 09:31 EDT, 6 May 2025" in decode(*fetch(sites.url(gala))[1:])


def test_legacy_pages_are_cp1252(sites, catalog):
    story = next(a for a in catalog.articles if a.key == "showbizbulletin/beyonce-soldier-field")
    status, headers, body = fetch(sites.url(story) + "&utm_source=newsletter&sessionid=ABC")
    assert status == 200
    assert headers["Content-Type"] == "text/html; charset=windows-1252"
    assert b"Beyonc\xe9" in body and b"\x93" in body and b"\x97" in body
    with pytest.raises(UnicodeDecodeError):
        body.decode("utf-8")
    assert "Beyoncé’s tour stop" in body.decode("cp1252")
    status, headers, listing = fetch(sites.base_urls["showbizbulletin"] + "news.asp?page=1")
    text = listing.decode("cp1252")
    assert "next »" in text and re.search(r'href="story\.asp\?id=\d+&amp;utm_source=\w+', text)
    assert "sessionid=" in text


def test_robots_txt(sites, catalog):
    for publisher in catalog.publishers:
        base = sites.base_urls[publisher.id]
        status, _, body = fetch(base + "robots.txt")
        assert status == 200 and b"crawl-delay" not in body.lower()
        robots = urllib.robotparser.RobotFileParser()
        robots.parse(body.decode().splitlines())
        for a in catalog.for_source(publisher.id):
            assert robots.can_fetch("newscrawl", a.url(sites.base_urls)) != a.robots_disallowed
    premium = [a for a in catalog.articles if a.robots_disallowed]
    assert len(premium) == 3 and all(a.path.startswith("/premium-gossip/") for a in premium)
    assert all({"listing", "sitemap"} <= a.channels for a in premium)


# --- discovery channels ---------------------------------------------------------------------


def test_channels_list_exactly_what_the_catalog_says(sites):
    assert_channels_match(sites)


def test_artist_pages_find_the_artists_articles(catalog):
    watched = set(catalog.watchlist)
    for a in catalog.articles:
        if a.status == 410:
            continue
        if a.source_id == "popwire":
            assert ("artist-page" in a.channels) == bool(watched & set(a.tags)), a.key
        if a.source_id == "stagescreen" and any(fold(n) in fold(a.title) for n in watched):
            assert "artist-page" in a.channels, a.key
    assert not any(
        "artist-page" in a.channels
        for a in catalog.articles
        if a.source_id in ("dailygossip", "showbizbulletin")
    )


def test_sitemaps_feeds_and_news_sitemap_are_well_formed(sites, catalog):
    base = sites.base_urls["popwire"]
    index = lxml.etree.fromstring(fetch(base + "sitemap_index.xml")[2])
    children = [loc.text for loc in index.iter(f"{SITEMAP_NS}loc")]
    gz = [c for c in children if c.endswith(".gz")]
    assert gz
    for entry in index.iter(f"{SITEMAP_NS}sitemap"):
        if "post-sitemap" in entry.findtext(f"{SITEMAP_NS}loc"):
            datetime.fromisoformat(entry.findtext(f"{SITEMAP_NS}lastmod"))
    status, _, packed = fetch(gz[0])
    assert packed[:2] == b"\x1f\x8b"
    assert gzip.decompress(packed) == fetch(gz[0].removesuffix(".gz"))[2]
    news = lxml.etree.fromstring(fetch(base + "news-sitemap.xml")[2])
    ns = "{http://www.google.com/schemas/sitemap-news/0.9}"
    entries = list(news.iter(f"{ns}news"))
    assert entries
    for entry in entries:
        published = datetime.fromisoformat(entry.findtext(f"{ns}publication_date"))
        assert catalog.now - timedelta(hours=48) <= published <= catalog.now
        assert entry.findtext(f"{ns}title") and entry.findtext(f"{ns}keywords")
    feed = lxml.etree.fromstring(fetch(base + "feed/")[2])
    dc = "{http://purl.org/dc/elements/1.1/}"
    for item in feed.iter("item"):
        assert item.findtext(f"{dc}creator") and item.findtext("category")


def test_sources_yaml_loads_and_patterns_fit(sites, catalog, tmp_path):
    path = sites.write_sources(tmp_path / "sources.yml")
    text = path.read_text("utf-8")
    assert text.startswith("# Demo publishers served by `newscrawl demo-site`")
    sources = yaml.safe_load(text)["sources"]
    allowed = {"id", "name", "homepage", "allowed_domains", "sitemaps", "feeds", "listings",
               "artist_pages", "article_url", "max_pages", "download_delay", "concurrency"}  # fmt: skip
    for source in sources:
        assert set(source) <= allowed and source["homepage"] == sites.base_urls[source["id"]]
        # local sites: no politeness delay, so the demo and the tests stay quick
        assert (source["download_delay"], source["concurrency"]) == (0, 8)
        assert source["allowed_domains"] == [urlsplit(source["homepage"]).netloc]
        pattern = re.compile(source["article_url"])
        for a in catalog.for_source(source["id"]):
            assert pattern.search(a.url(sites.base_urls)), a.key
        for page in catalog.pages:
            if page.source_id == source["id"]:
                assert not pattern.search(source["homepage"].rstrip("/") + page.path)
    from newscrawl.sources import load_sources

    assert [s.id for s in load_sources(path)] == [p.id for p in catalog.publishers]
    artists = sites.write_artists(tmp_path / "artists.yml")
    assert artists.read_text("utf-8") == WATCHLIST.read_text("utf-8")


def test_hits_conditional_get_and_determinism(sites, catalog):
    article = served(catalog)[5]
    before = sites.hits[article.source_id][article.path]
    status, headers, first = fetch(sites.url(article))
    assert sites.hits[article.source_id][article.path] == before + 1
    assert fetch(sites.url(article), {"If-None-Match": headers["ETag"]})[0] == 304
    assert fetch(sites.url(article))[2] == first
    origins = {p.id: f"http://demo-{p.id}.test" for p in catalog.publishers}
    again = load_catalog()
    paths = ["/", "/feed/", "/sitemap_index.xml", "/post-sitemap.xml", "/atom.xml",
             "/tvshowbiz/index.rss", "/sitemap.xml", "/news.asp?page=2", "/latest?page=2"]  # fmt: skip
    for a in catalog.articles:
        paths.append(a.path)
        one = catalog.sites[a.source_id].handle(a.path, origins)
        two = again.sites[a.source_id].handle(a.path, origins)
        assert (one.status, one.body) == (two.status, two.body), a.key
    for path in paths:
        for source_id in origins:
            one = catalog.sites[source_id].handle(path, origins)
            assert one.body == again.sites[source_id].handle(path, origins).body


# --- editions and scale ---------------------------------------------------------------------


def _sitemap_lastmods(sites: DemoSites) -> dict[str, str]:
    lastmods = {}
    for source_id, index in (("popwire", "sitemap_index.xml"), ("dailygossip", "sitemap.xml")):
        root = lxml.etree.fromstring(fetch(sites.base_urls[source_id] + index)[2])
        urls = [root] if root.tag == f"{SITEMAP_NS}urlset" else []
        for loc in root.iter(f"{SITEMAP_NS}loc"):
            if root.tag == f"{SITEMAP_NS}sitemapindex":
                body = fetch(loc.text)[2]
                urls.append(
                    lxml.etree.fromstring(
                        gzip.decompress(body) if body[:2] == b"\x1f\x8b" else body
                    )
                )
        for urlset in urls:
            for url in urlset.iter(f"{SITEMAP_NS}url"):
                if url.findtext(f"{SITEMAP_NS}lastmod"):
                    lastmods[url.findtext(f"{SITEMAP_NS}loc")] = url.findtext(
                        f"{SITEMAP_NS}lastmod"
                    )
    return lastmods


def test_edition_two_changes_exactly_what_the_catalog_says():
    with DemoSites(port=0) as sites:
        first = sites.catalog
        pages = {a.key: fetch(sites.url(a)) for a in first.articles}
        lastmods = _sitemap_lastmods(sites)
        second = sites.set_edition(2)
        assert sites.edition == 2 and sites.catalog is second
        changes = Counter(a.edition_changes for a in second.articles)
        assert changes["new"] >= 5 and changes["edited"] >= 3 and changes["removed"] == 1
        assert {a.key for a in first.articles} <= {a.key for a in second.articles}
        new_keys = {a.key for a in second.articles} - {a.key for a in first.articles}
        assert new_keys == {a.key for a in second.articles if a.edition_changes == "new"}
        assert {a.source_id for a in second.articles if a.edition_changes == "new"} == {
            p.id for p in second.publishers
        }
        newest_before = max(a.published_dt.astimezone() for a in first.articles)
        new_lastmods = _sitemap_lastmods(sites)
        for a in second.articles:
            status, headers, body = fetch(sites.url(a))
            assert status == a.status, a.key
            old = first.get(a.source_id, a.path)
            if a.edition_changes is None:
                assert body == pages[a.key][2], a.key
                assert (
                    a.path == old.path
                    and a.body == old.body
                    and a.channels <= old.channels | {"rss", "atom", "news-sitemap"}
                )
            elif a.edition_changes == "new":
                assert a.published_dt.astimezone() > newest_before and a.channels, a.key
            elif a.edition_changes == "edited":
                assert body != pages[a.key][2]
                assert (a.title, a.body) != (old.title, old.body) and a.modified_dt > old.lastmod_dt
                _, texts = page_texts(headers, body)
                assert set(a.body) <= texts
                url = a.url(sites.base_urls)
                if url in lastmods:
                    assert new_lastmods[url] > lastmods[url] and new_lastmods[url] == a.modified_at
            else:
                assert status == 410 and not a.channels and old.status == 200
                assert a.url(sites.base_urls) not in new_lastmods
        assert_channels_match(sites)


def test_scaled_mode_serves_n_articles_through_every_channel():
    n = 4400  # > 1,000 per publisher, so sitemaps split
    with DemoSites(port=0, articles=n) as sites:
        catalog = sites.catalog
        assert len(catalog.articles) == n and all(a.status == 200 for a in catalog.articles)
        assert (
            len(
                {
                    hashlib.sha256("\n".join([a.title, *a.body]).encode()).digest()
                    for a in catalog.articles
                }
            )
            == n
        )
        assert all(a.artists <= set(catalog.watchlist) for a in catalog.articles)
        sources = {s["id"]: s for s in yaml.safe_load(sites.sources_yaml())["sources"]}
        assert all(s["max_pages"] >= n for s in sources.values())
        for source_id in ("popwire", "dailygossip"):
            locs = [loc for sm in sources[source_id]["sitemaps"] if "news" not in sm
                    for loc in sitemap_locs(sm, set())]  # fmt: skip
            articles = {a.path for a in catalog.for_source(source_id)}
            assert {path_of(u) for u in locs} >= articles and len(articles) > 1000
        index = lxml.etree.fromstring(fetch(sites.base_urls["popwire"] + "sitemap_index.xml")[2])
        assert len(list(index.iter(f"{SITEMAP_NS}sitemap"))) == 3  # 1000 + 100 posts + pages
        channel, links = feed_links(sources["popwire"]["feeds"][0])
        assert len(links) == 50
        for source_id in ("stagescreen", "showbizbulletin"):
            pattern = re.compile(sources[source_id]["article_url"])
            links = paginate(sources[source_id]["listings"][0])
            found = {path_of(clean(u)) for u in links if pattern.search(u)}
            assert found == {a.path for a in catalog.for_source(source_id)}
        for a in catalog.articles[:: n // 40]:
            status, headers, body = fetch(sites.url(a))
            assert status == 200 and set(a.body) <= page_texts(headers, body)[1], a.key
        second = load_catalog(2, articles=n)
        changes = Counter(a.edition_changes for a in second.articles)
        assert changes == {None: n - 4 - 44, "new": 44, "edited": 44, "removed": 4}


def test_large_scaled_catalog_has_every_article():
    catalog = load_catalog(articles=20000)
    assert len(catalog.articles) == 20000
    assert Counter(a.source_id for a in catalog.articles) == {
        p.id: 5000 for p in catalog.publishers
    }
    assert all("sitemap" in a.channels or "listing" in a.channels for a in catalog.articles)


# --- command line ---------------------------------------------------------------------------


def test_demo_site_command_serves_until_sigterm(tmp_path):
    sources, artists = tmp_path / "sources.yml", tmp_path / "artists.yml"
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "newscrawl",
            "demo-site",
            "--port",
            "0",
            "--sources-out",
            str(sources),
            "--artists-out",
            str(artists),
        ],  # fmt: skip
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        deadline = time.monotonic() + 20
        while not sources.exists() and process.poll() is None and time.monotonic() < deadline:
            time.sleep(0.05)
        assert sources.exists() and artists.exists(), (
            process.stderr.read() if process.poll() else ""
        )
        homepages = [s["homepage"] for s in yaml.safe_load(sources.read_text())["sources"]]
        assert len(set(homepages)) == 4
        assert all(fetch(url + "robots.txt")[0] == 200 for url in homepages)
    finally:
        process.send_signal(signal.SIGTERM)
        out, err = process.communicate(timeout=10)
    assert process.returncode == 0, err
    assert all(url in out for url in homepages)
