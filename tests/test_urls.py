import pytest

from newscrawl.urls import canonicalize_url, domain_allowed, hostname


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("HTTP://Example.COM:80/a/b?utm_source=x&id=3#frag", "http://example.com/a/b?id=3"),
        ("https://example.com:443", "https://example.com/"),
        ("https://example.com:8443/x", "https://example.com:8443/x"),
        (
            "http://127.0.0.1:8101/story.asp?id=7&utm_medium=rss&sessionid=ab12",
            "http://127.0.0.1:8101/story.asp?id=7",
        ),
        ("http://x.com/p?b=2&a=1", "http://x.com/p?a=1&b=2"),
        ("http://x.com/p;jsessionid=ABC123?x=1", "http://x.com/p?x=1"),
        ("http://x.com/p?fbclid=1&gclid=2&mc_cid=3", "http://x.com/p"),
        ("http://x.com/%7Euser/", "http://x.com/~user/"),
        ("http://x.com/caf%C3%A9", "http://x.com/caf%C3%A9"),
        ("  http://x.com/a  ", "http://x.com/a"),
        ("mailto:someone@example.com", "mailto:someone@example.com"),
        ("http://EXAMPLE.com./", "http://example.com/"),
    ],
)
def test_canonicalize(raw, expected):
    assert canonicalize_url(raw) == expected


def test_canonical_is_idempotent():
    url = "HTTP://Example.com:80/a%20b/?utm_campaign=z&q=1#x"
    once = canonicalize_url(url)
    assert canonicalize_url(once) == once


def test_blank_query_values_kept():
    assert canonicalize_url("http://x.com/?a=&b=1") == "http://x.com/?a=&b=1"


@pytest.mark.parametrize(
    ("url", "allowed", "ok"),
    [
        ("http://www.example.com/a", ["example.com"], True),
        ("http://badexample.com/a", ["example.com"], False),
        ("http://127.0.0.1:8101/a", ["127.0.0.1:8101"], True),
        ("http://127.0.0.1:8102/a", ["127.0.0.1:8101"], False),
        ("http://127.0.0.1:8102/a", ["127.0.0.1"], True),
        ("not a url", ["example.com"], False),
    ],
)
def test_domain_allowed(url, allowed, ok):
    assert domain_allowed(url, allowed) is ok


def test_hostname():
    assert hostname("http://A.b.C:99/x") == "a.b.c"
    assert hostname("::::") == ""


def test_a_short_sid_is_an_article_id_a_long_one_a_session():
    # PHP-Nuke's article.php?sid=101 names the article; phpBB's sid is 32 hex digits.
    assert (
        canonicalize_url("http://a.test/article.php?sid=101") == "http://a.test/article.php?sid=101"
    )
    assert canonicalize_url("http://a.test/article.php?sid=102") != canonicalize_url(
        "http://a.test/article.php?sid=101"
    )
    assert (
        canonicalize_url("http://a.test/viewtopic.php?t=5&sid=0123456789abcdef0123456789abcdef")
        == "http://a.test/viewtopic.php?t=5"
    )


def test_internationalised_hosts_are_one_host_in_either_spelling():
    unicode_form = "http://b\u00fccher.test/news/a/"
    punycode = "http://xn--bcher-kva.test/news/a/"
    assert canonicalize_url(unicode_form) == canonicalize_url(punycode) == punycode
    for url in (unicode_form, punycode):
        assert domain_allowed(url, ["b\u00fccher.test"])
        assert domain_allowed(url, ["xn--bcher-kva.test"])
