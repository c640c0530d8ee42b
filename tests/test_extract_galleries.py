"""Photo galleries: a slideshow page is archived flagged ``is_gallery``, each slide's
title and caption a paragraph of its own, without credits or counters; a story with a
few captioned photos, and a topic page of teaser cards with pictures, are not galleries.
Slides are shaped like the publishers' markup: a slide ``<div>`` with the caption in a
``<span>`` (E! Online, Billboard), a ``<figure>`` with a titled ``<figcaption>`` and a
credit (People), and a crawl of a gallery on a real local server."""

from __future__ import annotations

import json

from crawling import serve_locally
from extract_pages import PARAGRAPHS, URL, page
from test_publisher_quirks import crawl, publisher
from test_publisher_quirks import page as route

from newscrawl.article_gate import why_not_an_article
from newscrawl.extract import extract_article

LOOKS = [
    "Lady Gaga arrived at the premiere in a custom black gown with a feathered train "
    "and waved to the fans who had waited behind the barriers since the morning.",
    "For the after-party she changed into a silver mini dress and platform boots, "
    "and posed with her fiance on the steps of the museum.",
    "On the second night of the tour she wore a sculpted red bodysuit designed by her "
    "longtime stylist, with matching gloves and a crown.",
    "At the awards she collected two trophies in a pale pink tulle dress, then joined "
    "the finale in a studded leather jacket over it.",
    "Her final look of the week was a white suit with wide trousers, worn to a radio "
    "interview where she talked about the new album.",
]
INTRO = "Here are her best looks from a busy week of premieres, parties and shows."


def slideshow(slides: str) -> bytes:
    return page(
        "<title>Lady Gaga's Best Looks of the Week</title>",
        "<main><h1>Lady Gaga's Best Looks of the Week</h1>"
        f"<p>{INTRO}</p><div class='gallery'>{slides}</div></main>",
    )


def test_captions_in_spans_are_separate_paragraphs_of_a_gallery():
    # The DOM body drops figures and captions, found only the intro, and the trafilatura
    # fallback ran the <span> captions of all the slides into one paragraph.
    slides = "".join(
        f"<div class='slide'><img src='look-{i}.jpg' alt=''>"
        f"<span class='slide-caption'>{text}</span></div>"
        for i, text in enumerate(LOOKS)
    )
    fields = extract_article(slideshow(slides), URL)
    assert fields["body"].split("\n\n") == [INTRO, *LOOKS]
    assert fields["is_gallery"] is True
    assert fields["provenance"]["is_gallery"] == "html"


def test_slides_wrapped_in_sections_are_slides():
    slides = "".join(
        f"<section class='gallery-item'><div class='media'><img src='look-{i}.jpg'></div>"
        f"<p>{text}</p></section>"
        for i, text in enumerate(LOOKS)
    )
    fields = extract_article(slideshow(slides), URL)
    assert fields["is_gallery"] is True
    assert fields["body"].split("\n\n") == [INTRO, *LOOKS]


def test_slide_titles_and_captions_without_credits_or_counters():
    slides = "".join(
        f"<figure class='gallery-slide'><picture><source srcset='look-{i}.webp'>"
        f"<img src='look-{i}.jpg'></picture><noscript><img src='look-{i}.jpg'></noscript>"
        f"<figcaption><span class='slide-count'>{i + 1} of {len(LOOKS)}</span>"
        f"<span class='slide-title'>Look {i + 1}</span>"
        f"<span class='slide-description'>{text} (Photo by Kevin Mazur/Getty Images)</span>"
        "<span class='credit'>Kevin Mazur/Getty Images</span>"
        "<button class='share-button'>Share</button></figcaption></figure>"
        for i, text in enumerate(LOOKS)
    )
    fields = extract_article(slideshow(slides), URL)
    expected = [INTRO] + [p for i, text in enumerate(LOOKS) for p in (f"Look {i + 1}", text)]
    assert fields["body"].split("\n\n") == expected
    assert fields["is_gallery"] is True


def test_a_story_with_a_few_captioned_photos_is_not_a_gallery():
    figures = [
        f"<figure><img src='photo-{i}.jpg'><figcaption>Lady Gaga on stage in Lisbon on "
        f"the opening night of the tour, photo number {i}.</figcaption></figure>"
        for i in range(4)
    ]
    text = "".join(f"<p>{p}</p>{figure}" for p, figure in zip(PARAGRAPHS, figures, strict=True))
    fields = extract_article(
        page("", f"<article><h1>Star Announces Tour</h1>{text}</article>"), URL
    )
    assert fields["is_gallery"] is False
    assert fields["body"].split("\n\n") == PARAGRAPHS


def test_a_topic_page_of_teaser_cards_with_pictures_is_not_a_gallery():
    # Each card is a picture, a linked headline and a summary: it leads to another page.
    cards = "".join(
        f"<div class='post-card'><a href='/2026/story-{i}/'><img src='thumb-{i}.jpg'></a>"
        f"<h2><a href='/2026/story-{i}/'>Lady Gaga headline {i} about her tour</a></h2>"
        f"<p>{text}</p></div>"
        for i, text in enumerate(LOOKS)
    )
    html = page("<title>Lady Gaga News</title>", f"<main><h1>Lady Gaga</h1>{cards}</main>")
    fields = extract_article(html, URL)
    assert fields["is_gallery"] is False
    assert why_not_an_article(fields, min_words=40)[0] == "not_article"


def test_a_crawled_gallery_is_archived_flagged_with_its_captions(tmp_path):
    slides = "".join(
        f"<div class='slide'><img src='/img/look-{i}.jpg'>"
        f"<span class='slide-caption'>{text}</span></div>"
        for i, text in enumerate(LOOKS)
    )
    html = slideshow(slides).decode()
    story = page(
        "<title>Lady Gaga album</title>",
        "<article><h1>Lady Gaga album</h1>"
        + "".join(f"<p>Lady Gaga. {p}</p>" for p in PARAGRAPHS)
        + "</article>",
    )
    site = publisher(
        {
            "/2026/best-looks/": route(html),
            "/2026/album/": route(story.decode()),
            "/": route("<a href='/2026/best-looks/'>Looks</a> <a href='/2026/album/'>Album</a>"),
        }
    )
    with serve_locally(site) as host:
        site.names["host"] = host
        result = crawl(tmp_path, host, listings=[f"http://{host}/"])
    rows = {
        r["url"].rsplit("/", 2)[1]: r
        for r in result.query("select url, is_gallery, body, artists from articles")
    }
    assert set(rows) == {"best-looks", "album"}
    assert rows["best-looks"]["is_gallery"] == 1
    assert rows["best-looks"]["body"].split("\n\n") == [INTRO, *LOOKS]
    assert "Lady Gaga" in rows["best-looks"]["artists"]
    assert rows["album"]["is_gallery"] == 0


def test_captions_are_weighed_against_the_article_body():
    # The page's HTML holds a one-line dek and four captioned photos; the story itself
    # is in its JSON-LD articleBody (a page rendered by script). The captions outweighed
    # the dek, so the story was archived as a gallery of captions and lost its text.
    story = "\n\n".join(PARAGRAPHS * 2)
    ld = {"@context": "https://schema.org", "@type": "NewsArticle", "articleBody": story}
    photos = "".join(
        f"<figure><img src='look-{i}.jpg' alt=''><figcaption>{text}</figcaption></figure>"
        for i, text in enumerate(LOOKS[:4])
    )
    html = page(
        "<title>Lady Gaga Announces World Tour</title>"
        f"<script type='application/ld+json'>{json.dumps(ld)}</script>",
        "<main><h1>Lady Gaga Announces World Tour</h1>"
        f"<p>The singer shared the dates on Monday.</p>{photos}</main>",
    )
    fields = extract_article(html, URL)
    assert fields["is_gallery"] is False
    assert fields["body"] == story

    # Weighed the same way, a gallery whose articleBody is its intro and captions run
    # together (some publishers fill it so) stays a gallery.
    ld = {
        "@context": "https://schema.org",
        "@type": "NewsArticle",
        "articleBody": " ".join([INTRO, *LOOKS]),
    }
    slides = "".join(
        f"<figure><img src='look-{i}.jpg' alt=''><figcaption>{text}</figcaption></figure>"
        for i, text in enumerate(LOOKS)
    )
    html = slideshow(slides).replace(
        b"</head>", f"<script type='application/ld+json'>{json.dumps(ld)}</script></head>".encode()
    )
    fields = extract_article(html, URL)
    assert fields["is_gallery"] is True
    assert fields["body"].split("\n\n") == [INTRO, *LOOKS]
