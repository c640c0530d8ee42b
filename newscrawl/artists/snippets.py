"""Snippets: short contexts that explain why an article was tagged with an artist.

A snippet is about :data:`WIDTH` characters of text around one counted mention, cut at
word boundaries (``…`` where text was cut; in Chinese, Japanese or Thai text, written
without spaces, next to any of their letters), whitespace folded to single spaces, with
the mention itself marked as ``**Britney Spears**`` (Markdown bold).
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from newscrawl.artists.normalize import UNSPACED_LETTERS

WIDTH = 100
MARK = "**"
MAX_SNIPPETS = 3
_SPACE = re.compile(r"\s+")
# Where a cut context may start or end: at whitespace, or next to a letter of a script
# written without spaces (there every letter is a boundary).
_START = re.compile(rf"\s+|(?={UNSPACED_LETTERS})")
_END = re.compile(rf"\s+|(?<={UNSPACED_LETTERS})")


def snippet(text: str, start: int, end: int, *, width: int = WIDTH) -> str:
    """The context of ``text[start:end]``: about ``width`` characters, mention marked."""
    budget = max(20, width - (end - start)) // 2
    left, right = max(0, start - budget), min(len(text), end + budget)
    before, after = text[left:start], text[end:right]
    prefix = suffix = ""
    if left > 0:
        cut = _START.search(before)
        before = before[cut.end() :] if cut else ""
        prefix = "…"
    if right < len(text):
        cuts = [cut for cut in _END.finditer(after) if cut.start() > 0]
        after = after[: cuts[-1].start()] if cuts else ""
        suffix = "…"
    middle = MARK + _SPACE.sub(" ", text[start:end]) + MARK
    context = (_SPACE.sub(" ", before) + middle + _SPACE.sub(" ", after)).strip()
    return prefix + context + suffix


def pick_snippets(
    fields: dict[str, str], spans: Iterable[tuple[str, int, int]], *, width: int = WIDTH
) -> list[str]:
    """Up to :data:`MAX_SNIPPETS` snippets for one artist's counted mentions.

    ``spans`` are ``(field, start, end)``. Body mentions come first, in reading order,
    skipping one that would fall inside the previous snippet; then the description,
    then the title.
    """
    order = {"body": 0, "description": 1, "title": 2}
    chosen: list[str] = []
    last: tuple[str, int] | None = None
    for field, start, end in sorted(spans, key=lambda s: (order.get(s[0], 3), s[1])):
        if last is not None and last[0] == field and start < last[1]:
            continue
        chosen.append(snippet(fields[field], start, end, width=width))
        last = (field, end + width // 2)
        if len(chosen) == MAX_SNIPPETS:
            break
    return chosen
