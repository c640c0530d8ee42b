"""Property-based fuzzing of the three parsers every hostile page goes through: the
extractor, the URL canonicaliser and the mention matcher.

Example counts are modest (the whole file runs in well under a minute). With ``CI`` set
in the environment the examples are derandomized: the same inputs every run, so a CI
failure reproduces; locally each run tries new inputs (and prints the one that failed).
"""

from __future__ import annotations

import os
import random
from pathlib import Path
from urllib.parse import parse_qsl, urlsplit

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from newscrawl.artists import fold_phrase, load_watchlist
from newscrawl.extract import ExtractError, extract_article
from newscrawl.extract.evaluate import dev_set
from newscrawl.urls import canonicalize_url, is_tracking_param

REPO = Path(__file__).resolve().parents[1]
PAGE_BUDGET_MS = 2000
"""Per-page time budget of the extractor (Hypothesis ``deadline``)."""

settings.register_profile(
    "fuzz",
    deadline=PAGE_BUDGET_MS,
    database=None,
    derandomize=bool(os.environ.get("CI")),
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    print_blob=True,
)
FUZZ = settings.get_profile("fuzz")


def corpus_pages() -> list[Path]:
    """The fundus-dev pages, found as the golden tests find them ($NEWSCRAWL_CORPUS, by
    default ../shared/corpus next to the repository), or a failure saying where."""
    try:
        folder = dev_set(REPO) / "pages"
    except FileNotFoundError as error:
        pytest.fail(f"the mutated-page fuzz test needs the corpus: {error}", pytrace=False)
    pages = sorted(folder.glob("*.html"))
    if not pages:
        pytest.fail(f"no corpus pages in {folder}", pytrace=False)
    return pages


# -- the extractor -----------------------------------------------------------------------

URL = "https://fuzz.example/news/2026/11/story"
EXTRACT_REASONS = {"too_large", "not_html", "empty", "failed"}


def extract_or_reason(data: bytes, headers: dict | None = None) -> str:
    """Run the extractor; only ExtractError may escape it (anything else fails the test)."""
    try:
        fields = extract_article(data, URL, headers=headers)
    except ExtractError as error:
        assert error.reason in EXTRACT_REASONS, error
        return error.reason
    assert isinstance(fields["body"], str) and isinstance(fields["provenance"], dict)
    assert fields["word_count"] == len(fields["body"].split())
    return "ok"


CONTENT_TYPES = st.sampled_from(
    [
        None,
        {"Content-Type": "text/html"},
        {"Content-Type": "text/html; charset=utf-8"},
        {"Content-Type": "text/html; charset=shift_jis"},
        {"Content-Type": "text/html; charset=no-such-charset"},
        {"Content-Type": "application/octet-stream"},
        {"Content-Type": "text/html; charset="},
    ]
)


@settings(FUZZ, max_examples=120)
@given(data=st.binary(max_size=6000), headers=CONTENT_TYPES)
@example(data=b"\x00" * 10, headers=None)
@example(data=b"<html>\xff\xfe<body>" + b"<div>" * 3000, headers=None)
def test_extractor_takes_any_bytes(data, headers):
    extract_or_reason(data, headers)


# Things that break parsers, spliced into real pages.
NASTY = [
    b"\x00",
    b"\xff\xfe",
    b"\xef\xbb\xbf",
    b"\xc3",
    b"\xed\xa0\x80",
    b"<![CDATA[",
    b"]]>",
    b"<!--",
    b"-->",
    b"</html>",
    b"<html>",
    b"</body><body>",
    b"<script>",
    b"</script>",
    b'<script type="application/ld+json">{"@type":"NewsArticle","datePublished":"2999-99-99",',
    b'{"@graph": [[[[[[',
    b"<meta charset='x-unknown'>",
    b'<meta http-equiv="content-type" content="text/html; charset=utf-16">',
    b"<div>" * 400,
    b"</div>" * 400,
    b"<p>" * 2000,
    b"&#x110000;&#0;&#xD800;&amp;&",
    b"<time datetime='0000-00-00T25:61'>",
    b"<h1>",
    b"<article>",
    b'<a href="javascript:alert(1)">',
    b"<base href='http://[::1'>",
    b"<img src=x onerror=alert(1)" + b" a" * 500,
]


@st.composite
def mutated_page(draw):
    pages = corpus_pages()
    path = draw(st.sampled_from(pages))
    data = bytearray(path.read_bytes())
    for _ in range(draw(st.integers(1, 12))):
        spot = draw(st.integers(0, max(len(data) - 1, 0)))
        kind = draw(st.sampled_from(["flip", "cut", "insert", "nasty", "duplicate", "truncate"]))
        if kind == "flip" and data:
            data[spot] = draw(st.integers(0, 255))
        elif kind == "cut":
            del data[spot : spot + draw(st.integers(1, 20_000))]
        elif kind == "insert":
            data[spot:spot] = draw(st.binary(min_size=1, max_size=64))
        elif kind == "nasty":
            data[spot:spot] = draw(st.sampled_from(NASTY))
        elif kind == "duplicate":
            length = draw(st.integers(1, 50_000))
            data[spot:spot] = data[spot : spot + length]
        elif kind == "truncate":
            del data[spot:]
    return path.name, bytes(data)


@settings(FUZZ, max_examples=40)
@given(page=mutated_page(), headers=CONTENT_TYPES)
def test_extractor_survives_mutated_real_pages(page, headers):
    _, data = page
    reason = extract_or_reason(data, headers)
    assert reason != "failed", "an unexpected error inside the extractor"


def test_the_corpus_is_there_to_mutate():
    assert len(corpus_pages()) >= 20


def test_the_budget_holds_for_every_unmutated_corpus_page():
    # Hypothesis' deadline checks mutated pages; here every original page, in random order.
    import time

    pages = corpus_pages()
    random.Random(11).shuffle(pages)
    for path in pages:
        started = time.perf_counter()
        extract_or_reason(path.read_bytes())
        assert (time.perf_counter() - started) * 1000 < PAGE_BUDGET_MS, path.name


# -- the URL canonicaliser ---------------------------------------------------------------

HOSTS = st.sampled_from(
    [
        "example.com",
        "EXAMPLE.com.",
        "news.example.co.uk",
        "127.0.0.1",
        "[::1]",
        "[2001:db8::1]",
        "xn--bcher-kva.example",
        "bücher.example",
        "a_b.example",
        "",
        "[::1",
        "exa mple.com",
    ]
)
PORTS = st.sampled_from(["", ":80", ":443", ":8080", ":0", ":65535", ":99999", ":x", ":"])
SEGMENTS = st.sampled_from(
    [
        "news",
        "2026",
        "story.html",
        "%7Euser",
        "%2F",
        "%25",
        "%2541",
        "%e9",
        "%E9t%E9",
        "%C3%A9",
        "%",
        "%ZZ",
        "é",
        "日本",
        "a b",
        ";jsessionid=ABC123",
        ";sid=9;x=1",
        ";PHPSESSID=1",
        "..",
        ".",
        "",
        "a+b",
        "@",
        ":",
        "\\",
    ]
)
PARAMS = st.sampled_from(
    [
        "q=duet",
        "page=2",
        "utm_source=feed",
        "UTM_Medium=x",
        "fbclid=abc",
        "sid=1",
        "id=5",
        "a=",
        "a",
        "=x",
        "q=a+b",
        "q=a%2Bb",
        "q=%2541",
        "q=%E9",
        "q=é",
        "q=%",
        "&",
        "a=1&a=2",
        "x=%ZZ",
    ]
)


@st.composite
def url_like(draw):
    scheme = draw(st.sampled_from(["http", "https", "HTTP", "HtTpS", "ftp", "", "javascript"]))
    path = "/".join(draw(st.lists(SEGMENTS, max_size=5)))
    query = "&".join(draw(st.lists(PARAMS, max_size=5)))
    fragment = draw(st.sampled_from(["", "#top", "#", "#a?b"]))
    url = f"{scheme}://{draw(HOSTS)}{draw(PORTS)}/{path}"
    if query or draw(st.booleans()):
        url += "?" + query
    return url + fragment


@settings(FUZZ, max_examples=400)
@given(url=url_like() | st.text(max_size=80))
@example(url="http://a/%2541")
@example(url="http://a/%E9t%E9?q=%E9")
@example(url="http://a/p;jsessionid=1;x=2")
def test_canonical_urls_are_stable_and_parse(url):
    canonical = canonicalize_url(url)
    assert isinstance(canonical, str)
    assert canonicalize_url(canonical) == canonical  # idempotent
    if canonical == url.strip():
        return  # not an http(s) URL it can parse (or already canonical): left alone
    # Rewritten: a well-formed http(s) URL without fragment or tracking parameters.
    parts = urlsplit(canonical)
    if parts.scheme in ("http", "https"):
        assert parts.hostname and (parts.port is None or 0 <= parts.port <= 65535)
        assert parts.path.startswith("/") and not parts.fragment
        assert not any(is_tracking_param(k, v) for k, v in parse_qsl(parts.query, True))
        assert ";jsessionid=" not in parts.path.lower()


@settings(FUZZ, max_examples=150)
@given(url=url_like())
def test_canonicalising_keeps_what_identifies_the_page(url):
    # Whatever is left of the path keeps its meaning: the escapes that stay are the
    # ones that must (a literal %, /, or bytes that are not UTF-8 text).
    canonical = canonicalize_url(url)
    if canonical == url.strip():
        return
    before = urlsplit(url).path
    after = urlsplit(canonical).path
    for token in ("%25", "%2F", "%E9"):
        if token.lower() in before.lower() and ";" not in before:
            assert token in after, (before, after)


@pytest.mark.parametrize(
    ("url", "canonical"),
    [
        # Found by the properties above: decoding every escape changed which page a URL
        # names (and a second pass changed it again).
        ("http://a.example/%2541", "http://a.example/%2541"),
        ("http://a.example/a%2Fb", "http://a.example/a%2Fb"),
        ("http://a.example/caf%e9?q=%E9t%E9&utm_source=x", "http://a.example/caf%E9?q=%E9t%E9"),
        ("http://a.example/p;jsessionid=1;v=2", "http://a.example/p;v=2"),
        ("http://a.example/%7Euser/caf%c3%a9", "http://a.example/~user/caf%C3%A9"),
        ("http://a.example/?q=%2541&b=a+b", "http://a.example/?b=a+b&q=%2541"),
    ],
)
def test_canonicaliser_counterexamples(url, canonical):
    assert canonicalize_url(url) == canonical
    assert canonicalize_url(canonical) == canonical


# -- the mention matcher -----------------------------------------------------------------

WATCHLIST = load_watchlist()
MATCHER = WATCHLIST.matcher()
NAMES = sorted({p for a in WATCHLIST.artists for p in (*a.names, *a.weak_aliases)})
PHRASES = {a.id: {fold_phrase(p) for p in (*a.names, *a.weak_aliases)} for a in WATCHLIST.artists}
any_character = st.characters(blacklist_categories=())  # surrogates and controls too
text = st.lists(
    st.sampled_from(NAMES) | st.text(any_character, max_size=6) | st.sampled_from([" ", "\n\n"]),
    max_size=60,
).map("".join)


@settings(FUZZ, max_examples=200)
@given(title=st.none() | text, description=st.none() | text, body=text)
def test_matcher_never_raises_and_offsets_point_at_names(title, description, body):
    mentions = MATCHER.tag(title, description, body)
    for mention in mentions:
        assert mention.count >= 1 and 0.0 <= mention.salience <= 1.0
        if mention.first_offset is None:
            continue
        assert 0 <= mention.first_offset < len(body)
        here = fold_phrase(body[mention.first_offset : mention.first_offset + 80])
        assert any(here.startswith(p) for p in PHRASES[mention.artist_id]), (here, mention)
    for span in MATCHER.spans(title, description, body):
        field = {"title": title, "description": description, "body": body}[span.field]
        assert field[span.start : span.end] == span.text
