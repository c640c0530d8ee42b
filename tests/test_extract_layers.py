"""Unit tests for each extraction layer, on small real-world-shaped pages."""

from __future__ import annotations

import pytest
from extract_pages import PARAGRAPHS, URL, page

from newscrawl.extract import ExtractError, extract_article
from newscrawl.extract.authors import split_names
from newscrawl.extract.normalize import normalise_language, parse_date


def article_body(*extra: str) -> str:
    paragraphs = "".join(f"<p>{p}</p>" for p in PARAGRAPHS)
    return f"<article><h1>Star Announces Tour</h1>{paragraphs}{''.join(extra)}</article>"


def ld(json_text: str) -> str:
    return f'<script type="application/ld+json">{json_text}</script>'


# -- JSON-LD ------------------------------------------------------------------------------

GRAPH = ld(
    """{"@context": "https://schema.org", "@graph": [
    {"@type": "WebSite", "@id": "https://gossip.example/#website", "name": "The Daily Gossip"},
    {"@type": "Organization", "@id": "https://gossip.example/#org", "name": "The Daily Gossip"},
    {"@type": "WebPage", "@id": "https://gossip.example/a/", "name": "Star Announces Tour"},
    {"@type": ["NewsArticle", "Article"], "@id": "https://gossip.example/a/#article",
     "headline": "Star Announces Tour",
     "author": [{"@id": "https://gossip.example/#/person/1"},
                {"@id": "https://gossip.example/#/person/2"}],
     "publisher": {"@id": "https://gossip.example/#org"},
     "datePublished": "2024-05-02T10:00:00+02:00", "dateModified": "2024-05-03T08:00:00+02:00",
     "keywords": ["Music", "Tours"], "articleSection": ["Music", "News"],
     "image": {"@type": "ImageObject", "url": "/img/lead.jpg"}},
    {"@type": "Person", "@id": "https://gossip.example/#/person/1", "name": "Jane Doe"},
    {"@type": "Person", "@id": "https://gossip.example/#/person/2", "name": "JOHN ROE",
     "jobTitle": "Senior Editor"}
    ]}"""
)


def test_jsonld_graph_resolves_author_references():
    fields = extract_article(page(GRAPH, article_body()), URL)
    assert fields["title"] == "Star Announces Tour"
    assert fields["authors"] == ["Jane Doe", "John Roe"]
    assert fields["published_at"] == "2024-05-02T10:00:00+02:00"
    assert fields["modified_at"] == "2024-05-03T08:00:00+02:00"
    assert fields["tags"] == ["Music", "Tours"]
    assert fields["section"] == "Music"
    assert fields["image_url"] == "https://gossip.example/img/lead.jpg"
    assert fields["is_paywalled"] is None
    for name in ("title", "authors", "published_at", "tags", "section", "image_url"):
        assert fields["provenance"][name] == "jsonld"


def test_jsonld_array_of_types_and_string_keywords():
    head = ld(
        '{"@type": ["Thing", "ReportageNewsArticle"], "headline": "Star Announces Tour",'
        ' "author": "Jane Doe and John Roe", "datePublished": "2024-05-02",'
        ' "keywords": "music, tours, pop"}'
    )
    fields = extract_article(page(head, article_body()), URL)
    assert fields["authors"] == ["Jane Doe", "John Roe"]
    assert fields["published_at"] == "2024-05-02"
    assert fields["tags"] == ["music", "tours", "pop"]


@pytest.mark.parametrize(
    ("markup", "expected"),
    [
        ('"isAccessibleForFree": false', True),
        ('"isAccessibleForFree": "False"', True),
        ('"isAccessibleForFree": true', False),
        (
            '"isAccessibleForFree": "True", "hasPart": {"@type": "WebPageElement",'
            ' "isAccessibleForFree": "False", "cssSelector": ".paywall"}',
            True,
        ),
        ('"headline": "x"', None),
    ],
)
def test_paywall_flag(markup, expected):
    head = ld('{"@type": "NewsArticle", "headline": "Star Announces Tour", ' + markup + "}")
    assert extract_article(page(head, article_body()), URL)["is_paywalled"] is expected


def test_malformed_jsonld_is_read_leniently_or_ignored():
    head = (
        ld(
            '<!-- {"@type": "NewsArticle", "headline": "Star Announces Tour",'
            ' "author": {"name": "Jane Doe"},} -->'
        )
        + ld('{"@type": "NewsArticle", "headline": ')  # truncated: ignored
        + '<meta property="article:published_time" content="2024-05-02T10:00:00Z">'
    )
    fields = extract_article(page(head, article_body()), URL)
    assert fields["authors"] == ["Jane Doe"]
    assert fields["published_at"] == "2024-05-02T10:00:00+00:00"
    assert fields["provenance"]["published_at"] == "opengraph"


# -- microdata and OpenGraph ---------------------------------------------------------------


def test_microdata_article():
    body = (
        '<div itemscope itemtype="https://schema.org/NewsArticle">'
        '<h1 itemprop="headline">Star Announces Tour</h1>'
        '<span itemprop="author" itemscope itemtype="https://schema.org/Person">'
        '<span itemprop="name">Jane Doe</span></span>'
        '<time itemprop="datePublished" datetime="2024-05-02T09:30:00-04:00">May 2</time>'
        '<meta itemprop="keywords" content="pop, tours">'
        '<div itemprop="articleBody">' + "".join(f"<p>{p}</p>" for p in PARAGRAPHS) + "</div></div>"
        '<div itemscope itemtype="https://schema.org/Organization">'
        '<span itemprop="name">The Daily Gossip</span></div>'
    )
    fields = extract_article(page("", body), URL)
    assert fields["title"] == "Star Announces Tour"
    assert fields["authors"] == ["Jane Doe"]
    assert fields["published_at"] == "2024-05-02T09:30:00-04:00"
    assert fields["tags"] == ["pop", "tours"]
    assert fields["provenance"]["authors"] == "microdata"


def test_opengraph_only_page():
    head = (
        "<title>Star Announces Tour - The Daily Gossip</title>"
        '<meta property="og:site_name" content="The Daily Gossip">'
        '<meta property="og:title" content="Star Announces Tour | The Daily Gossip">'
        '<meta property="og:description" content="A world tour, at last.">'
        '<meta property="og:image" content="//cdn.gossip.example/lead.jpg">'
        '<meta property="og:url" content="/music/star-announces-tour/">'
        '<meta property="og:locale" content="en_US">'
        '<meta property="article:published_time" content="2024-05-02T10:00:00+01:00">'
        '<meta property="article:modified_time" content="2024-05-02T12:00:00+01:00">'
        '<meta property="article:section" content="Music">'
        '<meta property="article:tag" content="Pop"><meta property="article:tag" content="Tours">'
        '<meta name="author" content="Jane Doe">'
    )
    body = "<div><p>" + "</p><p>".join(PARAGRAPHS) + "</p></div>"
    fields = extract_article(page(head, body, lang=""), URL)
    assert fields["title"] == "Star Announces Tour"
    assert fields["description"] == "A world tour, at last."
    assert fields["image_url"] == "https://cdn.gossip.example/lead.jpg"
    assert fields["canonical_url"] == "https://gossip.example/music/star-announces-tour/"
    assert fields["language"] == "en-US"
    assert fields["published_at"] == "2024-05-02T10:00:00+01:00"
    assert fields["modified_at"] == "2024-05-02T12:00:00+01:00"
    assert fields["section"] == "Music"
    assert fields["tags"] == ["Pop", "Tours"]
    assert fields["authors"] == ["Jane Doe"]
    assert fields["provenance"]["title"] == "opengraph"
    assert fields["provenance"]["language"] == "opengraph"


def test_meta_tag_families():
    head = (
        '<meta name="parsely-author" content="Jane Doe">'
        '<meta name="parsely-pub-date" content="2024-05-02T10:00:00Z">'
        '<meta name="parsely-tags" content="pop,tours">'
        '<meta name="DC.language" content="fr">'
        '<link rel="canonical" href="https://gossip.example/canonical/">'
    )
    fields = extract_article(page(head, article_body(), lang=""), URL)
    assert fields["authors"] == ["Jane Doe"]
    assert fields["published_at"] == "2024-05-02T10:00:00+00:00"
    assert fields["tags"] == ["pop", "tours"]
    assert fields["language"] == "fr"
    assert fields["canonical_url"] == "https://gossip.example/canonical/"


# -- bylines and names ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("byline", "expected"),
    [
        ("By JANE DOE For The Daily Gossip", ["Jane Doe"]),
        ("By Jane Doe and John Roe", ["Jane Doe", "John Roe"]),
        ("Jane Doe, John Roe & Mary-Ann O'Neil", ["Jane Doe", "John Roe", "Mary-Ann O'Neil"]),
        ("By Jane Doe, Staff", ["Jane Doe"]),
        ("Jane Doe | Updated 3:02 PM", ["Jane Doe"]),
        ("Jane Doe, Senior Editor", ["Jane Doe"]),
        ("Jane Doe Senior Editor", ["Jane Doe"]),
        ("By Jane Doe (jane@gossip.example) @janedoe", ["Jane Doe"]),
        ("Staff", []),
        ("https://gossip.example/author/jane-doe/", []),
        ("Published May 2, 2024", []),
    ],
)
def test_split_names(byline, expected):
    assert split_names(byline) == expected


def test_visible_byline_when_no_structured_author():
    body = (
        "<article><h1>Star Announces Tour</h1>"
        '<div class="article-byline">By JANE DOE and JOHN ROE For The Daily Gossip'
        " | Updated: 3:02 PM EDT, May 2, 2024</div>"
        + "".join(f"<p>{p}</p>" for p in PARAGRAPHS)
        + "</article>"
    )
    fields = extract_article(page("", body), URL)
    assert fields["authors"] == ["Jane Doe", "John Roe"]
    assert fields["provenance"]["authors"] == "byline"


def test_author_that_is_the_site_is_dropped():
    head = '<meta property="og:site_name" content="The Daily Gossip">' + ld(
        '{"@type": "NewsArticle", "headline": "Star Announces Tour",'
        ' "author": [{"@type": "Organization", "name": "The Daily Gossip"},'
        ' {"@type": "Person", "name": "Jane Doe"}]}'
    )
    assert extract_article(page(head, article_body()), URL)["authors"] == ["Jane Doe"]


# -- dates ---------------------------------------------------------------------------------


def test_implausible_dates_fall_through_to_the_next_layer():
    head = (
        ld(
            '{"@type": "NewsArticle", "headline": "Star Announces Tour",'
            ' "datePublished": "2999-01-01T00:00:00Z"}'
        )
        + '<meta property="article:published_time" content="1970-01-01T00:00:00Z">'
        + '<meta name="dc.date" content="2024-05-02">'
    )
    fields = extract_article(page(head, article_body()), URL)
    assert fields["published_at"] == "2024-05-02"
    assert fields["provenance"]["published_at"] == "meta"


def test_time_element_then_url_then_evidence():
    body = article_body().replace(
        "<h1>", '<time class="published" datetime="2024-04-30T08:00:00Z">Apr 30</time><h1>'
    )
    fields = extract_article(page("", body), URL)
    assert (fields["published_at"], fields["provenance"]["published_at"]) == (
        "2024-04-30T08:00:00+00:00",
        "time",
    )
    evidence = {"channel": "rss", "published": "Thu, 02 May 2024 10:00:00 +0000"}
    fields = extract_article(page("", article_body()), URL, evidence=evidence)
    assert fields["published_at"] == "2024-05-02T10:00:00+00:00"
    assert fields["provenance"]["published_at"] == "feed"
    fields = extract_article(page("", article_body()), URL)
    assert (fields["published_at"], fields["provenance"]["published_at"]) == ("2024-05-02", "url")


def test_date_conflicts_are_reported():
    head = (
        ld(
            '{"@type": "NewsArticle", "headline": "Star Announces Tour",'
            ' "datePublished": "2024-05-02T10:00:00Z"}'
        )
        + '<meta property="article:published_time" content="2024-04-20T10:00:00Z">'
    )
    fields = extract_article(page(head, article_body()), URL)
    assert fields["published_at"] == "2024-05-02T10:00:00+00:00"
    assert fields["provenance"]["date_conflicts"] == [
        {
            "field": "published_at",
            "kept": "2024-05-02T10:00:00+00:00",
            "kept_from": "jsonld",
            "other": "2024-04-20T10:00:00+00:00",
            "other_from": "opengraph",
        }
    ]


@pytest.mark.parametrize(
    ("text", "iso"),
    [
        ("2026-06-05T17:20:55+0000", "2026-06-05T17:20:55+00:00"),
        ("2024-04-28 07:00:00Z", "2024-04-28T07:00:00+00:00"),
        ("2023-04-28T13:53:25", "2023-04-28T13:53:25"),
        ("2024-08-08T08:00Z", "2024-08-08T08:00:00+00:00"),
        ("1750680000000", "2025-06-23T12:00:00+00:00"),
        ("Fri, 28 Apr 2023 18:01:37 +0000", "2023-04-28T18:01:37+00:00"),
        ("May 2, 2024 3:02 PM EDT", "2024-05-02T15:02:00-04:00"),
        ("2 May 2024", "2024-05-02"),
    ],
)
def test_parse_date_formats(text, iso):
    assert parse_date(text).iso() == iso


def test_plausibility():
    assert not parse_date("1989-12-31").plausible()
    assert not parse_date("2999-01-01T00:00:00Z").plausible()
    assert parse_date("1990-01-01").plausible()


# -- titles, language ---------------------------------------------------------------------


@pytest.mark.parametrize(
    "raw",
    [
        "Star Announces Tour | The Daily Gossip",
        "Star Announces Tour - The Daily Gossip",
        "Star Announces Tour — Daily Gossip",
        "The Daily Gossip: Star Announces Tour",
        "Star Announces Tour | Music | dailygossip.example",
    ],
)
def test_title_suffixes_are_removed(raw):
    head = f'<title>{raw}</title><meta property="og:site_name" content="The Daily Gossip">'
    body = "<div>" + "".join(f"<p>{p}</p>" for p in PARAGRAPHS) + "</div>"
    url = "https://dailygossip.example/star"
    fields = extract_article(page(head, body), url)
    if raw.startswith("The Daily Gossip:"):
        # A colon is part of many headlines; only separators such as | - — are cut.
        assert fields["title"] == raw
    elif "Music" in raw:
        assert fields["title"] == "Star Announces Tour | Music"
    else:
        assert fields["title"] == "Star Announces Tour"


def test_displayed_headline_wins_over_an_seo_headline():
    head = '<meta property="og:title" content="Star announces a 60-date world tour">' + ld(
        '{"@type": "NewsArticle", "headline": "Star world tour 2024: dates, tickets"}'
    )
    body = article_body().replace(
        "<h1>Star Announces Tour</h1>", "<h1>Star announces a 60-date world tour</h1>"
    )
    fields = extract_article(page(head, body), URL)
    assert fields["title"] == "Star announces a 60-date world tour"


@pytest.mark.parametrize(
    ("raw", "tag"),
    [("en_US", "en-US"), ("EN-gb", "en-GB"), ("pt-br", "pt-BR"), ("zh-hant-tw", "zh-Hant-TW")],
)
def test_language_normalisation(raw, tag):
    assert normalise_language(raw) == tag


def test_language_from_content_language_header():
    fields = extract_article(
        page("", article_body(), lang=""), URL, headers={"Content-Language": "de-DE"}
    )
    assert fields["language"] == "de-DE"


# -- body ----------------------------------------------------------------------------------


def test_body_drops_boilerplate_and_keeps_subheadings():
    body = (
        "<article><h1>Star Announces Tour</h1>"
        '<p class="standfirst">Sixty dates, four continents, one very busy year.</p>'
        '<div class="byline">By Jane Doe</div>'
        f"<p>{PARAGRAPHS[0]}</p><p>Advertisement</p>"
        '<figure><img src="a.jpg"><figcaption>Photo: John Roe/Getty Images</figcaption></figure>'
        f"<p>{PARAGRAPHS[1]}</p>"
        '<div class="newsletter-signup"><p>Sign up for our music newsletter</p></div>'
        "<h2>The dates</h2>"
        f"<p>{PARAGRAPHS[2]}</p>"
        '<p>Read more: <a href="/x">Another star cancels her tour</a></p>'
        '<div class="share-bar"><a href="#">Share on Facebook</a><a href="#">Tweet</a></div>'
        f"<p>{PARAGRAPHS[3]}</p>"
        "<p>Photo: Jane Doe/Getty Images</p>"
        '<div class="related-articles"><h3>Related articles</h3><ul>'
        '<li><a href="/1">Another story</a></li><li><a href="/2">A third story</a></li></ul>'
        "</div></article>"
    )
    fields = extract_article(page("", body), URL)
    assert fields["body"].split("\n\n") == [
        "Sixty dates, four continents, one very busy year.",
        PARAGRAPHS[0],
        PARAGRAPHS[1],
        "The dates",
        PARAGRAPHS[2],
        PARAGRAPHS[3],
    ]
    assert fields["word_count"] == len(fields["body"].split())


def test_body_split_by_ads_is_joined():
    chunk = '<div class="body-chunk">{}</div><div class="ad-slot">Advertisement</div>'
    body = (
        "<main><h1>Star Announces Tour</h1>"
        + "".join(chunk.format(f"<p>{p}</p>") for p in PARAGRAPHS)
        + "<aside><p>Most read: something else entirely</p></aside></main>"
    )
    fields = extract_article(page("", body), URL)
    assert fields["body"].split("\n\n") == PARAGRAPHS


def test_content_hash_ignores_whitespace_and_tracks_changes():
    one = extract_article(page("", article_body()), URL)
    spaced = article_body().replace("<p>", "<p>\n   ").replace(", ", ",  ")
    two = extract_article(page("", spaced), URL)
    assert one["content_hash"] == two["content_hash"]
    changed = extract_article(page("", article_body("<p>A correction was added.</p>")), URL)
    assert changed["content_hash"] != one["content_hash"]


def test_output_has_exactly_the_documented_keys():
    fields = extract_article(page(GRAPH, article_body()), URL)
    assert list(fields) == [
        "url",
        "canonical_url",
        "title",
        "description",
        "authors",
        "published_at",
        "modified_at",
        "section",
        "tags",
        "language",
        "image_url",
        "body",
        "word_count",
        "is_paywalled",
        "is_gallery",
        "content_hash",
        "provenance",
    ]


# -- limits and errors -------------------------------------------------------------------------


def test_too_large_and_truncation():
    big = page("<title>Star Announces Tour</title>", article_body() + "<!--" + "x" * 5000 + "-->")
    with pytest.raises(ExtractError) as caught:
        extract_article(big, URL, max_bytes=len(big) // 3)
    assert caught.value.reason == "too_large"
    fields = extract_article(big, URL, max_bytes=len(big) - 2000)
    assert fields["provenance"]["truncated"] is True
    assert fields["title"] == "Star Announces Tour"


def test_empty_page():
    with pytest.raises(ExtractError) as caught:
        extract_article(b"<html><body>   </body></html>", URL)
    assert caught.value.reason == "empty"


def test_intro_outside_the_body_div_is_kept_comments_and_teasers_are_not():
    comments = [
        "I have been a fan for twenty years and I still cannot believe she is finally coming "
        "back to Europe, this is the best news of the whole year for me and my friends.",
        "Tickets are far too expensive again, the promoters should be ashamed of themselves, "
        "nobody on a normal salary can afford these prices any more, it is a disgrace.",
        "Saw her in 2019 in Berlin and it was the best concert of my life, the production was "
        "incredible and she sang every song live without any backing track at all.",
    ]
    body = (
        "<main><h1>Star Announces Tour</h1>"
        f'<p class="intro">{PARAGRAPHS[0]}</p>'
        '<div class="article-body">'
        + "".join(f"<p>{p}</p>" for p in PARAGRAPHS[1:])
        + '</div><section id="comments"><h2>Comments (3)</h2>'
        + "".join(f"<p>{c}</p>" for c in comments)
        + '</section><div class="more-stories"><h2>More stories</h2>'
        '<div class="card"><h3><a href="/a">Another star cancels her tour</a></h3>'
        "<p>The cancellation came two days before the first show, leaving fans stranded.</p>"
        '</div><div class="card"><h3><a href="/b">Band reunites for one night</a></h3>'
        "<p>The four members had not played together in more than a decade.</p></div>"
        "</div></main>"
    )
    fields = extract_article(page("", body), URL)
    assert fields["body"].split("\n\n") == PARAGRAPHS


def test_old_template_without_markup():
    html = (
        "<html><head><title>Showbiz Bulletin :: Star Announces Tour</title></head><body>"
        '<table><tr><td><img src="/images/logo.gif" width="300" height="60"></td></tr>'
        "<tr><td><font size=1><a href='/news'>News</a> &gt; Music</font><br>"
        "<font size=5><b>Star Announces Tour</b></font><br>"
        "<font>By Dorothy Kaye<br>Posted: 6/3/2025 9:40:00 AM</font><hr>"
        '<img src="/images/stories/2327.jpg" width="240" height="180">'
        + "".join(f"<p>{p}</p>" for p in PARAGRAPHS)
        + "</td></tr></table></body></html>"
    ).encode("cp1252")
    fields = extract_article(html, "https://bulletin.example/story.asp?id=2327")
    assert fields["title"] == "Star Announces Tour"
    assert fields["authors"] == ["Dorothy Kaye"]
    assert fields["published_at"] == "2025-06-03T09:40:00"  # month first, no offset given
    assert fields["section"] == "Music"
    assert fields["image_url"] == "https://bulletin.example/images/stories/2327.jpg"
    assert fields["body"].split("\n\n") == PARAGRAPHS
    assert fields["provenance"]["published_at"] == "dateline"
    assert fields["provenance"]["section"] == "breadcrumb"


def test_machine_tags_are_dropped():
    head = ld(
        '{"@type": "NewsArticle", "headline": "Star Announces Tour", "keywords": ['
        '"8f507083-bac4-423a-9015-2eb31e1bce50", "Page Type: Article", "Subject: Music",'
        ' "Category: News", "gossip.example", "Pop"], "articleSection": "Uncategorized"}'
    )
    fields = extract_article(page(head, article_body()), URL)
    assert fields["tags"] == ["Music", "Pop"]
    assert fields["section"] is None


def test_trafilatura_backs_up_a_container_holding_little_of_the_prose(monkeypatch):
    from newscrawl.extract import pipeline

    filler = " ".join(["The promoter said more shows would follow in the autumn."] * 4)
    scattered = "".join(
        f'<div class="w{i}"><div class="x{i}"><div class="y{i}"><p>{filler} ({i})</p>'
        "</div></div></div>"
        for i in range(12)
    )
    html = page(
        "",
        '<div class="article-body">'
        + "".join(f"<p>{p}</p>" for p in PARAGRAPHS[:2])
        + "</div>"
        + scattered,
    )
    fuller = PARAGRAPHS[:2] + [f"{filler} ({i})" for i in range(12)]
    monkeypatch.setattr(pipeline, "_trafilatura", lambda doc: fuller)
    fields = extract_article(html, URL)
    assert fields["provenance"]["body"] == "trafilatura"
    assert fields["body"].split("\n\n") == fuller
    # A fallback that does not hold what was found is not trusted.
    monkeypatch.setattr(pipeline, "_trafilatura", lambda doc: fuller[2:] * 2)
    fields = extract_article(html, URL)
    assert fields["provenance"]["body"] == "html"


def test_uk_tabloid_dateline_with_the_time_first():
    from newscrawl.extract.normalize import parse_text_date

    when = parse_text_date("Published: 09:31 EDT, 6 May 2025")
    assert when.value.isoformat() == "2025-05-06T09:31:00-04:00"
    when = parse_text_date("Updated: 14:02 BST, 3 March 2026")
    assert when.value.isoformat() == "2026-03-03T14:02:00+01:00"
    assert parse_text_date("6 May 2025").value.isoformat() == "2025-05-06"
