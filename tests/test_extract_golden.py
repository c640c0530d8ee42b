"""Golden tests on the real pages of the shared corpus (``fundus-dev``).

The corpus lives outside the repository: ``$NEWSCRAWL_CORPUS`` (the folder holding
``fundus-dev/``), by default ``../shared/corpus`` next to the repository. When it is
missing these tests fail and say so; they never skip.

Expected outputs are ``tests/golden/fundus/<page>.json``, written by
``scripts/regen_golden.py``; a page without its file fails. The quality test scores the
whole set with the corpus README's metrics (``newscrawl.extract.evaluate``) against
fixed floors and against plain trafilatura on the same pages.
"""

from __future__ import annotations

import json
import warnings
from pathlib import Path

import pytest

from newscrawl.extract import EXTRACTOR_VERSION, extract_article
from newscrawl.extract.evaluate import dev_set, evaluate, load_truth, score_page, summarise

REPO = Path(__file__).resolve().parents[1]
GOLDEN = REPO / "tests" / "golden" / "fundus"
FLOORS = {"body_f1": 0.96, "title": 0.90, "authors_f1": 0.94, "date": 0.97}


def corpus_folder() -> Path:
    """``fundus-dev`` in the shared corpus, or a test failure that says where to put it."""
    try:
        return dev_set(REPO)
    except FileNotFoundError as error:
        pytest.fail(str(error), pytrace=False)


def stem(file: str) -> str:
    return Path(file).stem


@pytest.fixture(scope="module")
def truth() -> list[dict]:
    return load_truth(corpus_folder())


@pytest.fixture(scope="module")
def extracted(truth) -> dict[str, dict]:
    folder = corpus_folder()
    return {
        row["file"]: extract_article((folder / row["file"]).read_bytes(), row["url"])
        for row in truth
    }


def test_every_corpus_page_has_a_golden_file(truth):
    wanted = {stem(row["file"]) for row in truth}
    present = {path.stem for path in GOLDEN.glob("*.json")}
    missing = sorted(wanted - present)
    assert not missing, (
        f"corpus pages without an expected output in {GOLDEN}: {missing}; "
        "run scripts/regen_golden.py"
    )
    stale = sorted(present - wanted)
    assert not stale, f"golden files for pages no longer in the corpus: {stale}"


@pytest.mark.parametrize("golden", sorted(GOLDEN.glob("*.json")), ids=lambda p: p.stem)
def test_golden_page(golden, extracted):
    expected = json.loads(golden.read_text(encoding="utf-8"))
    assert expected["extractor_version"] == EXTRACTOR_VERSION, (
        "golden files were written by another extractor version: run scripts/regen_golden.py"
    )
    actual = json.loads(json.dumps(extracted[expected["file"]], ensure_ascii=False))
    differing = sorted(k for k in expected["fields"] if expected["fields"][k] != actual.get(k))
    assert not differing, (
        f"{golden.name}: fields {differing} changed. If the change is an improvement, bump "
        "EXTRACTOR_VERSION and run scripts/regen_golden.py."
    )


def _trafilatura(html: bytes, url: str) -> dict:
    import trafilatura

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        document = trafilatura.bare_extraction(html, url=url, with_metadata=True)
    if document is None:
        return {}
    found = document.as_dict() if hasattr(document, "as_dict") else dict(document)
    author = found.get("author")
    return {
        "title": found.get("title"),
        "body": found.get("text"),
        "published_at": found.get("date"),
        "authors": [a.strip() for a in author.split(";")] if author else [],
    }


def test_quality_over_the_corpus(truth, extracted, capsys):
    ours = summarise([score_page(row["file"], extracted[row["file"]], row) for row in truth])
    theirs, _ = evaluate(corpus_folder(), _trafilatura)
    with capsys.disabled():
        print(f"\nfundus-dev ({ours['pages']} pages)   newscrawl   trafilatura")
        for key in ("body_f1", "title", "authors_f1", "date"):
            print(f"  {key:<12}              {ours[key]:.3f}       {theirs[key]:.3f}")
    low = {k: round(ours[k], 3) for k, floor in FLOORS.items() if ours[k] < floor}
    assert not low, f"below the floors {FLOORS}: {low}"
    worse = {k: (round(ours[k], 3), round(theirs[k], 3)) for k in FLOORS if ours[k] < theirs[k]}
    assert not worse, f"worse than plain trafilatura on: {worse}"
