"""Quality metrics for extracted articles, as the corpus README defines them.

Reused by the golden quality test, ``bench/extract_quality.py`` and any later scorer:

- body: precision / recall / F1 over 4-word shingles of ``\\w+`` tokens (case-folded),
  averaged per page;
- title: exact match after folding case and whitespace;
- authors: set F1 of case-folded names per page, averaged;
- date: same calendar day, or the same instant when both values carry an offset.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

_WORD = re.compile(r"\w+")
_SPACE = re.compile(r"\s+")

SHINGLE = 4


def shingles(text: str | None, size: int = SHINGLE) -> set[tuple[str, ...]]:
    """The set of ``size``-word shingles of ``text`` (``\\w+`` tokens, case-folded)."""
    tokens = _WORD.findall((text or "").casefold())
    if len(tokens) < size:
        return {tuple(tokens)} if tokens else set()
    return {tuple(tokens[i : i + size]) for i in range(len(tokens) - size + 1)}


def prf(predicted: set, expected: set) -> tuple[float, float, float]:
    """Precision, recall and F1 of two sets; two empty sets agree perfectly."""
    if not predicted and not expected:
        return 1.0, 1.0, 1.0
    if not predicted or not expected:
        return 0.0, 0.0, 0.0
    common = len(predicted & expected)
    precision = common / len(predicted)
    recall = common / len(expected)
    f1 = 2 * precision * recall / (precision + recall) if common else 0.0
    return precision, recall, f1


def body_scores(predicted: str | None, expected: str | None) -> tuple[float, float, float]:
    """Shingle precision, recall and F1 of an extracted body against the expected text."""
    return prf(shingles(predicted), shingles(expected))


def fold(text: str | None) -> str:
    """Case- and whitespace-folded text, for exact comparisons."""
    return _SPACE.sub(" ", (text or "").casefold()).strip()


def title_match(predicted: str | None, expected: str | None) -> bool:
    """Titles agree after folding case and whitespace."""
    return fold(predicted) == fold(expected)


def authors_f1(predicted: Iterable[str] | None, expected: Iterable[str] | None) -> float:
    """Set F1 of case-folded author names; no authors on both sides counts as agreement."""
    p = {fold(a) for a in predicted or () if fold(a)}
    e = {fold(a) for a in expected or () if fold(a)}
    return prf(p, e)[2]


def _parse_datetime(value: str | None) -> datetime | None:
    if not value:
        return None
    text = value.strip().replace("Z", "+00:00")
    try:
        return datetime.fromisoformat(text)
    except ValueError:
        match = re.match(r"\d{4}-\d{2}-\d{2}", text)
        return datetime.fromisoformat(match.group(0)) if match else None


def date_match(predicted: str | None, expected: str | None) -> bool:
    """Same calendar day as written, or the same instant when both carry an offset."""
    if not expected:
        return not predicted
    p, e = _parse_datetime(predicted), _parse_datetime(expected)
    if p is None or e is None:
        return False
    if p.date() == e.date():
        return True
    if p.tzinfo is not None and e.tzinfo is not None:
        return p == e
    return False


@dataclass
class PageScore:
    """Scores of one page."""

    file: str
    body_precision: float
    body_recall: float
    body_f1: float
    title: bool
    authors_f1: float
    date: bool
    predicted: dict[str, Any] = field(default_factory=dict, repr=False)


def score_page(file: str, predicted: Mapping[str, Any], truth: Mapping[str, Any]) -> PageScore:
    """Score one extracted record (``title``, ``authors``, ``published_at``, ``body``)."""
    p, r, f = body_scores(predicted.get("body"), truth.get("body_text"))
    return PageScore(
        file=file,
        body_precision=p,
        body_recall=r,
        body_f1=f,
        title=title_match(predicted.get("title"), truth.get("title")),
        authors_f1=authors_f1(predicted.get("authors"), truth.get("authors")),
        date=date_match(predicted.get("published_at"), truth.get("published_at")),
        predicted=dict(predicted),
    )


def summarise(scores: list[PageScore]) -> dict[str, float]:
    """Per-field averages over pages."""
    n = len(scores) or 1
    return {
        "pages": len(scores),
        "body_precision": sum(s.body_precision for s in scores) / n,
        "body_recall": sum(s.body_recall for s in scores) / n,
        "body_f1": sum(s.body_f1 for s in scores) / n,
        "title": sum(s.title for s in scores) / n,
        "authors_f1": sum(s.authors_f1 for s in scores) / n,
        "date": sum(s.date for s in scores) / n,
    }


# -- the corpus ----------------------------------------------------------------------------

CORPUS_ENV = "NEWSCRAWL_CORPUS"
DEV_SET = "fundus-dev"


def corpus_dir(repo: Path | None = None) -> Path:
    """The shared corpus folder: ``$NEWSCRAWL_CORPUS``, else ``../shared/corpus`` next to
    the repository (``repo``, by default the checkout this module is in)."""
    env = os.environ.get(CORPUS_ENV)
    if env:
        return Path(env)
    repo = repo or Path(__file__).resolve().parents[2]
    return (repo.parent / "shared" / "corpus").resolve()


def dev_set(repo: Path | None = None) -> Path:
    """The ``fundus-dev`` folder; ``FileNotFoundError`` saying what to set when missing."""
    folder = corpus_dir(repo) / DEV_SET
    if not (folder / "truth.jsonl").is_file():
        raise FileNotFoundError(
            f"corpus not found: {folder}/truth.jsonl is missing. Set {CORPUS_ENV} to the "
            f"folder holding {DEV_SET}/ (default: ../shared/corpus next to the repository)."
        )
    return folder


def load_truth(folder: Path) -> list[dict[str, Any]]:
    """Rows of ``truth.jsonl`` in ``folder`` (a corpus set such as ``fundus-dev``)."""
    with open(folder / "truth.jsonl", encoding="utf-8") as handle:
        return [json.loads(line) for line in handle if line.strip()]


def evaluate(
    folder: Path,
    predict: Callable[[bytes, str], Mapping[str, Any]],
    *,
    files: Iterable[str] | None = None,
) -> tuple[dict[str, float], list[PageScore]]:
    """Run ``predict(html, url)`` over a corpus set and score it against its truth."""
    wanted = set(files) if files is not None else None
    scores = []
    for row in load_truth(folder):
        if wanted is not None and row["file"] not in wanted:
            continue
        html = (folder / row["file"]).read_bytes()
        scores.append(score_page(row["file"], predict(html, row["url"]), row))
    return summarise(scores), scores
