"""Page layouts the body extractor meets on real sites: text written in <br>-separated
lines instead of <p>, and AMP components' loading stand-ins."""

from __future__ import annotations

from extract_pages import PARAGRAPHS, URL, page

from newscrawl.extract import extract_article

NAV = "<div class='topbar'><a href='/'>Home</a> <a href='/music'>Music</a></div>"
FOOTER = "<div class='bottom'>Gossip Daily, 1 Main Street. Terms. Privacy.</div>"
TEASER = (
    "Another singer has cancelled her summer shows, with dates in Paris, Rome and Berlin, "
    "after a doctor told her to rest her voice for at least two months."
)


def body_of(markup: str, *, head: str = "") -> list[str]:
    return extract_article(page(head, markup), URL)["body"].split("\n\n")


def test_br_separated_text_next_to_a_sidebar_paragraph():
    # The story's text sits in one <div> as <br><br>-separated lines; the sidebar next to
    # it has a <p> teaser. The lines make their <div> the main container, not the page.
    story = "<br><br>".join(PARAGRAPHS)
    markup = (
        f"{NAV}<h1>Star Announces Tour</h1><div class='story'>{story}</div>"
        f"<div class='side'><p>{TEASER}</p></div>{FOOTER}"
    )
    assert body_of(markup) == PARAGRAPHS


def test_br_separated_text_in_a_table_cell_next_to_another_cell():
    story = "<br><br>".join(PARAGRAPHS)
    markup = (
        f"{NAV}<table><tr><td><h1>Star Announces Tour</h1>{story}</td>"
        f"<td><p>{TEASER}</p></td></tr></table>{FOOTER}"
    )
    assert body_of(markup) == PARAGRAPHS


def test_amp_placeholders_and_fallbacks_are_not_text():
    markup = (
        "<article><h1>Star Announces Tour</h1>"
        f"<p>{PARAGRAPHS[0]}</p>"
        '<amp-img src="/tour.jpg" width="600" height="400" layout="responsive">'
        "<div fallback>Sorry, this image could not be loaded.</div></amp-img>"
        f"<p>{PARAGRAPHS[1]}</p>"
        '<amp-list src="/recommendations.json" height="300" layout="fixed-height">'
        "<div placeholder>Loading recommended stories for you...</div>"
        "<div fallback>Recommended stories could not be loaded right now.</div></amp-list>"
        f"<p>{PARAGRAPHS[2]}</p>"
        '<amp-fx-flying-carpet height="300px"><div class="slot">Sponsored by the '
        "Festival of Lights, the biggest party in town this summer</div></amp-fx-flying-carpet>"
        f"<p>{PARAGRAPHS[3]}</p></article>"
    )
    html = page('<link rel="canonical" href="https://gossip.example/music/x/">', markup)
    assert (
        extract_article(html.replace(b"<html ", b"<html amp "), URL)["body"].split("\n\n")
        == PARAGRAPHS
    )


def test_a_line_of_text_after_the_story_container_is_not_an_intro():
    # A short sentence next to the main container counts as a standfirst only before
    # the text; after it, it is the site's footer or contact line.
    text = "".join(f"<p>{p}</p>" for p in PARAGRAPHS)
    intro = "The singer is going back on the road."
    markup = (
        f"{NAV}<h1>Star Announces Tour</h1><div>{intro}</div><div class='story'>{text}</div>"
        "<div>Gossip Daily, 1 Main Street, Springfield. Terms apply.</div>"
    )
    assert body_of(markup) == [intro, *PARAGRAPHS]
