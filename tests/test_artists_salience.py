"""Salience tells "about her" from "mentioned her"; snippets explain each tag."""

from __future__ import annotations

from newscrawl.artists import Watchlist
from newscrawl.artists.salience import WEIGHTS, paragraph_starts, salience
from newscrawl.artists.snippets import pick_snippets, snippet

MATCHER = Watchlist.from_dicts(
    [
        {"name": "Britney Spears", "aliases": ["Britney"], "weak_aliases": ["Spears"]},
        {"name": "Lady Gaga", "aliases": ["Gaga"]},
        {"name": "Madonna"},
        {"name": "Dua Lipa", "weak_aliases": ["Lipa"]},
    ]
).matcher()

FILLER = [
    "The arena in Las Vegas holds about 7,000 people and sold out within an hour.",
    "Ticket prices on the resale market climbed past $900 by Friday afternoon.",
    "The production features a 40-piece orchestra and a rotating stage.",
    "Local hotels reported their busiest weekend since the spring conventions.",
    "Promoters said the run could be extended into the autumn if demand holds.",
    "Security was tight, with bag checks at every entrance and no re-entry.",
    "Merchandise stands sold out of tour shirts before the opening act.",
    "A spokesperson declined to comment on the reported setlist changes.",
]


def by_id(title, body, description=None):
    return {m.artist_id: m for m in MATCHER.tag(title, description, body)}


def test_about_her_versus_mentioned_her():
    paragraphs = [
        "Lady Gaga opened her Las Vegas residency on Thursday night.",
        *FILLER[:3],
        "Gaga thanked the crowd twice and returned for three encores.",
        *FILLER[3:6],
        "Among the guests was Madonna, who left before the finale.",
        *FILLER[6:],
        "Lady Gaga plays again on Saturday.",
    ]
    found = by_id("Lady Gaga dazzles in Vegas", "\n\n".join(paragraphs))
    assert found["lady-gaga"].salience >= 0.7
    assert found["madonna"].salience < 0.3


def test_about_her_without_the_title():
    paragraphs = [
        "Dua Lipa has announced a third album, her first in four years.",
        FILLER[0],
        "Lipa said the record was written on tour.",
        FILLER[1],
        "Dua Lipa will perform the first single on Saturday.",
        FILLER[2],
    ]
    found = by_id("The week in pop", "\n\n".join(paragraphs))
    assert found["dua-lipa"].salience >= 0.5


def test_passing_mention_in_single_paragraph_body():
    body = " ".join(FILLER * 3) + " Britney Spears was also in town."
    found = by_id("Vegas weekend round-up", body)
    assert found["britney-spears"].salience < 0.35


def test_title_and_lead_raise_salience():
    body = "\n\n".join([*FILLER, "Madonna was seen at the show."])
    plain = by_id("Weekend", body)["madonna"].salience
    lead = by_id("Weekend", "Madonna arrived early.\n\n" + body)["madonna"].salience
    titled = by_id("Madonna in Vegas", "Madonna arrived early.\n\n" + body)["madonna"].salience
    assert plain < lead < titled <= 1.0


def test_share_of_all_mentions_matters():
    body = "\n\n".join(["Britney Spears and Lady Gaga sang.", *FILLER, "Gaga and Gaga again."])
    found = by_id(None, body)
    assert found["lady-gaga"].salience > found["britney-spears"].salience


def test_salience_formula_bounds():
    assert abs(sum(WEIGHTS.values()) - 1.0) < 1e-9
    top = salience(
        count=50,
        total=50,
        in_title=True,
        in_description=True,
        body_offsets=[0, 600, 1200],
        body_length=1500,
        paragraphs=[0, 500, 1000],
    )
    assert 0.95 <= top <= 1.0
    none = salience(
        count=0,
        total=0,
        in_title=False,
        in_description=False,
        body_offsets=[],
        body_length=0,
        paragraphs=[0],
    )
    assert none == 0.0


def test_paragraph_starts():
    assert paragraph_starts("a\n\nb\n \nc") == [0, 3, 7]
    assert paragraph_starts("one\ntwo\nthree") == [0, 4, 8]  # no blank lines: one per line
    assert paragraph_starts("single") == [0]
    assert paragraph_starts("") == [0]


def test_snippet_marks_and_folds():
    text = "Fans   waited\nfor hours before Lady\nGaga walked on stage at last."
    start = text.index("Lady")
    assert snippet(text, start, start + len("Lady\nGaga")) == (
        "Fans waited for hours before **Lady Gaga** walked on stage at last."
    )


def test_snippet_cuts_long_context_at_words():
    text = " ".join(FILLER) + " Then Lady Gaga arrived. " + " ".join(FILLER)
    start = text.index("Lady Gaga")
    result = snippet(text, start, start + 9)
    assert result.startswith("…") and result.endswith("…")
    assert "**Lady Gaga**" in result
    assert 60 <= len(result) <= 110
    inner = result.strip("…")
    assert text.replace("Lady Gaga", "**Lady Gaga**").find(inner) != -1  # whole words


def test_up_to_three_snippets_body_first_and_nearby_mentions_share_one():
    body = "\n\n".join(
        [
            "Gaga and Gaga and Gaga in one breath.",
            FILLER[0],
            "Later Lady Gaga spoke.",
            FILLER[1],
            "Gaga left.",
            FILLER[2],
            "Gaga returned.",
        ]
    )
    found = by_id("Lady Gaga", body)["lady-gaga"]
    assert len(found.snippets) == 3
    assert found.snippets[0].startswith("**Gaga** and Gaga and Gaga")
    assert "Later **Lady Gaga** spoke." in found.snippets[1]


def test_title_snippet_when_body_has_none():
    found = by_id("Madonna announces tour", "Dates below.")["madonna"]
    assert found.snippets == ["**Madonna** announces tour"]


def test_pick_snippets_order():
    fields = {"title": "Madonna", "description": "Madonna tour", "body": "x Madonna y"}
    spans = [("title", 0, 7), ("description", 0, 7), ("body", 2, 9)]
    assert pick_snippets(fields, spans) == ["x **Madonna** y", "**Madonna** tour", "**Madonna**"]
