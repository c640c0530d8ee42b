"""Text folding for matching, with a map back to the original offsets.

Matching runs over a *folded* copy of each text: casefolded, diacritics stripped
(``Beyoncé`` → ``beyonce``), apostrophe-like quotes made ``'`` (``Gaga’s`` → ``gaga's``),
dashes and hyphens made spaces (``Lady-Gaga`` → ``lady gaga``), invisible separators
(the zero-width space, U+2061–U+2064) and the middle dots that separate transliterated
names (``布兰妮·斯皮尔斯``, ``レディー・ガガ``) made spaces, soft hyphens, joiners and the other
invisible format characters (Unicode category Cf: left-to-right and right-to-left marks,
bidi embeddings and isolates) removed, a hyphen that breaks a word at the end of a line
removed with the line break (``Brit-\\nney`` → ``britney``, see :data:`_LINE_END_HYPHEN`),
and every run of whitespace folded to one space (or to ``\\n`` when the run holds a
paragraph break, so that no name matches across paragraphs).

A zero-width space separates words (Unicode word boundaries), but some sites also put
one inside long words as a line-break opportunity (``Ga\\u200bga``), so a text that has
one is matched in two readings (:func:`fold_readings`), with it as a space and as nothing.

Every original character becomes at most one folded character, so the folded text is
made by ``str.translate`` (C speed) plus one regular-expression pass over whitespace
runs; :class:`Folded` keeps the few places where the two texts shift apart and maps a
folded offset back to the original with one bisection.
"""

from __future__ import annotations

import re
import unicodedata
from bisect import bisect_right

DELETE = "\x01"
"""Placeholder for characters that fold to nothing; removed by the whitespace pass."""

_NEWLINES = "\n\u2028\u2029\x85\x0b\x0c"
_APOSTROPHES = "'\u2018\u2019\u201a\u201b\u2032\u00b4`\u02bc\u02b9\uff07"
_DASHES = "-\u2010\u2011\u2012\u2013\u2014\u2015\u2212\u2043\ufe58\ufe63\uff0d"
_INVISIBLE = "\u00ad\u200c\u200d\u2060\ufeff\u180e"
ZERO_WIDTH_SPACE = "\u200b"
# Separators that are invisible or are written between the parts of a transliterated
# name (Chinese ·, Japanese ・ and their look-alikes): they split words like a space.
_SEPARATORS = ZERO_WIDTH_SPACE + "\u2061\u2062\u2063\u2064\u00b7\u2027\u30fb\uff65"
# Kana voicing marks change the letter (ガ ga, カ ka): never stripped as diacritics.
_KANA_VOICING = "\u3099\u309a"
# Letters NFKD does not decompose but readers treat as their base letter.
_EXTRA = {"ø": "o", "Ø": "o", "đ": "d", "Đ": "d", "ł": "l", "Ł": "l", "ı": "i", "ħ": "h"}


def _fold_char(char: str) -> str:
    """Fold one character to exactly one character (or :data:`DELETE`)."""
    if char in _NEWLINES:
        return "\n"
    if char.isspace() or char in _SEPARATORS:
        return " "
    if char in _INVISIBLE or unicodedata.category(char) == "Cf":
        return DELETE  # zero-width format characters: joiners, bidi marks, tags
    if char in _APOSTROPHES:
        return "'"
    if char in _DASHES:
        return " "
    if char in _EXTRA:
        return _EXTRA[char]
    decomposed = unicodedata.normalize("NFKD", char)
    if decomposed[-1] in _KANA_VOICING and len(decomposed) == 2:
        return char  # ガ stays ガ: its mark is part of the letter, not a diacritic
    base = "".join(c for c in decomposed if not unicodedata.combining(c))
    if not base:
        return DELETE  # a combining mark on its own: part of the previous letter
    folded = base.casefold()
    if len(folded) == 1:
        return _EXTRA.get(folded, folded)  # Ħ casefolds to ħ, which reads as h
    lower = char.lower()
    # ß, ligatures and the like would grow the text; keep them one character long.
    return lower if len(lower) == 1 else char


class _FoldTable(dict):
    """``str.translate`` table filled lazily, one code point at a time."""

    def __missing__(self, code: int) -> str:
        value = _fold_char(chr(code))
        self[code] = value
        return value


_TABLE = _FoldTable({code: _fold_char(chr(code)) for code in range(128)})

# Runs that change length: whitespace runs of two or more, any newline, any deletion.
_RUN = re.compile("[ \n\x01]{2,}|[\n\x01]")


class Folded:
    """A folded text and the map from its offsets back to the original text."""

    __slots__ = ("text", "_norm_starts", "_orig_starts")

    def __init__(self, text: str, norm_starts: list[int], orig_starts: list[int]) -> None:
        self.text = text
        self._norm_starts = norm_starts
        self._orig_starts = orig_starts

    def original(self, index: int) -> int:
        """Offset in the original text of the character at folded ``index``."""
        k = bisect_right(self._norm_starts, index) - 1
        return self._orig_starts[k] + (index - self._norm_starts[k])


_LINE_END_HYPHEN = re.compile("[-\u2010\u00ad][^\\S\n\u2028]*[\n\u2028][^\\S\n\u2028]*")
"""A hyphen at the end of a line. Between a letter and a *lowercase* letter it breaks one
word (``Brit-\\nney``, ``Ga-\\nga``, ``Brit-\\nish``) and is removed with the line break;
before a capital it is a real hyphen that happens to end the line (``Jay-\\nZ``,
``Newton-\\nJohn``) and separates like any hyphen. A compound broken at its own hyphen
before a lowercase word (``Gaga-\\nesque``) reads as one word: hyphenation inside words
is far more common at line ends than compounds of watched names."""


def _join_broken_words(text: str, translated: str) -> str:
    """``translated`` with each word-breaking line-end hyphen (and its line break) deleted."""
    pieces = []
    done = 0
    for hyphen in _LINE_END_HYPHEN.finditer(text):
        start, end = hyphen.span()
        if start > 0 and end < len(text) and text[start - 1].isalpha() and text[end].islower():
            pieces.append(translated[done:start])
            pieces.append(DELETE * (end - start))
            done = end
    if not pieces:
        return translated
    pieces.append(translated[done:])
    return "".join(pieces)


def fold(text: str) -> Folded:
    """Fold ``text`` for matching (see the module docstring)."""
    translated = _join_broken_words(text, text.translate(_TABLE))
    norm_starts = [0]
    orig_starts = [0]
    if not _RUN.search(translated):
        return Folded(translated, norm_starts, orig_starts)
    pieces: list[str] = []
    orig = 0  # original offset of the next unconsumed character
    norm = 0  # folded offset of the next output character
    for run in _RUN.finditer(translated):
        start, end = run.span()
        pieces.append(translated[orig:start])
        norm += start - orig
        value = run.group()
        if value.count("\n") >= 2:
            replacement = "\n"
        elif value.strip(DELETE):
            replacement = " "
        else:
            replacement = ""
        if replacement:
            norm_starts.append(norm)
            orig_starts.append(start)
            pieces.append(replacement)
            norm += 1
        norm_starts.append(norm)
        orig_starts.append(end)
        orig = end
    pieces.append(translated[orig:])
    return Folded("".join(pieces), norm_starts, orig_starts)


def fold_phrase(phrase: str) -> str:
    """Fold a watchlist phrase the way texts are folded, without outer spaces."""
    return fold(phrase).text.replace("\n", " ").strip()


def fold_readings(text: str) -> list[Folded]:
    """The foldings of ``text`` to match: one, or two when it has a zero-width space.

    A zero-width space splits words (``Lady\\u200bGaga``, ``Spears\\u200bLady Gaga``),
    but sites also put one inside a long word as a line-break opportunity
    (``Ga\\u200bga``); a name found in either reading counts (longest match first).
    """
    if ZERO_WIDTH_SPACE not in text:
        return [fold(text)]
    return [fold(text), fold(text.replace(ZERO_WIDTH_SPACE, DELETE))]


# Scripts written without spaces between words (Chinese, Japanese, Thai, Lao, Khmer,
# Myanmar) or with particles attached to names (Korean): no word boundary is needed
# next to their letters ("布兰妮Britney Spears新歌", "歌手布兰妮的新歌", "레이디 가가의").
UNSPACED_LETTERS = (
    "[\u0e00-\u0eff\u1000-\u109f\u1100-\u11ff\u1780-\u17ff\u19e0-\u19ff"
    "\u2e80-\u2fdf\u3005-\u3007\u3021-\u3029\u3031-\u3035\u3038-\u303c"
    "\u3040-\u31ff\u3400-\u4dbf\u4e00-\u9fff\ua000-\ua4cf\uac00-\ud7af"
    "\uf900-\ufaff\uff66-\uffdc\U00020000-\U0003ffff]"
)
"""A regular-expression character class of the letters of those scripts."""
_UNSPACED = re.compile(UNSPACED_LETTERS)


def continues_word(char: str) -> bool:
    """True for characters that continue a word, so a name cannot end next to them:
    letters, digits and ``_`` of scripts that separate words with spaces."""
    if char.isascii():
        return char.isalnum() or char == "_"
    return char.isalnum() and not _UNSPACED.match(char)


class _CaseShapes(dict):
    """``str.translate`` table of :func:`case_shape`, filled as code points are met: an
    upper-case letter reads ``U``, a lower-case one ``l``, anything else is dropped. The
    tagger takes the shape of the whole line around a name (up to 600 characters) for
    each capitalised hit; one ``translate`` is ~10× cheaper than a test per character."""

    def __missing__(self, code: int) -> str | None:
        char = chr(code)
        shape = "U" if char.isupper() else "l" if char.islower() else None
        self[code] = shape
        return shape


_CASE_SHAPES = _CaseShapes()


def case_shape(text: str) -> str:
    """The upper/lower pattern of the cased letters in ``text`` (``"Swift"`` → ``"Ullll"``)."""
    return text.translate(_CASE_SHAPES)


_SLUG_EXTRA = {"ß": "ss", "æ": "ae", "œ": "oe", "þ": "th", "ð": "d", **_EXTRA}


def slugify(name: str) -> str:
    """Lowercase ASCII slug with hyphens: ``Beyoncé`` → ``beyonce``, ``P!nk`` → ``pink``.

    ``!`` between letters reads as ``i`` and ``$`` next to a letter as ``s`` (``Ke$ha``
    → ``kesha``, ``A$AP Rocky`` → ``asap-rocky``); apostrophes vanish (``Guns N' Roses``
    → ``guns-n-roses``); any other run of non-alphanumerics becomes one hyphen.
    """
    text = name.strip()
    text = re.sub(r"(?<=[^\W\d_])!(?=[^\W\d_])", "i", text)
    text = re.sub(r"(?<=[^\W\d_])\$|\$(?=[^\W\d_])", "s", text)
    text = re.sub("[" + re.escape(_APOSTROPHES) + "]", "", text)
    text = "".join(_SLUG_EXTRA.get(c, _SLUG_EXTRA.get(c.lower(), c)) for c in text)
    text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")
