"""Discovery parsers on real-world-shaped sitemaps, feeds and listing pages."""

import gzip

import pytest

from newscrawl.discovery import maybe_gunzip, parse_feed, parse_listing, parse_sitemap

INDEX = b"""<?xml version="1.0" encoding="UTF-8"?>
<?xml-stylesheet type="text/xsl" href="//popwire.example/main-sitemap.xsl"?>
<sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">
  <sitemap><loc>https://popwire.example/post-sitemap.xml</loc><lastmod>2026-03-02T10:00:00+00:00</lastmod></sitemap>
  <sitemap><loc>/post-sitemap2.xml.gz</loc></sitemap>
</sitemapindex>"""

NEWS = b"""<?xml version="1.0" encoding="UTF-8"?>
<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9"
        xmlns:news="http://www.google.com/schemas/sitemap-news/0.9">
  <url>
    <loc>https://popwire.example/2026/03/duet/</loc>
    <lastmod>2026-03-03T09:00:00+00:00</lastmod>
    <news:news>
      <news:publication><news:name>PopWire</news:name><news:language>en</news:language></news:publication>
      <news:publication_date>2026-03-02T08:30:00+00:00</news:publication_date>
      <news:title>Britney Spears Prepping Duet With Lady Gaga</news:title>
      <news:keywords>Britney Spears, Lady Gaga, duet</news:keywords>
    </news:news>
  </url>
  <url><loc>https://popwire.example/2026/03/plain/</loc></url>
</urlset>"""


def test_sitemap_index():
    result = parse_sitemap(INDEX, "https://popwire.example/sitemap_index.xml")
    assert result.kind == "index"
    assert [c.url for c in result.sitemaps] == [
        "https://popwire.example/post-sitemap.xml",
        "https://popwire.example/post-sitemap2.xml.gz",
    ]
    assert result.sitemaps[0].evidence == {"lastmod": "2026-03-02T10:00:00+00:00"}


def test_news_sitemap_keeps_evidence():
    result = parse_sitemap(NEWS, "https://popwire.example/news-sitemap.xml")
    first, second = result.urls
    assert first.url == "https://popwire.example/2026/03/duet/"
    assert first.evidence == {
        "channel": "news-sitemap",
        "lastmod": "2026-03-03T09:00:00+00:00",
        "published": "2026-03-02T08:30:00+00:00",
        "title": "Britney Spears Prepping Duet With Lady Gaga",
        "keywords": ["Britney Spears", "Lady Gaga", "duet"],
        "publication": "PopWire",
    }
    assert second.evidence == {"channel": "sitemap"}


def test_gzipped_sitemap():
    result = parse_sitemap(gzip.compress(NEWS), "https://popwire.example/s.xml.gz")
    assert len(result.urls) == 2


def test_gzip_bomb_is_bounded():
    with pytest.raises(ValueError, match="larger than"):
        maybe_gunzip(gzip.compress(b"<" * 5000), limit=1000)


def test_a_gzipped_sitemap_cut_short_is_unreadable_not_a_crash():
    cut = gzip.compress(NEWS)[:200]
    with pytest.raises(ValueError, match="cannot be decompressed"):
        parse_sitemap(cut, "https://popwire.example/s.xml.gz")
    assert parse_feed(cut, "https://popwire.example/feed.gz") == []


def test_invalid_sitemap():
    assert (
        parse_sitemap(b"<html><body>not found</body></html>", "https://x.example/s.xml").kind
        == "invalid"
    )
    assert parse_sitemap(b"\x00\x01garbage", "https://x.example/s.xml").kind == "invalid"


RSS = b"""<?xml version="1.0" encoding="UTF-8"?>
<rss version="2.0" xmlns:dc="http://purl.org/dc/elements/1.1/">
<channel><title>PopWire</title><link>https://popwire.example/</link>
<item>
  <title>Lady Gaga announces tour</title>
  <link>https://popwire.example/2026/03/tour/?utm_source=rss</link>
  <dc:creator><![CDATA[Jane Doe]]></dc:creator>
  <pubDate>Mon, 02 Mar 2026 08:30:00 +0000</pubDate>
  <category><![CDATA[Music]]></category><category>Tours</category>
  <guid isPermaLink="false">https://popwire.example/?p=123</guid>
</item>
<item><title>Only a guid</title><guid>https://popwire.example/2026/03/guid-only/</guid></item>
</channel></rss>"""

ATOM = b"""<?xml version="1.0" encoding="utf-8"?>
<feed xmlns="http://www.w3.org/2005/Atom">
  <title>Stage and Screen</title>
  <entry>
    <title>Beyonce in conversation</title>
    <link rel="alternate" type="text/html" href="/features/beyonce-conversation"/>
    <link rel="enclosure" href="/img/b.jpg"/>
    <published>2026-02-01T10:00:00-05:00</published>
    <updated>2026-02-03T10:00:00-05:00</updated>
    <author><name>Ann Smith</name></author>
    <category term="Features"/>
  </entry>
</feed>"""


def test_rss():
    first, second = parse_feed(RSS, "https://popwire.example/feed/")
    assert (
        first.url == "https://popwire.example/2026/03/tour/?utm_source=rss"
    )  # canonicalised by the spider
    assert first.evidence == {
        "channel": "rss",
        "title": "Lady Gaga announces tour",
        "author": ["Jane Doe"],
        "published": "Mon, 02 Mar 2026 08:30:00 +0000",
        "categories": ["Music", "Tours"],
    }
    assert second.url == "https://popwire.example/2026/03/guid-only/"


def test_atom():
    (entry,) = parse_feed(ATOM, "https://stage.example/atom.xml")
    assert entry.url == "https://stage.example/features/beyonce-conversation"
    assert entry.evidence["published"] == "2026-02-01T10:00:00-05:00"
    assert entry.evidence["updated"] == "2026-02-03T10:00:00-05:00"
    assert entry.evidence["author"] == ["Ann Smith"]
    assert entry.evidence["categories"] == ["Features"]


FEEDBURNER_RSS = b"""<?xml version="1.0"?>
<rss version="2.0" xmlns:feedburner="http://rssnamespace.org/feedburner/ext/1.0"><channel>
  <item><title>Tour</title>
    <link>https://feeds.feedburner.com/~r/popwire/~3/AbC123/</link>
    <guid isPermaLink="false">https://popwire.example/?p=101</guid>
    <feedburner:origLink>https://popwire.example/2026/03/tour/</feedburner:origLink>
  </item>
</channel></rss>"""

FEEDBURNER_ATOM = b"""<feed xmlns="http://www.w3.org/2005/Atom"
    xmlns:feedburner="http://rssnamespace.org/feedburner/ext/1.0">
  <entry><title>Tour</title>
    <link rel="alternate" href="https://feedproxy.google.com/~r/popwire/~3/AbC123/"/>
    <feedburner:origLink>https://popwire.example/2026/03/tour/</feedburner:origLink>
  </entry>
</feed>"""


@pytest.mark.parametrize("feed", [FEEDBURNER_RSS, FEEDBURNER_ATOM], ids=["rss", "atom"])
def test_feedburner_original_link_wins_over_the_redirector(feed):
    (entry,) = parse_feed(feed, "https://feeds.feedburner.com/popwire")
    assert entry.url == "https://popwire.example/2026/03/tour/"


def test_feed_garbage():
    assert parse_feed(b"", "https://x.example/feed") == []
    assert parse_feed(b"<html/>", "https://x.example/feed") == []


LISTING = b"""<html><head><link rel="next" href="/tag/lady-gaga/page/2/"></head><body>
<nav><a href="/">Home</a><a href="/about/">About</a></nav>
<article><a href="/2026/03/tour/?utm_source=home#comments">Tour</a></article>
<article><a href="/2026/03/tour/">Tour again</a></article>
<a href="javascript:void(0)">x</a><a href="mailto:a@b.c">mail</a>
<div class="pagination"><a class="next page-numbers" href="/tag/lady-gaga/page/2/">Next</a></div>
</body></html>"""


def test_listing_links_and_next():
    result = parse_listing(LISTING, "https://popwire.example/tag/lady-gaga/")
    assert "https://popwire.example/2026/03/tour/" in result.links
    assert result.links.count("https://popwire.example/2026/03/tour/") == 1
    assert result.next_pages == ["https://popwire.example/tag/lady-gaga/page/2/"]


def test_legacy_next_link_by_text_and_number():
    html = "<html><body><a href='story.asp?id=1&utm_source=x'>One</a> <a href='news.asp?page=3'>next &raquo;</a></body></html>"
    result = parse_listing(
        html.encode("cp1252"), "http://legacy.example/news.asp?page=2", encoding="cp1252"
    )
    assert result.links[0] == "http://legacy.example/story.asp?id=1"
    assert result.next_pages == ["http://legacy.example/news.asp?page=3"]


def test_listing_garbage():
    assert parse_listing(b"", "http://x.example/").links == []


def test_whitespace_before_the_xml_declaration_keeps_entities():
    # A blank line before <?xml (common from CMS plugins) made lxml "recover" by
    # dropping every entity: ?id=1&amp;lang=en became ?id=1lang=en.
    sitemap = (
        b'\n  <?xml version="1.0" encoding="UTF-8"?>'
        b'<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">'
        b"<url><loc>https://ex.com/story.php?id=1&amp;lang=en</loc></url>"
        b"<url><loc>https://ex.com/2024/05/tom-&amp;-jerry/</loc></url></urlset>"
    )
    urls = [entry.url for entry in parse_sitemap(sitemap, "https://ex.com/").urls]
    assert urls == ["https://ex.com/story.php?id=1&lang=en", "https://ex.com/2024/05/tom-&-jerry/"]
    feed = (
        b'\r\n<?xml version="1.0"?><rss version="2.0"><channel><item>'
        b"<title>Simon &amp; Garfunkel</title><link>https://ex.com/a?x=1&amp;y=2</link>"
        b"</item></channel></rss>"
    )
    (item,) = parse_feed(feed, "https://ex.com/")
    assert item.url == "https://ex.com/a?x=1&y=2" and item.evidence["title"] == "Simon & Garfunkel"


def test_atom_links_resolve_against_xml_base():
    feed = (
        b'<?xml version="1.0"?><feed xmlns="http://www.w3.org/2005/Atom"'
        b' xml:base="http://pub3.test/news/">'
        b'<entry><link href="2024/gaga-one/"/><title>One</title></entry>'
        b'<entry xml:base="/music/"><link href="gaga-two/"/><title>Two</title></entry>'
        b"</feed>"
    )
    urls = [c.url for c in parse_feed(feed, "http://pub3.test/feeds/atom.xml")]
    assert urls == ["http://pub3.test/news/2024/gaga-one/", "http://pub3.test/music/gaga-two/"]


def test_the_surest_next_page_link_comes_first():
    # ?p=2 is a WordPress post id, "next-up" a card's class: the "Older posts" link to
    # /page/2/ is the next page.
    html = (
        '<a href="/news/?p=2">A post</a><a href="/news/next-gen/" class="card next-up">Card</a>'
        '<a href="/news/?p=7">Another</a><a href="/news/page/2/">Older posts</a>'
    )
    result = parse_listing(html, "http://pub5.test/news/")
    assert result.next_pages[0] == "http://pub5.test/news/page/2/"
    assert "http://pub5.test/news/next-gen/" not in result.next_pages
    with_rel = html + '<link rel="next" href="/news/page/2/?sort=new">'
    assert parse_listing(with_rel, "http://pub5.test/news/").next_pages[0] == (
        "http://pub5.test/news/page/2/?sort=new"
    )
