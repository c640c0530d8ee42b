"""What the text around a match says about it: URLs, letter case, neighbouring names.

These checks run only on the few raw hits the automaton reports, never per artist.
"""

from __future__ import annotations

import re

from newscrawl.artists.normalize import case_shape

STRONG, WEAK, EXCLUDE = 0, 1, 2
"""Kinds of claim a phrase occurrence makes for an artist."""

# Cheap test first: most texts have no URL or address at all.
_URL_HINT = re.compile(
    r"://|www\.|@|\.(?:com|net|org|edu|gov|io|co|uk|us|ca|au|de|fr|fm|tv|me|ly|ai|app|info|news)\b",
    re.IGNORECASE,
)
# A scheme has no dots, so a URL glued to a sentence starts at its scheme:
# "Lady Gaga.https://t.co/x" keeps "Lady Gaga" as text.
_URLISH = re.compile(
    r"""(?<![a-z0-9+-])[a-z][a-z0-9+-]*://[^\s<>"]+ | www\.[^\s<>"]+
      | [\w.+%-]+@[\w-]+(?:\.[\w-]+)+
      | (?P<bare>(?<![\w.@-])[\w-]+(?:\.[\w-]+)*  # a bare domain; its TLD in lower case,
        \.(?-i:com|net|org|edu|gov|io|co|uk|us|ca|au|de|fr|fm|tv|me|ly|ai|app|info|news)
        \b)(?:/[^\s<>"]*)?                 # so "Britney.Co-star" (a missing space) is text
    """,
    re.IGNORECASE | re.VERBOSE,
)
CAPS_LINE_MAX_LOWER = 0.25
"""A line is all caps (a shouted headline) when at most this share of its cased letters
are lowercase; there a case-sensitive phrase may appear in capitals."""
TITLE_CASE_MIN_SHARE = 0.75
"""A title is Title Case when this share of its words (small words aside) are
capitalised; there capitals do not tell a name from an ordinary word."""
# fmt: off
_SMALL_WORDS = frozenset((
    "a", "an", "and", "as", "at", "but", "by", "for", "from", "in", "into", "is", "it",
    "of", "off", "on", "onto", "or", "over", "per", "the", "to", "up", "vs", "via", "with",
))
# fmt: on
_WORD = re.compile(r"[^\W\d_][^\W_]*(?:['’][^\W\d_]+)*")

# Capitalised words that are not names: function words and sentence openers, days and
# months, honorifics and job titles ("When Spears…", "Singer Spears", "Ms Spears").
# fmt: off
NOT_NAMES = frozenset((
    "a", "about", "above", "according", "across", "actor", "actress", "after",
    "afterwards", "again", "against", "all", "along", "also", "although", "amid",
    "among", "an", "and", "another", "any", "are", "around", "artist", "as", "at",
    "aunt", "be", "because", "been", "before", "behind", "below", "beside", "besides",
    "between", "beyond", "both", "breaking", "brother", "but", "by", "can", "congrats",
    "could", "dad", "dame", "daughter", "dear", "despite", "did", "diva", "do", "does",
    "dr", "during", "each", "earlier", "either", "even", "ever", "every", "exclusive",
    "fan", "fans", "father", "finally", "for", "free", "from", "go", "had", "has",
    "have", "he", "her", "here", "hers", "hey", "him", "his", "how", "however", "i",
    "icon", "if", "in", "indeed", "instead", "into", "is", "it", "its", "just", "king",
    "lady", "later", "legend", "like", "listen", "lord", "love", "meanwhile", "miss", "mom",
    "moreover", "mother", "mr", "mrs", "ms", "musician", "mx", "my", "near", "neither",
    "never", "next", "no", "nor", "not", "now", "of", "off", "oh", "on", "once", "only",
    "or", "other", "otherwise", "our", "out", "over", "past", "per", "perhaps", "photo",
    "photos", "pop", "previously", "princess", "queen", "rapper", "read", "recently",
    "report", "see", "she", "should", "since", "singer", "sir", "sister", "so", "some",
    "songstress", "son", "star", "still", "such", "superstar", "than", "thanks", "that",
    "the", "their", "them", "then", "there", "these", "they", "this", "those", "though",
    "through", "thus", "to", "today", "tomorrow", "tonight", "too", "toward", "towards",
    "uncle", "under", "unlike", "until", "up", "update", "upon", "versus", "very", "via",
    "video", "vs", "was", "watch", "we", "were", "what", "when", "where", "whether",
    "which", "while", "who", "whom", "why", "will", "with", "within", "without", "wow",
    "would", "yes", "yesterday", "yet", "you", "your",
    "monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday",
    "january", "february", "march", "april", "may", "june", "july", "august",
    "september", "october", "november", "december",
))
# fmt: on


def url_spans(text: str) -> list[tuple[int, int]]:
    """Spans of URLs, e-mail addresses and bare domains: names inside them do not count."""
    if not _URL_HINT.search(text):
        return []
    spans = []
    for match in _URLISH.finditer(text):
        start, end = match.span()
        if match.group("bare"):
            start += _glued_words(match.group("bare"))
        spans.append((start, end))
    return spans


def _glued_words(domain: str) -> int:
    """Length of the capitalised words a bare domain starts with that are not part of it.

    Embedded posts glue their link to the last word ("… with Lady Gaga.pic.twitter.com/x",
    "Britney Spears.instagram.com/p/x"): a capitalised first label followed by two or more
    lower-case ones is text. A capitalised name of the site itself ("LadyGaga.com",
    "News.BBC.co.uk") stays part of the domain.
    """
    labels = domain.split(".")
    skipped = 0
    while len(labels) > 2 and not labels[0].islower() and labels[1].islower():
        skipped += len(labels[0]) + 1
        labels.pop(0)
    return skipped


def case_filter(text: str, start: int, end: int, claims: tuple, heading: bool) -> tuple:
    """The claims whose case-sensitive forms allow how the text writes the phrase.

    On an all-caps line, or in a Title Case title, capitals say nothing, so a
    case-sensitive match there is kept as a weak claim: it counts only beside a strong
    mention ("The Best Pink Sneakers for Spring" is not P!nk on its own).
    """
    shape = case_shape(text[start:end])
    style = None
    kept = []
    for claim in claims:
        wanted = claim[2]
        if wanted is None:
            kept.append(claim)
            continue
        exact = shape in wanted
        if exact and not heading and "l" in shape:
            kept.append(claim)  # written as listed, in mixed case: ordinary copy
            continue
        shouting = shape and "l" not in shape and any("U" in form for form in wanted)
        if not (exact or shouting):
            continue
        if style is None:
            style = line_style(text, start, end, heading=heading)
        if style == "plain" and exact:
            kept.append(claim)
        elif style != "plain":
            kept.append((claim[0], WEAK, wanted) if claim[1] == STRONG else claim)
    return tuple(kept)


def line_style(text: str, start: int, end: int, *, heading: bool) -> str:
    """``caps``, ``title`` (a Title Case headline) or ``plain`` for the line around a match.

    Only the article title (``heading``) can be Title Case: short body lines are as often
    plain fragments ("Drake and Pink at the VMAs") as subheadings.
    """
    line_start = text.rfind("\n", max(0, start - 300), start) + 1
    line_end = text.find("\n", end, end + 300)
    line = text[max(line_start, start - 300) : line_end if line_end != -1 else end + 300]
    shape = case_shape(line)
    if len(shape) >= 4 and shape.count("l") <= CAPS_LINE_MAX_LOWER * len(shape):
        return "caps"
    if not heading:
        return "plain"
    content = [w for w in _WORD.findall(line) if w.casefold() not in _SMALL_WORDS]
    capitalised = sum(w[0].isupper() for w in content)
    if len(content) >= 3 and capitalised >= TITLE_CASE_MIN_SHARE * len(content):
        return "title"
    return "plain"


def joined_to_another_name(text: str, start: int, end: int) -> bool:
    """True when ``text[start:end]`` is joined (by a space or hyphen) to a capitalised
    name-like word: part of someone else's name, as a surname in "Lynne Spears" or
    "Carey Mulligan", or a first name in "Taylor Lautner". Used for weak aliases only.
    """
    # Scanned by hand: this runs for every weak-alias hit.
    gap = start
    while gap > 0 and start - gap < 8 and (text[gap - 1].isspace() or text[gap - 1] in _JOINS):
        gap -= 1
    if _is_separator(text[gap:start]):
        word_start = gap
        while word_start > 0 and gap - word_start < 40 and text[word_start - 1].isalnum():
            word_start -= 1
        if _is_name_word(text[word_start:gap]):
            return True
    gap = end
    while gap < len(text) and gap - end < 8 and (text[gap].isspace() or text[gap] in _JOINS):
        gap += 1
    if _is_separator(text[end:gap]):
        word_end = gap
        while word_end < len(text) and word_end - gap < 40 and text[word_end].isalnum():
            word_end += 1
        return _is_name_word(text[gap:word_end])
    return False


# What joins two parts of one name besides spaces: a hyphen, an invisible separator, a
# name dot (folded like a space or hyphen, see normalize.py).
_JOINS = "-\u2010\u2011\u200b\u2063\u00b7\u2027\u30fb\uff65"


def _is_separator(gap: str) -> bool:
    """Whitespace within a paragraph, with at most one hyphen or other joining mark
    ("Lynne Spears", "Taylor-Joy", "Taylor-\\nJoy" at a line end, "Lynne\\u200bSpears")."""
    if not gap or gap.count("\n") >= 2:
        return False
    return sum(not char.isspace() for char in gap) <= 1


def _is_name_word(word: str) -> bool:
    return (
        len(word) > 1
        and word[0].isupper()
        and word[0].isalpha()
        and not word.isupper()
        and word.casefold() not in NOT_NAMES
    )
