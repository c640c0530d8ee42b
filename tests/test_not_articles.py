"""Pages a publisher serves at an article URL that are not articles, crawled on a real
local server: a "Page not found" page answered with status 200 (a soft 404) must be a
drop, not an archived article, while a real story whose headline quotes such words stays;
a paywall's teaser is archived flagged as such, without the paywall's offer; a topic
page whose URL looks like a story's is not an article; a bot check served in place of the
story is tried again on the next run."""

from __future__ import annotations

import pytest
from crawling import serve_locally
from hypothesis import given, settings
from hypothesis import strategies as st
from test_discovery_channels import STORY_WORDS, story
from test_publisher_quirks import archived, crawl, drops, page, publisher

from newscrawl.article_gate import soft_404_headline

# Around the error message, what the site's templates put on every page: navigation
# and a sidebar of trending stories that name the watched artist.
NAV = "<header><nav><a href='/'>Home</a> <a href='/music/'>Music</a></nav></header>"
TRENDING = (
    "<aside class='widget'><h3>Trending</h3><ul>"
    + "".join(
        f"<li><a href='/2026/trending-{i}/'>Lady Gaga story {i} about her world tour</a></li>"
        for i in range(6)
    )
    + "</ul></aside>"
)

# WordPress's 404 template (twentyseventeen and its many descendants), served with 200
# by a caching layer or a plugin that "fixes" 404s.
WORDPRESS_404 = (
    "<!doctype html><html lang='en-US'><head><meta charset='utf-8'>"
    "<title>Page not found &ndash; Popwire</title></head><body class='error404'>"
    + NAV
    + "<main id='main' class='site-main'><section class='error-404 not-found'>"
    "<header class='page-header'><h1 class='page-title'>Oops! That page can&rsquo;t be "
    "found.</h1></header><div class='page-content'><p>It looks like nothing was found at "
    "this location. Maybe try one of the links below or a search?</p>"
    "<form role='search'><input type='search' placeholder='Search &hellip;'>"
    "<button>Search</button></form><div class='widget widget_recent_entries'>"
    "<h2 class='widget-title'>Recent Posts</h2><ul>"
    + "".join(
        f"<li><a href='/2026/recent-{i}/'>Lady Gaga announces new date number {i} for "
        "the Chromatica Ball</a></li>"
        for i in range(10)
    )
    + "</ul></div></div></section></main>"
    + TRENDING
    + "</body></html>"
)

# A news site's "story removed" page with cards of its latest stories.
NO_LONGER_AVAILABLE = (
    "<html><head><title>This story is no longer available | Popwire</title></head><body>"
    + NAV
    + "<main><article><h1>This story is no longer available</h1><p>Sorry, the page you "
    "were looking for has been removed or is no longer available. It may have been "
    "moved, or the link you followed may be out of date.</p><p>Here are some of our "
    "latest stories instead:</p>"
    + "".join(
        f"<div class='card'><h3><a href='/2026/latest-{i}/'>Lady Gaga says tour {i} will "
        "be her biggest</a></h3><p>The singer spoke to fans about the shows and the new "
        "record out this year.</p></div>"
        for i in range(6)
    )
    + "</article></main>"
    + TRENDING
    + "</body></html>"
)

SITEMAP = (
    '<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">'
    + "".join(
        f"<url><loc>http://{{host}}/2026/{slug}/</loc></url>"
        for slug in ("gone", "pulled", "story", "video")
    )
    + "</urlset>"
)


def test_a_page_not_found_served_with_status_200_is_a_soft_404_drop(tmp_path):
    # Both error pages have a title and well over NEWSCRAWL_MIN_WORDS words (their
    # sidebars), and name the watched artist: they were archived as articles about her.
    site = publisher(
        {
            "/sitemap.xml": page(SITEMAP, "application/xml"),
            "/2026/gone/": page(WORDPRESS_404),
            "/2026/pulled/": page(NO_LONGER_AVAILABLE),
            "/2026/story/": page(story("Lady Gaga album")),
            # A real story whose headline quotes an error message stays an article.
            "/2026/video/": page(story("Lady Gaga&#39;s &#39;Page Not Found&#39; video")),
        }
    )
    with serve_locally(site) as host:
        site.names["host"] = host
        result = crawl(tmp_path, host, sitemaps=[f"http://{host}/sitemap.xml"])
    base = f"http://{host}"
    assert archived(result) == {f"{base}/2026/story/", f"{base}/2026/video/"}
    dropped = drops(result)
    assert set(dropped) == {f"{base}/2026/gone/", f"{base}/2026/pulled/"}
    for url in dropped:
        assert (dropped[url]["stage"], dropped[url]["reason"]) == ("extract", "soft_404")
    assert "This story is no longer available" in dropped[f"{base}/2026/pulled/"]["detail"]


def test_an_archived_story_later_served_as_a_soft_404_keeps_its_archived_version(tmp_path):
    # A refetch that finds the error page where the story was made it a new revision of
    # the story: the archived title and text were replaced by "Oops! That page can't be
    # found." and the Recent posts links.
    site = publisher({"/2026/story/": page(story("Lady Gaga album"))})
    with serve_locally(site) as host:
        site.names["host"] = host
        base = f"http://{host}"
        refetch = {"spider_args": {"urls": f"{base}/2026/story/"}, "listings": [f"{base}/"]}
        first = crawl(tmp_path, host, **refetch)
        assert archived(first) == {f"{base}/2026/story/"}
        site.routes["/2026/story/"] = page(WORDPRESS_404)
        second = crawl(tmp_path, host, **refetch)
    [row] = second.query("select title from articles")
    assert row["title"] == "Lady Gaga album"
    assert second.scalar("select count(*) from revisions") == 0
    assert drops(second)[f"{base}/2026/story/"]["reason"] == "soft_404"


TEASER = (
    "Lady Gaga announced a world tour on Monday, with dates across Europe and North "
    "America, and fans rushed to buy tickets within minutes of the sale opening."
)
PAYWALLED = (
    "<html><head><title>Lady Gaga announces world tour | Popwire</title></head><body>"
    + NAV
    + "<main><article><h1>Lady Gaga announces world tour</h1><p class='byline'>By Jane Doe"
    f"</p><div class='article-body'><p>{TEASER}</p></div><div class='tp-container-inner'>"
    "<h2>Subscribe to continue reading</h2><p>Get unlimited access to Popwire journalism "
    "for just $1 a week. Cancel anytime.</p><a href='/subscribe'>Subscribe now</a><p>"
    "Already a subscriber? <a href='/login'>Sign in</a></p></div></article></main>"
    "</body></html>"
)
# A free story on the same site: the header's "Already a subscriber?" is on every page.
FREE = (
    "<html><head><title>Lady Gaga album</title></head><body><header><p>Already a "
    "subscriber? <a href='/login'>Log in</a></p></header><article><h1>Lady Gaga album</h1>"
    f"<p>{STORY_WORDS}</p></article></body></html>"
)


def test_a_paywall_teaser_is_archived_flagged_without_the_offer(tmp_path):
    # Without structured data saying so, the teaser of a paywalled story was archived as
    # the whole story (is_paywalled unknown) with the offer's text as its body:
    # "Subscribe to continue reading", "$1 a week", "Already a subscriber? Sign in".
    site = publisher(
        {
            "/2026/tour/": page(PAYWALLED),
            "/2026/album/": page(FREE),
            "/": page("<a href='/2026/tour/'>Tour</a> <a href='/2026/album/'>Album</a>"),
        }
    )
    with serve_locally(site) as host:
        site.names["host"] = host
        result = crawl(tmp_path, host, listings=[f"http://{host}/"])
    rows = {r["url"].rsplit("/", 2)[1]: r for r in result.query("select * from articles")}
    assert set(rows) == {"tour", "album"}
    assert rows["tour"]["is_paywalled"] == 1
    assert rows["tour"]["body"] == TEASER
    assert rows["album"]["is_paywalled"] is None


# A topic (tag) page at a URL shaped like a story's: a heading and teaser cards, each a
# linked headline over a summary and a date, as WordPress themes and news CMSs render
# them.
TOPIC_PAGE = (
    "<html><head><title>Lady Gaga News | Popwire</title></head><body>"
    + NAV
    + "<main><h1>Lady Gaga</h1>"
    + "".join(
        f"<article class='post-card'><h2><a href='/2026/story-{i}/'>Lady Gaga headline {i} "
        "about her tour</a></h2><p class='excerpt'>Lady Gaga fans queued all night for "
        f"tickets and sang along to every song at the show number {i}.</p>"
        f"<time datetime='2026-05-0{i}'>May {i}</time></article>"
        for i in range(1, 10)
    )
    + "<a rel='next' href='?page=2'>Next</a></main></body></html>"
)


def test_a_topic_page_at_a_story_url_is_not_an_article(tmp_path):
    # The article body rightly skipped the cards (text about other stories) and found
    # too few words, so trafilatura's text was taken instead: the cards' summaries,
    # archived as an article about the artist.
    site = publisher(
        {
            "/2026/lady-gaga/": page(TOPIC_PAGE),
            "/2026/album/": page(story("Lady Gaga album")),
            "/": page("<a href='/2026/lady-gaga/'>Gaga</a> <a href='/2026/album/'>Album</a>"),
        }
    )
    with serve_locally(site) as host:
        site.names["host"] = host
        result = crawl(tmp_path, host, listings=[f"http://{host}/"])
    base = f"http://{host}"
    assert archived(result) == {f"{base}/2026/album/"}
    topic = drops(result)[f"{base}/2026/lady-gaga/"]
    assert (topic["stage"], topic["reason"]) == ("extract", "not_article")


# Cloudflare's managed challenge, as served (with status 200 by some configurations)
# instead of the page.
CLOUDFLARE_CHALLENGE = (
    "<!DOCTYPE html><html lang='en-US'><head><title>Just a moment...</title>"
    "<meta name='robots' content='noindex,nofollow'></head><body>"
    "<div class='main-wrapper' role='main'><div class='main-content'>"
    "<h1 class='zone-name-title h1'>popwire.example</h1>"
    "<h2 class='h2' id='challenge-running'>Checking if the site connection is secure</h2>"
    "<noscript><div id='challenge-error-title'><div class='h2'><span "
    "id='challenge-error-text'>Enable JavaScript and cookies to continue</span></div></div>"
    "</noscript><div id='challenge-body-text' class='core-msg spacer'>popwire.example needs "
    "to review the security of your connection before proceeding.</div></div></div>"
    "<div class='footer' role='contentinfo'><div class='ray-id'>Ray ID: "
    "<code>7d1f2a3b4c5d6e7f</code></div><div id='footer-text'>Performance &amp; security by "
    "<a href='https://www.cloudflare.com'>Cloudflare</a></div></div></body></html>"
)


def test_a_bot_check_served_with_status_200_is_tried_again_next_run(tmp_path):
    # The challenge page was a not_article drop, a fact about the page's content: the
    # next runs skipped the URL until its refresh ladder (1h, 1d, 7d) came due, and the
    # ledger said the story was not an article.
    site = publisher(
        {
            "/2026/story/": page(CLOUDFLARE_CHALLENGE),
            "/": page("<a href='/2026/story/'>Story</a>"),
        }
    )
    with serve_locally(site) as host:
        site.names["host"] = host
        story_url = f"http://{host}/2026/story/"
        first = crawl(tmp_path, host, listings=[f"http://{host}/"])
        blocked = drops(first)[story_url]
        assert (blocked["stage"], blocked["reason"]) == ("extract", "blocked")
        assert "Checking if the site connection is secure" in blocked["detail"]
        site.routes["/2026/story/"] = page(story("Lady Gaga album"))
        second = crawl(tmp_path, host, listings=[f"http://{host}/"])
    assert archived(second) == {story_url}
    assert drops(second) == {}


@pytest.mark.parametrize(
    "headline",
    [
        "Page not found",
        "Oops! That page can\u2019t be found.",
        "404",
        "Error 404 - Page Not Found",
        "404: Not Found",
        "This story is no longer available",
        "Sorry, the page you're looking for doesn't exist.",
        "We can't find that page",
        "This article has been removed",
        "Nothing found",
    ],
)
def test_error_page_headlines_are_soft_404s(headline):
    assert soft_404_headline(headline)


@pytest.mark.parametrize(
    "headline",
    [
        "Lady Gaga's 'Page Not Found' video",
        "404 reasons to love Lady Gaga",
        "Lady Gaga not found guilty",
        "Not Found: the missing album",
        "Error 404 review: a thriller that works",
        "The lost tapes were not found",
        "",
        None,
    ],
)
def test_headlines_that_only_quote_error_words_are_articles(headline):
    assert not soft_404_headline(headline)


# Pieces of what the bot-check phrases are made of, in other cases and with the four
# characters that match an ASCII letter under IGNORECASE without lowercasing to it.
_BLOCKED_PIECES = [
    "Checking your browser before accessing",
    "checking if the site connection is secure",
    "Enable JavaScript and cookies to continue",
    "needs to review the security of your connection",
    "Verifying you are human",
    "verify you are a human",
    "VERİFY you are human",
    "verıfy you are human",
    "Attention Required! | Cloudflare",
    "Sorry, you have been blocked",
    "ſorry, you have been blocked",
    "You don't have permission to access",
    "Guru Meditation",
    "Backend fetch failed",
    "502 Bad Gateway",
    "503: Service Temporarily Unavailable",
    "504 Gateway Time-out",
    "Error code 502",
    "error code 5",
    "\u212aeep checking",
    "Lady Gaga",
    "gateway",
    "service",
    "the duet was unavailable",
]


@settings(max_examples=500, deadline=None)
@given(st.lists(st.sampled_from(_BLOCKED_PIECES) | st.text(max_size=12), max_size=8))
def test_the_blocked_word_filter_never_changes_the_answer(parts):
    from newscrawl.article_gate import _BLOCKED, blocked_phrase

    text = " ".join(parts)
    found, expected = blocked_phrase(text), _BLOCKED.search(text)
    assert (found and found.span()) == (expected and expected.span())
