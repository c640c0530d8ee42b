"""Pages lost or garbled by their character encoding: UTF-16 without a byte-order mark,
UTF-8 declared as a single-byte charset, and a page URL urllib cannot split."""

from __future__ import annotations

import gzip
import json

import pytest
from click.testing import CliRunner
from crawling import scrapy_crawl, serve_locally
from test_publisher_quirks import publisher, write_config

from newscrawl.cli import main
from newscrawl.extract import ExtractError, extract_article
from newscrawl.extract.decode import decode_html

URL = "https://legacy.example/news/1"
TEXT = (
    "Beyoncé’s “Cowboy Carter” tour opened at the Café Olé in Zürich, where fans — "
    "naïve or not — sang every word. The show ran for three hours and ended with fireworks."
)
JAPANESE = "歌手が新しいアルバムを発表し、ファンは喜んでいます。ツアーは来月から始まります。"


def page(text: str = TEXT, title: str = "Café Olé review", head: str = "") -> str:
    return (
        f"<!DOCTYPE html><html><head>{head}<title>{title}</title></head><body><article>"
        f"<h1>{title}</h1><p>{text}</p><p>{text}</p></article></body></html>"
    )


def http(charset: str | None) -> dict | None:
    return {"Content-Type": f"text/html; charset={charset}"} if charset else None


@pytest.mark.parametrize(
    ("codec", "charset", "head"),
    [
        ("utf-16-le", "utf-16le", ""),
        ("utf-16-be", "utf-16be", ""),
        # "utf-16" alone is UTF-16LE for browsers (WHATWG); big-endian bytes say otherwise.
        ("utf-16-le", "utf-16", ""),
        ("utf-16-be", "utf-16", ""),
        ("utf-16-le", "UTF-16LE", ""),
        # Declared in the page only: the <meta> is written in UTF-16 too.
        ("utf-16-le", None, '<meta charset="utf-16">'),
        ("utf-16-be", None, '<meta http-equiv="Content-Type" content="text/html; charset=utf-16">'),
        # Not declared, or declared wrong by the server: plainly UTF-16 all the same.
        ("utf-16-le", None, ""),
        ("utf-16-be", None, ""),
        ("utf-16-le", "utf-8", ""),
        ("utf-16-be", "iso-8859-1", ""),
    ],
)
def test_utf16_without_a_byte_order_mark_is_read(codec, charset, head):
    # Every other byte of ASCII markup is NUL in UTF-16: the binary sniff took the page
    # for binary data and it was dropped as not_html.
    data = page(head=head).encode(codec)
    text, used = decode_html(data, http(charset))
    assert used == codec and TEXT in text
    fields = extract_article(data, URL, headers=http(charset))
    assert fields["title"] == "Café Olé review"
    assert TEXT in fields["body"]


@pytest.mark.parametrize("codec", ["utf-16-le", "utf-16-be"])
@pytest.mark.parametrize("charset", ["utf-16", None])
def test_utf16_text_with_few_ascii_characters_is_read(codec, charset):
    # Japanese text has NULs only in its markup; an emoji (a surrogate pair) may be cut in
    # half where the sniff's sample ends.
    text = ("🎤" + JAPANESE) * 40
    data = page(text, "東京の音楽ニュース", '<meta charset="utf-16">').encode(codec)
    fields = extract_article(data, URL, headers=http(charset))
    assert fields["title"] == "東京の音楽ニュース"
    assert JAPANESE in fields["body"]


def _interleaved(data: bytes) -> bytes:
    return bytes(byte for char in data for byte in (char, 0))


@pytest.mark.parametrize(
    "binary",
    [
        # 16-bit samples or pixels: a NUL in every other byte, like UTF-16 text.
        _interleaved(bytes(range(256)) * 8),
        _interleaved(bytes(range(32, 128)) * 20 + b"\x01"),
        b"%PDF-1.7\n" + _interleaved(b"<html><p>text</p></html>" * 50),
        b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(2000),
        b"PK\x03\x04\x14\x00\x06\x00" + _interleaved(b"<p>word</p>" * 100),
        gzip.compress(page().encode("utf-16-le"), mtime=0),
        bytes(4096),
    ],
    ids=["samples", "one-control", "pdf", "png", "zip", "gzip", "zeros"],
)
@pytest.mark.parametrize("charset", ["utf-16", "utf-16be", None])
def test_utf16_text_is_told_from_binary_with_alternate_nuls(binary, charset):
    # The page is read, the binary file of the same shape is still not_html.
    data = page().encode("utf-16-le" if charset != "utf-16be" else "utf-16-be")
    assert extract_article(data, URL, headers=http(charset))["title"] == "Café Olé review"
    with pytest.raises(ExtractError) as caught:
        extract_article(binary, URL, headers=http(charset))
    assert caught.value.reason == "not_html"


@pytest.mark.parametrize("charset", ["utf-16", "utf-16le", "utf-16be"])
def test_a_utf16_declaration_on_an_ascii_compatible_page_is_ignored(charset):
    # A browser reads such a page as CJK nonsense (HTTP) or as UTF-8 (<meta>): the bytes
    # contradict the label, and the page is read as UTF-8. The UTF-16 page beside it is
    # read as UTF-16 under the same header.
    data = page().encode("utf-8")
    for headers in (http(charset), None):
        marked = data.replace(b"<title>", f'<meta charset="{charset}"><title>'.encode(), 1)
        text, used = decode_html(marked, headers)
        assert used == "utf-8" and TEXT in text
    text, used = decode_html(page().encode("utf-16-be"), http(charset))
    assert used == "utf-16-be" and TEXT in text


CZECH = "Příliš žluťoučký kůň úpěl ďábelské ódy; zpěvačka Šárka Ťuková vyprodala Žižkov."
POLISH = "Piosenkarka ogłosiła światową trasę; bilety na koncert w Łodzi zniknęły w godzinę."
RUSSIAN = "Певица объявила мировое турне, и билеты на концерт в Москве разошлись за час."
UKRAINIAN = "Співачка оголосила світове турне, і квитки на концерт у Києві розійшлися за годину."
GREEK = "Η τραγουδίστρια ανακοίνωσε παγκόσμια περιοδεία και τα εισιτήρια εξαντλήθηκαν."
GERMAN = "Die Sängerin verlangt 95 € für Karten; Fans in Köln und Düsseldorf jubeln laut."


# (windows-1250 and windows-1253 are left out: they leave bytes undefined that UTF-8
# text uses, so those pages fell through to UTF-8 already.)
@pytest.mark.parametrize(
    ("charset", "text"),
    [
        ("iso-8859-2", CZECH),
        ("iso-8859-16", POLISH),
        ("windows-1251", RUSSIAN),
        ("koi8-r", RUSSIAN),
        ("koi8-u", UKRAINIAN),
        ("iso-8859-5", RUSSIAN),
        ("ibm866", RUSSIAN),
        ("iso-8859-15", GERMAN),
        ("macintosh", GERMAN),
    ],
    ids=lambda value: value if value.isascii() else "",
)
@pytest.mark.parametrize("where", ["meta", "http"])
def test_a_single_byte_declaration_reads_its_own_text_and_utf8_text(charset, text, where):
    # A site moved to UTF-8 keeps its old <meta> or server default: the UTF-8 bytes were
    # decoded in the declared codec (mojibake in the title and body). A real page in
    # that codec reads as before.
    title = " ".join(text.split()[:3])
    html = page(text, title, f'<meta charset="{charset}">' if where == "meta" else "")
    headers = http(charset) if where == "http" else None
    for codec in (charset, "utf-8"):
        data = html.encode(codec)
        decoded, used = decode_html(data, headers)
        assert text in decoded, (codec, used)
        fields = extract_article(data, URL, headers=headers)
        assert fields["title"] == title and text in fields["body"], codec


@pytest.mark.parametrize(
    "url",
    [
        "http://[::1",  # an IPv6 address whose bracket is never closed
        "https://[2001:db8::1/news/1",
        "https://legacy.example]/news/1",
        "https://legacy\uff03.example/news/1",  # a full-width "#" in the host (NFKC)
    ],
)
def test_a_page_url_urllib_cannot_split_is_a_bad_url(url):
    # urllib.parse raised ValueError in the first layer reading the URL: "failed".
    data = page().encode()
    with pytest.raises(ExtractError) as caught:
        extract_article(data, url)
    assert caught.value.reason == "bad_url"
    assert url in caught.value.detail


def test_newscrawl_extract_reports_a_bad_url(tmp_path):
    file = tmp_path / "page.html"
    file.write_text(page(), encoding="utf-8")
    result = CliRunner().invoke(main, ["extract", "--url", "http://[::1", str(file)])
    [row] = [json.loads(line) for line in result.stdout.splitlines()]
    assert result.exit_code == 0
    assert row["reason"] == "bad_url" and "http://[::1" in row["error"]


STORY = (
    "Lady Gaga opened her world tour in {city} on Friday. The singer played for three "
    "hours, and fans who had queued since the morning sang along to every song, from "
    "the early hits to the new album. {text}"
)


def test_a_crawl_archives_utf16_pages_and_utf8_pages_declared_in_another_charset(tmp_path):
    """Served as publishers send them: UTF-16 without a BOM (declared by HTTP, by a
    UTF-16 <meta>, or not at all) and UTF-8 under an old koi8-r or iso-8859-2 header."""
    cases = {
        "/2026/utf16le/": ("utf-16-le", "text/html; charset=utf-16le", "", "Zürich", TEXT),
        "/2026/utf16/": ("utf-16-be", "text/html; charset=utf-16", "", "Köln", GERMAN),
        "/2026/utf16-meta/": ("utf-16-le", "text/html", '<meta charset="utf-16">', "Αθήνα", GREEK),
        "/2026/koi8/": ("utf-8", "text/html; charset=koi8-r", "", "Москва", RUSSIAN),
        "/2026/latin2/": ("utf-8", "text/html", '<meta charset="iso-8859-2">', "Praha", CZECH),
    }
    routes = {}
    for path, (codec, content_type, head, city, text) in cases.items():
        body = page(STORY.format(city=city, text=text), f"Lady Gaga live in {city}", head)
        routes[path] = (200, content_type, body.encode(codec), {})
    sitemap = "".join(f"<url><loc>http://{{host}}{path}</loc></url>" for path in cases)
    routes["/sitemap.xml"] = (
        200,
        "application/xml",
        f'<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">{sitemap}</urlset>',
        {},
    )
    site = publisher(routes)
    with serve_locally(site) as host:
        site.names["host"] = host
        sources, artists = write_config(tmp_path, host, sitemaps=[f"http://{host}/sitemap.xml"])
        result = scrapy_crawl(db=tmp_path / "a.db", sources=sources, artists=artists)
    assert result.query("select url, stage, reason, detail from drops") == []
    stored = {r["url"]: r for r in result.query("select url, title, body from articles")}
    for path, (_, _, _, city, text) in cases.items():
        row = stored[f"http://{host}{path}"]
        assert row["title"] == f"Lady Gaga live in {city}"
        assert text in row["body"]
