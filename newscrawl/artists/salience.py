"""Salience: how much an article is *about* an artist, as a number in 0..1.

A weighted sum of six signals, each in 0..1 (weights sum to 1):

==============  ======  =============================================================
signal          weight  value
==============  ======  =============================================================
title           0.30    1 when the title mentions the artist
lead            0.15    1 when the description or the lead (the first 300 characters,
                        or the first paragraph within 800) mentions the artist; 0.5
                        when the first body mention is within 800 characters, or in
                        paragraph 2–3 within 1,600
position        0.10    1 − (offset of the first body mention / body length); 0 when
                        the body does not mention the artist
frequency       0.15    1 − e^(−count/3): 1 mention ≈ 0.28, 3 ≈ 0.63, 10 ≈ 0.96
share           0.15    the artist's count / all watched artists' counts in the article
spread          0.15    √(share of body paragraphs that mention the artist); bodies with
                        fewer than three paragraphs are cut into 500-character windows
==============  ======  =============================================================

Rounded to three decimals. As a rule of thumb an article *about* the artist scores
≥ 0.5 (title + lead alone give 0.45), a passing mention deep in the body ≈ 0.1–0.3.
"""

from __future__ import annotations

import math
import re
from bisect import bisect_right
from collections.abc import Sequence

WEIGHTS = {
    "title": 0.30,
    "lead": 0.15,
    "position": 0.10,
    "frequency": 0.15,
    "share": 0.15,
    "spread": 0.15,
}
LEAD_CHARS = 300
NEAR_LEAD_CHARS = 800
WINDOW_CHARS = 500

_PARAGRAPH_BREAK = re.compile(r"\n[^\S\n]*\n\s*")
_LINE_BREAK = re.compile(r"\n\s*")


def paragraph_starts(body: str) -> list[int]:
    """Offsets where the body's paragraphs start (blank-line separated; else one per line)."""
    breaks = _PARAGRAPH_BREAK if _PARAGRAPH_BREAK.search(body) else _LINE_BREAK
    return [0] + [m.end() for m in breaks.finditer(body) if m.end() < len(body)]


def salience(
    *,
    count: int,
    total: int,
    in_title: bool,
    in_description: bool,
    body_offsets: Sequence[int],
    body_length: int,
    paragraphs: Sequence[int],
) -> float:
    """Score one artist in one article; see the module docstring for the formula.

    ``body_offsets`` are the original offsets of the artist's counted body mentions;
    ``paragraphs`` is :func:`paragraph_starts` of the body.
    """
    signals = dict.fromkeys(WEIGHTS, 0.0)
    signals["title"] = 1.0 if in_title else 0.0
    signals["lead"] = 1.0 if in_description else 0.0
    if body_offsets and body_length:
        first = min(body_offsets)
        first_paragraph = bisect_right(paragraphs, first) - 1
        # Paragraphs can be long or missing, so the lead is also bounded in characters.
        if first < LEAD_CHARS or (first_paragraph == 0 and first < NEAR_LEAD_CHARS):
            signals["lead"] = 1.0
        elif first < NEAR_LEAD_CHARS or (first_paragraph <= 2 and first < 2 * NEAR_LEAD_CHARS):
            signals["lead"] = max(signals["lead"], 0.5)
        signals["position"] = 1.0 - first / body_length
        if len(paragraphs) >= 3:
            units = {bisect_right(paragraphs, offset) for offset in body_offsets}
            n_units = len(paragraphs)
        else:
            units = {offset // WINDOW_CHARS for offset in body_offsets}
            n_units = max(1, math.ceil(body_length / WINDOW_CHARS))
        signals["spread"] = math.sqrt(min(1.0, len(units) / n_units))
    signals["frequency"] = 1.0 - math.exp(-count / 3.0)
    signals["share"] = count / total if total else 0.0
    score = sum(WEIGHTS[name] * value for name, value in signals.items())
    return round(min(1.0, max(0.0, score)), 3)
