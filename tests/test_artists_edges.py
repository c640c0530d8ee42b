"""Mention matching at the edges of normalisation: invisible separators, line-end
hyphens, CJK neighbours, glued URLs, handles and hashtags, and the spans after all that."""

from __future__ import annotations

import re

import pytest

from newscrawl.artists import Watchlist

MATCHER = Watchlist.from_dicts(
    [
        {
            "name": "Britney Spears",
            "aliases": ["Britney", "布兰妮", "布兰妮·斯皮尔斯", "ブリトニー・スピアーズ"],
            "weak_aliases": ["Spears", "Brit"],
            "exclude": ["Brit Awards"],
            "case_sensitive": ["Spears", "Brit"],
        },
        {
            "name": "Lady Gaga",
            "aliases": ["Gaga", "レディー・ガガ", "ガガ", "레이디 가가"],
            "case_sensitive": ["Gaga"],
        },
        {"name": "Jay-Z"},
        {"name": "Olivia Newton-John"},
        {"name": "Taylor Swift", "weak_aliases": ["Taylor"], "case_sensitive": ["Taylor"]},
    ]
).matcher()


def found(body: str, title: str | None = None) -> list[tuple[str, str]]:
    """(artist id, mention as written) for every counted mention, in reading order."""
    return [(s.artist_id, s.text) for s in MATCHER.spans(title, None, body)]


def counts(body: str) -> dict[str, int]:
    return {m.artist_id: m.count for m in MATCHER.tag(None, None, body)}


# -- invisible separators ----------------------------------------------------------------


@pytest.mark.parametrize("separator", ["\u200b", "\u2063"])
def test_an_invisible_separator_between_the_words_of_a_name(separator):
    # Used to fold to nothing: "Lady<ZWSP>Gaga" became "ladygaga" and matched nothing.
    body = f"Yesterday Lady{separator}Gaga arrived."
    assert found(body) == [("lady-gaga", f"Lady{separator}Gaga")]


def test_a_zero_width_space_between_two_names():
    # Used to give "Britney" (not the full name) and "Gaga" (not "Lady Gaga").
    body = "Duet: Britney Spears\u200bLady Gaga, out now."
    assert found(body) == [("britney-spears", "Britney Spears"), ("lady-gaga", "Lady Gaga")]
    assert counts(body) == {"britney-spears": 1, "lady-gaga": 1}
    # Some sites put one inside long words as a line-break opportunity: still ignored.
    body = "Yesterday Lady Ga\u200bga arrived with Brit\u200bney Spears."
    assert found(body) == [
        ("lady-gaga", "Lady Ga\u200bga"),
        ("britney-spears", "Brit\u200bney Spears"),
    ]


def test_an_invisible_separator_before_another_capitalised_name():
    # "Lynne<ZWSP>Spears" is someone else's name, as "Lynne Spears" is (rule 6).
    body = "Britney thanked Lynne\u200bSpears and Lynne-\nSpears; Spears smiled."
    assert found(body) == [("britney-spears", "Britney"), ("britney-spears", "Spears")]


# -- line-end hyphenation ----------------------------------------------------------------


def test_a_name_hyphenated_at_a_line_end():
    body = "On stage Brit-\nney Spears sang with Lady Ga-\n  ga for an hour."
    assert found(body) == [
        ("britney-spears", "Brit-\nney Spears"),
        ("lady-gaga", "Lady Ga-\n  ga"),
    ]
    # Before a capital a line-end hyphen is a real one: it separates like any hyphen.
    body = "Jay-\nZ, Jay-Z, Olivia Newton-\nJohn and Olivia Newton-John, then a post-\nBritney era."
    assert counts(body) == {"jay-z": 2, "olivia-newton-john": 2, "britney-spears": 1}


def test_a_word_hyphenated_at_a_line_end_is_not_a_name():
    # "Brit-ish" is how "British" is hyphenated; it used to count as the weak alias Brit.
    body = "Britney Spears charmed the Brit-\nish press; Brit\u00ad\nain loved it."
    assert counts(body) == {"britney-spears": 1}


# -- names next to CJK text --------------------------------------------------------------


def test_latin_names_directly_next_to_cjk_text():
    # CJK letters count as word characters, so a name glued to them never matched.
    body = "布兰妮Britney Spears新歌发布，Lady Gaga合作。ブリトニーとLady Gagaが共演"
    assert found(body) == [
        ("britney-spears", "布兰妮"),  # her Chinese name, an alias here
        ("britney-spears", "Britney Spears"),
        ("lady-gaga", "Lady Gaga"),
        ("lady-gaga", "Lady Gaga"),
    ]
    # Between Latin letters the word boundaries hold as before.
    assert counts("英国Britishの音楽、Gagakuの演奏") == {}


def test_cjk_aliases_inside_cjk_text():
    body = "歌手布兰妮发布新歌。布兰妮・斯皮尔斯和レディー・ガガ、レディー･ガガ。레이디 가가의 공연"
    assert found(body) == [
        ("britney-spears", "布兰妮"),
        ("britney-spears", "布兰妮・斯皮尔斯"),
        ("lady-gaga", "レディー・ガガ"),
        ("lady-gaga", "レディー･ガガ"),
        ("lady-gaga", "레이디 가가"),
    ]


def test_snippets_of_cjk_text_keep_their_context():
    # Snippets were cut at whitespace only; text without spaces lost all its context
    # ("…**布兰妮**…").
    lead = "据报道，美国流行歌手在周五晚上的演唱会上宣布了新专辑的发行日期，粉丝们非常兴奋。"
    rest = (
        "歌手布兰妮发布新歌，这首歌曲在社交媒体上引起了广泛的讨论和关注，许多乐评人给予了高度评价。"
    )
    body = lead * 3 + rest * 3
    first = MATCHER.tag(None, None, body)[0].snippets[0]
    before, after = first.strip("…").split("**布兰妮**")
    assert len(before) >= 30 and len(after) >= 30
    assert before + "布兰妮" + after in body
    # Latin text next to CJK is still cut at its words.
    body = (
        "ブリトニーの新曲。" * 8 + "Britney Spearsは東京で公演 extraordinarily well received " * 3
    )
    for snippet in MATCHER.tag(None, None, body)[0].snippets:
        words = set(re.findall("[A-Za-z]+", snippet))
        assert words <= {"Britney", "Spears", "extraordinarily", "well", "received"}


def test_kana_voicing_marks_are_letters_not_diacritics():
    # カカオ (cacao) used to fold to the same text as ガガ + オ.
    assert counts("カカオの価格が上がった。") == {}
    assert counts("ガガの新曲") == {"lady-gaga": 1}


# -- URLs, handles and hashtags ----------------------------------------------------------


@pytest.mark.parametrize(
    "body",
    [
        "Watch the duet with Lady Gaga.pic.twitter.com/AbC123",
        "Watch the duet with Lady Gaga.https://t.co/AbC123",
        "Watch the duet with Lady Gaga.www.youtube.com/watch?v=1",
        "Watch the duet with Lady Gaga.instagram.com/p/AbC123",
    ],
)
def test_a_link_glued_to_a_name_hides_only_the_link(body):
    assert found(body) == [("lady-gaga", "Lady Gaga")]


def test_a_name_without_spaces_counts_as_a_handle_or_hashtag():
    body = "#LadyGaga trended; @ladygaga replied; @BritneySpears and #JAYZ too."
    assert found(body) == [
        ("lady-gaga", "LadyGaga"),
        ("lady-gaga", "ladygaga"),
        ("britney-spears", "BritneySpears"),
        ("jay-z", "JAYZ"),
    ]
    # Addresses, user names outside a handle and longer tags are not mentions; nor is
    # CamelCase in running text, which is as often a brand (IceCube is not Ice Cube).
    body = (
        "Tickets at ladygaga.com or LadyGaga.com, twitter.com/ladygaga, "
        "fans@ladygaga.com; user ladygaga, LadyGaga and LADYGAGA, #LadyGagaFans."
    )
    assert counts(body) == {}


# -- spans after normalisation -----------------------------------------------------------


def test_spans_and_offsets_point_at_the_original_text():
    title = "布兰妮Britney Spears与Lady\u200bGaga"
    body = (
        "Intro line.\n\nBrit-\nney Spears met Lady\u200bGaga.pic.twitter.com/x\n\n"
        "#LadyGaga 和 布兰妮·斯皮尔斯 again."
    )
    spans = MATCHER.spans(title, None, body)
    assert [(s.field, s.text) for s in spans] == [
        ("title", "布兰妮"),
        ("title", "Britney Spears"),
        ("title", "Lady\u200bGaga"),
        ("body", "Brit-\nney Spears"),
        ("body", "Lady\u200bGaga"),
        ("body", "LadyGaga"),
        ("body", "布兰妮·斯皮尔斯"),
    ]
    texts = {"title": title, "body": body}
    for span in spans:
        assert texts[span.field][span.start : span.end] == span.text
    mentions = {m.artist_id: m for m in MATCHER.tag(title, None, body)}
    britney, gaga = mentions["britney-spears"], mentions["lady-gaga"]
    assert britney.first_offset == body.index("Brit-")
    assert gaga.first_offset == body.index("Lady\u200b")
    assert britney.spans == {
        "title": [[0, 3], [3, 17]],
        "body": [
            [body.index("Brit-"), body.index(" met")],
            [body.index("布兰妮"), body.index(" again")],
        ],
    }
    assert gaga.spans["body"] == [
        [body.index("Lady\u200b"), body.index(".pic")],
        [body.index("LadyGaga"), body.index(" 和")],
    ]
    assert britney.in_title and gaga.in_title
    assert (britney.count, gaga.count) == (4, 3)
    assert any("**Brit- ney Spears**" in snippet for snippet in britney.snippets)
