"""Mention matching at the edges of normalisation: invisible separators, line-end
hyphens, CJK neighbours."""

from __future__ import annotations

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


def test_kana_voicing_marks_are_letters_not_diacritics():
    # カカオ (cacao) used to fold to the same text as ガガ + オ.
    assert counts("カカオの価格が上がった。") == {}
    assert counts("ガガの新曲") == {"lady-gaga": 1}
