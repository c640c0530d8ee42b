"""Property tests: the matcher never raises, offsets are exact, counts ignore spelling noise."""

from __future__ import annotations

import re

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from newscrawl.artists import Watchlist, fold, fold_phrase, load_watchlist
from newscrawl.artists.normalize import case_shape

DEFAULT = load_watchlist()
DEFAULT_MATCHER = DEFAULT.matcher()
PHRASES = {a.id: {fold_phrase(p) for p in (*a.names, *a.weak_aliases)} for a in DEFAULT.artists}


def spellings(mention: str) -> set[str]:
    """The phrases a counted mention can stand for: folded with a zero-width space as a
    space or as nothing, and without its spaces (#LadyGaga, @ladygaga)."""
    readings = {fold_phrase(mention), fold_phrase(mention.replace("\u200b", ""))}
    return readings | {re.sub("[ '.]", "", reading) for reading in readings}


def glued(phrases: set[str]) -> set[str]:
    return phrases | {re.sub("[ '.]", "", phrase) for phrase in phrases}


SMALL = Watchlist.from_dicts(
    [
        {"name": "Britney Spears", "aliases": ["Britney"], "weak_aliases": ["Spears"]},
        {"name": "Jamie Lynn Spears"},
        {"name": "Lady Gaga", "aliases": ["Stefani Germanotta"]},
        {"name": "Beyoncé", "aliases": ["Queen Bey"]},
    ]
)
SMALL_MATCHER = SMALL.matcher()

# Fragments that stress folding, boundaries, excludes and URLs.
FRAGMENTS = [
    "Britney",
    "Spears",
    "Lady",
    "Gaga",
    "GAGA",
    "Swift",
    "swift",
    "Jamie Lynn",
    "Brit",
    "Awards",
    "Prince",
    "Harry",
    "Beyonce",
    "é",
    "\u0301",
    "\u00ad",
    "\u200b",
    "ß",
    "İ",
    "ﬁ",
    "’",
    "'",
    "s",
    "-",
    "—",
    " ",
    "  ",
    "\n",
    "\n\n",
    "\u00a0",
    "\t",
    ".",
    ",",
    "@",
    ".com",
    "http://",
    "www.",
    "/",
    "#",
    "_",
    "2",
    "P!nk",
    "Pink",
    "😀",
]
noisy_text = st.lists(st.sampled_from(FRAGMENTS) | st.text(max_size=3), max_size=40).map("".join)
any_text = st.text(max_size=300) | noisy_text


def check_result(matcher, title, description, body, phrases):
    mentions = matcher.tag(title, description, body)
    spans = matcher.spans(title, description, body)
    texts = {"title": title or "", "description": description or "", "body": body}
    for span in spans:
        original = texts[span.field][span.start : span.end]
        assert original == span.text
        assert spellings(original) & glued(phrases[span.artist_id])
    assert sum(m.count for m in mentions) == len(spans)
    for mention in mentions:
        assert mention.count >= 1
        assert 0.0 <= mention.salience <= 1.0
        assert 1 <= len(mention.snippets) <= 3
        body_spans = [s for s in spans if s.artist_id == mention.artist_id and s.field == "body"]
        if body_spans:
            assert mention.first_offset == min(s.start for s in body_spans)
            assert fold_phrase(body[mention.first_offset :][:80]).startswith(
                fold_phrase(body_spans[0].text)
            )
        else:
            assert mention.first_offset is None
        assert mention.in_title == any(
            s.artist_id == mention.artist_id and s.field == "title" for s in spans
        )
    saliences = [m.salience for m in mentions]
    assert saliences == sorted(saliences, reverse=True)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(title=st.none() | any_text, description=st.none() | any_text, body=any_text)
def test_arbitrary_text_never_raises_and_offsets_are_exact(title, description, body):
    check_result(DEFAULT_MATCHER, title, description, body, PHRASES)


@settings(max_examples=200, deadline=None)
@given(text=any_text)
def test_fold_offset_map_is_monotonic_and_in_range(text):
    folded = fold(text)
    positions = [folded.original(i) for i in range(len(folded.text))]
    assert positions == sorted(set(positions))
    assert all(0 <= p < len(text) for p in positions)
    assert len(folded.text) <= len(text)


FILLER = st.sampled_from(
    ["the", "show", "said", "fans", "on", "Friday", "tour", "and", "—", "“", "”", ",", "."]
)
NAMES = {
    "britney-spears": ["Britney Spears", "Britney"],
    "lady-gaga": ["Lady Gaga", "Stefani Germanotta"],
    "beyonce": ["Beyoncé", "Queen Bey"],
    "jamie-lynn-spears": ["Jamie Lynn Spears"],
}
SEPARATORS = st.sampled_from(
    [" ", "  ", "\n", "\u00a0", " \n ", "\t", "-", "\u2011", "\u200b", "\u00b7"]
)


def recase(word: str, how: int) -> str:
    return [word, word.upper(), word.lower(), word.title(), word.swapcase()][how]


@st.composite
def article_with_names(draw):
    """A body with names inserted among filler, and the same body with noisy spellings."""
    plain, noisy, expected = [], [], {}
    for _ in range(draw(st.integers(1, 25))):
        if draw(st.booleans()):
            word = draw(FILLER)
            plain.append(word)
            noisy.append(word)
            continue
        artist_id = draw(st.sampled_from(sorted(NAMES)))
        name = draw(st.sampled_from(NAMES[artist_id]))
        expected[artist_id] = expected.get(artist_id, 0) + 1
        plain.append(name)
        words = [recase(w, draw(st.integers(0, 4))) for w in name.split(" ")]
        spelled = words[0]
        for word in words[1:]:
            spelled += draw(SEPARATORS) + word
        if draw(st.booleans()):
            spelled += draw(st.sampled_from(["’s", "'s", "’", "'"]))
        noisy.append(spelled)
    return " ".join(plain), " ".join(noisy), expected


@settings(max_examples=300, deadline=None)
@given(article_with_names())
def test_counts_invariant_under_whitespace_and_case_of_names(case):
    plain, noisy, expected = case
    plain_counts = {m.artist_id: m.count for m in SMALL_MATCHER.tag(None, None, plain)}
    noisy_counts = {m.artist_id: m.count for m in SMALL_MATCHER.tag(None, None, noisy)}
    assert plain_counts == expected
    assert noisy_counts == expected


@settings(max_examples=100, deadline=None)
@given(article_with_names(), st.sampled_from(["title", "description", "body"]))
def test_counts_do_not_depend_on_the_field(case, field):
    plain, _, expected = case
    texts = {"title": None, "description": None, "body": ""}
    texts[field] = plain
    found = SMALL_MATCHER.tag(texts["title"], texts["description"], texts["body"])
    assert {m.artist_id: m.count for m in found} == expected


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet=st.characters(codec=None, exclude_categories=("Cs",)), max_size=80))
def test_case_shape_is_the_upper_and_lower_letters_in_order(text):
    # case_shape is a str.translate table filled lazily (normalize.py): it must read
    # each code point as str.isupper()/str.islower() do, and drop everything else.
    expected = "".join("U" if c.isupper() else "l" for c in text if c.isupper() or c.islower())
    assert case_shape(text) == expected
    assert case_shape(text) == expected  # and again, from the filled table
