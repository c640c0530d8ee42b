"""Regenerate the extractor's golden files: tests/golden/fundus/<page>.json.

    .venv/bin/python scripts/regen_golden.py            # after bumping EXTRACTOR_VERSION
    .venv/bin/python scripts/regen_golden.py --check    # exit 1 if any file would change

Each file holds the extractor version, the corpus file and URL, and the fields
``extract_article`` returns for that page. The corpus is read from
``$NEWSCRAWL_CORPUS`` (the folder holding ``fundus-dev/``), by default
``../shared/corpus`` next to the repository. An output that changes while
EXTRACTOR_VERSION stays the same is refused: stored articles carry the version, so a
change in output must come with a new one (``--same-version`` overrides, for a change
that is only in provenance labels or the like).
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
GOLDEN = REPO / "tests" / "golden" / "fundus"


def main(argv: list[str] | None = None) -> int:
    sys.path.insert(0, str(REPO))
    from newscrawl.extract import EXTRACTOR_VERSION, extract_article
    from newscrawl.extract.evaluate import dev_set, load_truth

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="only report what would change")
    parser.add_argument(
        "--same-version", action="store_true", help="allow changes without a version bump"
    )
    args = parser.parse_args(argv)
    try:
        folder = dev_set(REPO)
    except FileNotFoundError as error:
        print(error, file=sys.stderr)
        return 1
    GOLDEN.mkdir(parents=True, exist_ok=True)
    changed, unversioned, wanted = [], [], set()
    for row in load_truth(folder):
        path = GOLDEN / f"{Path(row['file']).stem}.json"
        wanted.add(path)
        fields = extract_article((folder / row["file"]).read_bytes(), row["url"])
        record = {
            "extractor_version": EXTRACTOR_VERSION,
            "file": row["file"],
            "url": row["url"],
            "fields": fields,
        }
        text = json.dumps(record, ensure_ascii=False, indent=2) + "\n"
        old = path.read_text(encoding="utf-8") if path.exists() else None
        if old == text:
            continue
        changed.append(path)
        if old is not None:
            previous = json.loads(old)
            if (
                previous.get("extractor_version") == EXTRACTOR_VERSION
                and previous.get("fields") != json.loads(text)["fields"]
            ):
                unversioned.append(path.name)
        if not args.check:
            path.write_text(text, encoding="utf-8")
    stale = sorted(set(GOLDEN.glob("*.json")) - wanted)
    for path in stale:
        if not args.check:
            path.unlink()
    if unversioned and not args.same_version and not args.check:
        print(
            f"output changed for {len(unversioned)} pages ({', '.join(unversioned[:5])}...) "
            f"but EXTRACTOR_VERSION is still {EXTRACTOR_VERSION}: bump it in "
            "newscrawl/extract/__init__.py, or pass --same-version",
            file=sys.stderr,
        )
        return 1
    print(
        f"{len(changed)} golden files {'would change' if args.check else 'written'}, "
        f"{len(stale)} stale {'found' if args.check else 'removed'}"
    )
    return 1 if args.check and (changed or stale) else 0


if __name__ == "__main__":
    raise SystemExit(main())
