"""The mention matcher: one Aho–Corasick automaton over every watched phrase.

Cost per article is one ``str.translate``, one automaton pass over the folded text and
a little Python per raw hit, whatever the size of the watchlist (two passes for the rare
text with a zero-width space, see :func:`~newscrawl.artists.normalize.fold_readings`;
hits are kept in original-text offsets, so the hits of both readings resolve together).
The counting rules are in the package docstring (:mod:`newscrawl.artists`) and
``docs/artists.md``.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass

import ahocorasick

from newscrawl.artists.artist import Artist
from newscrawl.artists.context import (
    EXCLUDE,
    STRONG,
    WEAK,
    case_filter,
    joined_to_another_name,
    line_style,
    url_spans,
)
from newscrawl.artists.normalize import (
    case_shape,
    continues_word,
    fold_phrase,
    fold_readings,
)
from newscrawl.artists.salience import paragraph_starts, salience
from newscrawl.artists.snippets import pick_snippets
from newscrawl.items import Mention

TEXT_FIELDS = ("title", "description", "body")


@dataclass(frozen=True)
class MatchSpan:
    """One counted mention: where it is and whose it is (for highlighting and tests)."""

    field: str
    """``title``, ``description`` or ``body``."""
    start: int
    """Offset of the first character of the mention in that field's original text."""
    end: int
    """Offset just after the mention."""
    artist_id: str
    """Slug of the artist the mention counts for."""
    text: str
    """The mention as written in the article."""
    weak: bool
    """True when it matched a weak alias."""


class _Hit:
    """A phrase occurrence in one field after boundary, URL and case checks.

    ``start``/``end`` are original-text offsets (overlaps are the same there as in the
    folded text, whose offsets map to the original in order); ``size`` is the folded
    length, which ranks overlapping hits. ``check_name`` marks weak claims still to be
    tested against a neighbouring name (done only for hits that win the overlap
    resolution).
    """

    __slots__ = ("size", "start", "end", "claims", "check_name")

    def __init__(self, size: int, start: int, end: int, claims: tuple, check_name: bool) -> None:
        self.size, self.start, self.end = size, start, end
        self.claims, self.check_name = claims, check_name

    def with_claims(self, claims: tuple) -> _Hit:
        if claims == self.claims:
            return self
        return _Hit(self.size, self.start, self.end, claims, self.check_name)


class Matcher:
    """Tags texts with the artists of a watchlist. Build it once; it is picklable.

    Pickling sends only the artists; the automaton is rebuilt on arrival (see
    ``bench/tag.py`` for the cost).
    """

    def __init__(self, artists: Iterable[Artist]) -> None:
        self.artists: tuple[Artist, ...] = tuple(artists)
        self._compile()

    def __getstate__(self) -> dict:
        return {"artists": self.artists}

    def __setstate__(self, state: dict) -> None:
        self.artists = state["artists"]
        self._compile()

    def _compile(self) -> None:
        table: dict[str, dict[tuple, None]] = {}
        glued: dict[str, dict[tuple, None]] = {}
        for index, artist in enumerate(self.artists):
            shapes: dict[str, set[str]] = {}
            for phrase in artist.case_sensitive:
                shapes.setdefault(fold_phrase(phrase), set()).add(case_shape(phrase))
            roles = [(p, STRONG) for p in artist.names]
            roles += [(p, WEAK) for p in artist.weak_aliases]
            roles += [(p, EXCLUDE) for p in artist.exclude]
            seen: set[str] = set()
            for phrase, kind in roles:
                key = fold_phrase(phrase)
                if key in seen:
                    continue  # one role per phrase and artist; the strongest comes first
                seen.add(key)
                shape = frozenset(shapes[key]) if key in shapes else None
                table.setdefault(key, {})[(index, kind, shape)] = None
                if kind != EXCLUDE and (form := _glued(key)) is not None:
                    glued.setdefault(form, {})[(index, kind, shape)] = None
        self._automaton = None
        if table:
            automaton = ahocorasick.Automaton()
            entries = [(key, claims, False) for key, claims in table.items()]
            # A phrase spelled like another phrase without its spaces keeps its own rules.
            entries += [(key, claims, True) for key, claims in glued.items() if key not in table]
            for key, claims, tag_only in entries:
                has_case = any(shape is not None for _, _, shape in claims)
                has_exclude = any(kind == EXCLUDE for _, kind, _ in claims)
                has_weak = any(kind == WEAK for _, kind, _ in claims)
                word_start, word_end = continues_word(key[0]), continues_word(key[-1])
                flags = (has_case, has_exclude, has_weak or has_case, tag_only)
                value = (len(key), word_start, word_end, tuple(claims), *flags)
                automaton.add_word(key, value)
            automaton.make_automaton()
            self._automaton = automaton

    def tag(self, title: str | None, description: str | None, body: str) -> list[Mention]:
        """Mentions of watched artists in an article, most salient first (empty if none)."""
        texts = {"title": title or "", "description": description or "", "body": body or ""}
        chosen = self._analyse(texts)
        per_artist: dict[int, list[tuple[str, _Hit, int]]] = {}
        for field, hits in chosen.items():
            for hit in hits:
                for index, kind, _shape in hit.claims:
                    per_artist.setdefault(index, []).append((field, hit, kind))
        if not per_artist:
            return []
        body_text = texts["body"]
        paragraphs = paragraph_starts(body_text)
        total = sum(len(found) for found in per_artist.values())
        mentions = []
        for index, found in per_artist.items():
            artist = self.artists[index]
            body_offsets = [hit.start for field, hit, _ in found if field == "body"]
            in_title = any(field == "title" for field, _, _ in found)
            mentions.append(
                Mention(
                    artist=artist.name,
                    artist_id=artist.id,
                    count=len(found),
                    in_title=in_title,
                    first_offset=min(body_offsets) if body_offsets else None,
                    snippets=pick_snippets(texts, [(f, h.start, h.end) for f, h, _ in found]),
                    salience=salience(
                        count=len(found),
                        total=total,
                        in_title=in_title,
                        in_description=any(field == "description" for field, _, _ in found),
                        body_offsets=body_offsets,
                        body_length=len(body_text),
                        paragraphs=paragraphs,
                    ),
                    spans=_spans_by_field(found),
                )
            )
        mentions.sort(key=lambda m: (-m.salience, -m.count, m.artist))
        return mentions

    def spans(self, title: str | None, description: str | None, body: str) -> list[MatchSpan]:
        """Every counted mention with its place, in field then reading order."""
        texts = {"title": title or "", "description": description or "", "body": body or ""}
        out = []
        for field, hits in self._analyse(texts).items():
            for hit in hits:
                for index, kind, _shape in hit.claims:
                    out.append(
                        MatchSpan(
                            field=field,
                            start=hit.start,
                            end=hit.end,
                            artist_id=self.artists[index].id,
                            text=texts[field][hit.start : hit.end],
                            weak=kind == WEAK,
                        )
                    )
        return out

    def _analyse(self, texts: dict[str, str]) -> dict[str, list[_Hit]]:
        """The counted hits per field, after excludes, longest-first and the weak rule."""
        candidates: dict[str, tuple[int, list[_Hit]]] = {}
        for field, text in texts.items():
            if text:
                hits, excludes = self._scan(text, heading=field == "title")
                candidates[field] = (len(text), _apply_excludes(hits) if excludes else hits)
        allowed_weak: set[int] | None = None  # None: every artist's weak aliases may count
        # Spans tested for a neighbouring name, and those whose weak claims it removed.
        checked: dict[str, set[tuple[int, int]]] = {field: set() for field in candidates}
        not_weak: dict[str, set[tuple[int, int]]] = {field: set() for field in candidates}
        while True:
            chosen: dict[str, list[_Hit]] = {}
            strong: set[int] = set()
            weak: set[int] = set()
            again = False
            for field, (length, hits) in candidates.items():
                if allowed_weak is not None or not_weak[field]:
                    hits = _filter_weak(hits, allowed_weak, not_weak[field])
                chosen[field] = _longest_first(hits, length)
                for hit in chosen[field]:
                    span = (hit.start, hit.end)
                    if hit.check_name and span not in checked[field]:
                        checked[field].add(span)
                        if joined_to_another_name(texts[field], hit.start, hit.end):
                            not_weak[field].add(span)
                            again = True
                    for index, kind, _shape in hit.claims:
                        (strong if kind == STRONG else weak).add(index)
            # Removing claims of hits that were not chosen never changes the choice, so
            # testing only the chosen hits equals testing them all. Weak aliases of an
            # artist without a strong mention do not count; dropping claims can free
            # text for other phrases, so choose again until stable.
            if again:
                continue
            if weak <= strong:
                return chosen
            allowed_weak = strong if allowed_weak is None else allowed_weak & strong

    def _scan(self, text: str, heading: bool) -> tuple[list[_Hit], bool]:
        """The hits that pass word, URL and case checks, and whether any is an exclude."""
        hits: list[_Hit] = []
        excludes = False
        if self._automaton is None:
            return hits, excludes
        urls = url_spans(text)
        # In a Title Case or all-caps title every word is capitalised: no name evidence.
        plain_title = None
        readings = fold_readings(text)
        # A hit outside the zero-width spaces is found in both readings: count it once.
        seen: set[tuple[int, int, int]] | None = set() if len(readings) > 1 else None
        for folded in readings:
            norm = folded.text
            size = len(norm)
            original = folded.original
            for last, value in self._automaton.iter(norm):
                (
                    length,
                    word_start,
                    word_end,
                    claims,
                    has_case,
                    has_exclude,
                    maybe_weak,
                    tag_only,
                ) = value
                nstart, nend = last - length + 1, last + 1
                if word_start and nstart > 0 and continues_word(norm[nstart - 1]):
                    continue
                if word_end and nend < size and continues_word(norm[nend]):
                    continue
                if tag_only and (nstart == 0 or norm[nstart - 1] not in "@#"):
                    continue  # "ladygaga" is as often a user name or part of an address
                start = original(nstart)
                end = original(last) + 1
                while end < len(text) and unicodedata.combining(text[end]):
                    end += 1
                if seen is not None:
                    if (start, end, length) in seen:
                        continue
                    seen.add((start, end, length))
                if urls and any(s < end and start < e for s, e in urls):
                    continue
                if has_case:
                    claims = case_filter(text, start, end, claims, heading)
                    if not claims:
                        continue
                check_name = False
                if maybe_weak and any(kind == WEAK for _, kind, _ in claims):
                    if plain_title is None:
                        plain_title = not heading or line_style(text, 0, 0, heading=True) == "plain"
                    check_name = plain_title
                excludes = excludes or has_exclude
                hits.append(_Hit(length, start, end, claims, check_name))
        return hits, excludes


_GLUED_DROPS = re.compile(r"[ '.]")
_HASHTAG = re.compile(r"\w+")


def _glued(key: str) -> str | None:
    """A folded phrase of several words written without spaces (``lady gaga`` →
    ``ladygaga``), for hashtags and @handles (``#LadyGaga``, ``@ladygaga``); None for one
    word, or when the result is not a possible hashtag."""
    words = [word for word in _GLUED_DROPS.split(key) if word]
    form = "".join(words)
    if len(words) < 2 or not _HASHTAG.fullmatch(form):
        return None
    return form


def _apply_excludes(hits: list[_Hit]) -> list[_Hit]:
    """Drop each artist's claims that overlap one of that artist's exclude phrases."""
    excluded: dict[int, list[tuple[int, int]]] = {}
    for hit in hits:
        for index, kind, _shape in hit.claims:
            if kind == EXCLUDE:
                excluded.setdefault(index, []).append((hit.start, hit.end))
    kept = []
    for hit in hits:
        claims = tuple(
            claim
            for claim in hit.claims
            if claim[1] != EXCLUDE
            and not any(s < hit.end and hit.start < e for s, e in excluded.get(claim[0], ()))
        )
        if claims:
            kept.append(hit.with_claims(claims))
    return kept


def _filter_weak(
    hits: list[_Hit], allowed: set[int] | None, not_weak: set[tuple[int, int]]
) -> list[_Hit]:
    """The hits with weak claims kept only for ``allowed`` artists (None: all), and none
    for the folded spans in ``not_weak``."""
    kept = []
    for hit in hits:
        drop_weak = (hit.start, hit.end) in not_weak
        claims = tuple(
            c
            for c in hit.claims
            if c[1] == STRONG or (not drop_weak and (allowed is None or c[0] in allowed))
        )
        if claims:
            kept.append(hit.with_claims(claims))
    return kept


def _longest_first(hits: list[_Hit], length: int) -> list[_Hit]:
    """Non-overlapping hits, longest (folded) first, leftmost on ties, in text order.

    ``length`` is the length of the original text the hits' offsets point into.
    """
    if len(hits) <= 1:
        return hits
    taken = bytearray(length)
    chosen = []
    for hit in sorted(hits, key=lambda h: (-h.size, h.start)):
        if 1 in taken[hit.start : hit.end]:
            continue
        taken[hit.start : hit.end] = b"\x01" * (hit.end - hit.start)
        chosen.append(hit)
    chosen.sort(key=lambda h: h.start)
    return chosen


def _spans_by_field(found) -> dict[str, list[list[int]]]:
    """field -> [start, end] of each counted hit, in reading order (Mention.spans)."""
    out: dict[str, list[list[int]]] = {}
    for field, hit, _kind in found:
        out.setdefault(field, []).append([hit.start, hit.end])
    for places in out.values():
        places.sort()
    return out
