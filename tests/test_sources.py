import textwrap

import pytest

from newscrawl.errors import ConfigError
from newscrawl.sources import load_sources, parse_sources, select_sources

GOOD = """\
sources:
  - id: popwire
    name: PopWire
    homepage: https://popwire.example/
    allowed_domains: [popwire.example]
    sitemaps: [https://popwire.example/sitemap_index.xml]
    feeds: [https://popwire.example/feed/]
    listings: [https://popwire.example/]
    artist_pages: ["https://popwire.example/tag/{slug}/"]
    article_url: '^https://popwire\\.example/\\d{4}/\\d{2}/[a-z0-9-]+/$'
    max_pages: 50
    download_delay: 2
  - id: legacy
    name: Legacy
    homepage: http://127.0.0.1:8104/
    allowed_domains: ["127.0.0.1:8104"]
    listings: ["http://127.0.0.1:8104/news.asp?page=1"]
"""


def test_good_file_loads(tmp_path):
    path = tmp_path / "sources.yml"
    path.write_text(GOOD)
    popwire, legacy = load_sources(path)
    assert popwire.id == "popwire" and popwire.max_pages == 50 and popwire.download_delay == 2.0
    assert popwire.is_article_url("https://popwire.example/2026/03/a-story/")
    assert not popwire.is_article_url("https://popwire.example/tag/x/")
    assert not popwire.is_article_url("https://other.example/2026/03/a-story/")
    assert legacy.is_article_url(
        "http://127.0.0.1:8104/story.asp?id=1"
    )  # no pattern: any page on the domain
    assert legacy.max_pages == 1000
    assert popwire.to_dict()["allowed_domains"] == ("popwire.example",)


def err(text):
    with pytest.raises(ConfigError) as info:
        parse_sources(textwrap.dedent(text), path="sources.yml")
    return str(info.value)


def test_unknown_key_names_file_line_source_field():
    message = err(GOOD.replace("    max_pages: 50\n", "    max_pages: 50\n    max_page: 3\n"))
    assert message.startswith("sources.yml:12: source 'popwire': field 'max_page': unknown key")


def test_bad_integer():
    message = err(GOOD.replace("max_pages: 50", "max_pages: ten"))
    assert (
        message
        == "sources.yml:11: source 'popwire': field 'max_pages': expected a positive integer, got 'ten'"
    )


def test_bad_regex():
    message = err(GOOD.replace("'^https", "'(^https"))
    assert (
        "field 'article_url': invalid regular expression" in message
        and "source 'popwire'" in message
    )


def test_missing_required_field():
    message = err(GOOD.replace("    name: Legacy\n", ""))
    assert "source 'legacy': field 'name': is required" in message


def test_url_off_allowed_domains():
    message = err(
        GOOD.replace(
            "feeds: [https://popwire.example/feed/]", "feeds: [https://elsewhere.example/feed/]"
        )
    )
    assert "field 'feeds'" in message and "not on allowed_domains" in message


def test_artist_template_needs_placeholder():
    message = err(GOOD.replace("/tag/{slug}/", "/tag/"))
    assert "field 'artist_pages'" in message


def test_duplicate_id():
    message = err(GOOD.replace("id: legacy", "id: popwire"))
    assert "duplicate id" in message and "line 2" in message


def test_not_yaml():
    assert err("sources: [\n").startswith("sources.yml:")


def test_empty_and_wrong_shape():
    assert "empty" in err("")
    assert "'sources'" in err("sources: []\n")
    assert "unknown top-level key" in err("publishers: []\n")
    assert "source #1" in err("sources:\n  - just a string\n")


def test_no_discovery_channel():
    message = err(
        """\
        sources:
          - id: x
            name: X
            homepage: https://x.example/
            allowed_domains: [x.example]
        """
    )
    assert "source 'x'" in message and "no sitemaps, feeds, listings or artist_pages" in message


def test_missing_file(tmp_path):
    with pytest.raises(ConfigError, match="nope.yml: file not found"):
        load_sources(tmp_path / "nope.yml")


def test_select(tmp_path):
    sources = parse_sources(GOOD)
    assert [s.id for s in select_sources(sources, ["legacy"])] == ["legacy"]
    with pytest.raises(ConfigError, match="unknown source id"):
        select_sources(sources, ["nope"])


@pytest.mark.parametrize("value", [".inf", ".nan", "-.inf"])
def test_download_delay_must_be_finite(value):
    # .inf stalled the crawl (and SIGTERM could not stop it); .nan meant no delay at all.
    message = err(GOOD.replace("download_delay: 2", f"download_delay: {value}"))
    assert "field 'download_delay'" in message and "finite" in message


def test_a_key_given_twice_is_an_error_not_a_silent_overwrite():
    # YAML keeps the last of two equal keys: a second 'sources:' block hid the first.
    twice = GOOD + "sources:\n  - id: other\n"
    assert err(twice).startswith("sources.yml:18: field 'sources': key 'sources' appears twice")
    message = err(GOOD.replace("    max_pages: 50\n", "    max_pages: 50\n    max_pages: 5\n"))
    assert message.startswith("sources.yml:12: field 'max_pages': key 'max_pages' appears twice")


def test_merge_keys_and_anchors_work():
    text = textwrap.dedent(
        """\
        defaults: &polite
          download_delay: 3
          max_pages: 20
        """
    )
    # A top-level 'defaults' is not allowed; anchors inside the list are.
    merged = textwrap.dedent(
        """\
        sources:
          - &base
            id: one
            name: One
            homepage: https://one.example/
            allowed_domains: [one.example]
            listings: [https://one.example/]
            download_delay: 3
          - <<: *base
            id: two
            name: Two
        """
    )
    one, two = parse_sources(merged, path="sources.yml")
    assert (two.id, two.download_delay, two.homepage) == ("two", 3.0, "https://one.example/")
    assert "unknown top-level key 'defaults'" in err(text + GOOD)


def test_odd_yaml_is_a_one_line_error():
    complex_key = "sources:\n  - ? [a, b]\n    : 1\n"
    assert "a mapping key must be plain text" in err(complex_key)
    deep = "sources: " + "[" * 5000 + "]" * 5000 + "\n"
    message = err(deep)
    assert message.startswith("sources.yml") and "\n" not in message


def test_conditional_requests_is_a_boolean_named_in_the_error():
    message = err(
        """
        sources:
          - id: popwire
            name: Popwire
            homepage: https://popwire.example/
            allowed_domains: [popwire.example]
            sitemaps: [https://popwire.example/sitemap.xml]
            conditional_requests: "no"
        """
    )
    assert "sources.yml:" in message and "popwire" in message
    assert "field 'conditional_requests': expected true or false, got 'no'" in message
