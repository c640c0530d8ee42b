"""Dataset releases, checked by real clients: frictionless, pyarrow, json, csv."""

from __future__ import annotations

import csv
import hashlib
import json
import subprocess
import sys
from pathlib import Path

import pyarrow.parquet as pq
import pytest
from archive_fixtures import BODY_ONLY_SENTENCE, SEED_ID, SEED_TITLE, build_archive
from click.testing import CliRunner
from frictionless import Package, validate

from newscrawl.cli import main
from newscrawl.errors import NewscrawlError
from newscrawl.export import export_archive
from newscrawl.export.fields import TABLES

FRICTIONLESS = Path(sys.executable).parent / "frictionless"


@pytest.fixture(scope="module")
def archive_db(tmp_path_factory) -> Path:
    return build_archive(tmp_path_factory.mktemp("archive") / "archive.db")


@pytest.fixture(scope="module")
def releases(archive_db, tmp_path_factory) -> dict[str, Path]:
    """A full release in each format."""
    base = tmp_path_factory.mktemp("releases")
    return {
        fmt: export_archive(archive_db, base / fmt, fmt=fmt).out_dir
        for fmt in ("csv", "jsonl", "parquet")
    }


def read_csv(path: Path, table) -> list[dict]:
    """A CSV file of a release as native values, by its Table Schema types."""
    types = {f.name: f.type for f in table.fields}
    out = []
    with path.open(encoding="utf-8", newline="") as handle:
        for row in csv.DictReader(handle):
            value = {}
            for name, cell in row.items():
                kind = types[name]
                if cell == "":
                    value[name] = None
                elif kind in ("array", "object"):
                    value[name] = json.loads(cell)
                elif kind == "integer":
                    value[name] = int(cell)
                elif kind == "number":
                    value[name] = float(cell)
                elif kind == "boolean":
                    value[name] = cell == "true"
                else:
                    value[name] = cell
            out.append(value)
    return out


def read_parquet(path: Path) -> list[dict]:
    rows = pq.read_table(path).to_pylist()
    for row in rows:
        for name in ("provenance", "discovery"):
            if row.get(name) is not None:
                row[name] = json.loads(row[name])
    return rows


def read_jsonl(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


# -- validity -----------------------------------------------------------------------


@pytest.mark.parametrize("fmt", ["csv", "jsonl"])
def test_frictionless_validates_the_release(releases, fmt):
    report = validate(releases[fmt] / "datapackage.json")
    assert report.valid, report.flatten(["rowNumber", "fieldName", "type", "note"])
    assert {task.name for task in report.tasks} == {"articles", "mentions", "artists", "sources"}


def test_frictionless_cli_validates_and_catches_tampering(releases, tmp_path):
    ok = subprocess.run(
        [str(FRICTIONLESS), "validate", "datapackage.json"],
        cwd=releases["csv"],
        capture_output=True,
        text=True,
    )
    assert ok.returncode == 0, ok.stdout + ok.stderr
    tampered = tmp_path / "tampered"
    tampered.mkdir()
    for path in releases["csv"].iterdir():
        (tampered / path.name).write_bytes(path.read_bytes())
    mentions = tampered / "mentions.csv"
    mentions.write_text(mentions.read_text().replace("lady-gaga", "lady-gagx"))
    report = validate(tampered / "datapackage.json")
    errors = {e[0] for e in report.flatten(["type"])}
    assert not report.valid and {"foreign-key", "hash-count"} <= errors


def test_parquet_release_descriptor_and_hashes(releases):
    folder = releases["parquet"]
    descriptor = json.loads((folder / "datapackage.json").read_text())
    assert Package.validate_descriptor(descriptor).valid
    for resource in descriptor["resources"]:
        data = (folder / resource["path"]).read_bytes()
        assert resource["hash"] == "sha256:" + hashlib.sha256(data).hexdigest()
        assert resource["bytes"] == len(data)
        schema = pq.read_schema(folder / resource["path"])
        assert schema.names == [f["name"] for f in resource["schema"]["fields"]]


@pytest.mark.parametrize("table", TABLES, ids=lambda t: t.name)
def test_parquet_and_jsonl_hold_the_same_rows_as_csv(releases, table):
    from_csv = read_csv(releases["csv"] / f"{table.name}.csv", table)
    assert from_csv
    assert read_parquet(releases["parquet"] / f"{table.name}.parquet") == from_csv
    assert read_jsonl(releases["jsonl"] / f"{table.name}.jsonl") == from_csv


def test_jsonl_round_trips_the_archive(releases, archive_db):
    import sqlite3

    articles = {r["id"]: r for r in read_jsonl(releases["jsonl"] / "articles.jsonl")}
    conn = sqlite3.connect(archive_db)
    conn.row_factory = sqlite3.Row
    for row in conn.execute("select * from articles"):
        exported = articles[row["id"]]
        for column in ("title", "body", "canonical_url", "url", "published_at", "word_count"):
            assert exported[column] == row[column], column
        for column in ("authors", "tags", "artists", "provenance", "discovery"):
            assert exported[column] == json.loads(row[column]), column
    mentions = read_jsonl(releases["jsonl"] / "mentions.jsonl")
    assert len(mentions) == conn.execute("select count(*) from mentions").fetchone()[0]
    seed = next(
        m for m in mentions if m["article_id"] == SEED_ID and m["artist_id"] == "britney-spears"
    )
    assert (
        seed["artist"] == "Britney Spears" and seed["in_title"] is True and seed["salience"] == 0.92
    )
    assert articles[SEED_ID]["title"] == SEED_TITLE


def test_output_is_deterministic(archive_db, tmp_path, releases):
    again = export_archive(archive_db, tmp_path / "again", fmt="csv").out_dir
    for table in TABLES:
        name = f"{table.name}.csv"
        assert (again / name).read_bytes() == (releases["csv"] / name).read_bytes()
    ids = [r["id"] for r in read_jsonl(releases["jsonl"] / "articles.jsonl")]
    assert ids == sorted(ids)


def test_datacard_says_what_and_how(releases):
    card = (releases["csv"] / "DATACARD.md").read_text()
    for needle in (
        "## What was selected",
        "Every article in the archive",
        "| Britney Spears | britney-spears | 5 |",
        "| popwire | PopWire (fictional) | 5 |",
        "| 2024-03 | 2 |",
        "| undated | 1 |",
        "`extract-0.9` (1 articles), `extract-1.0` (9 articles)",
        "2 crawl run(s)",
        "## Licence and rights",
        "--no-body",
    ):
        assert needle in card, needle
    for path in releases["csv"].glob("*.csv"):
        assert hashlib.sha256(path.read_bytes()).hexdigest() in card


# -- filters --------------------------------------------------------------------------------


def exported_ids(result) -> set[int]:
    return {r["id"] for r in read_jsonl(result.out_dir / "articles.jsonl")}


def test_filters_combine(archive_db, tmp_path):
    def run(name, **filters):
        return export_archive(archive_db, tmp_path / name, fmt="jsonl", **filters)

    assert exported_ids(run("alias", artists=["Princess of Pop"])) == {1, 5, 6, 8, 10}
    assert exported_ids(run("two", artists=["gaga", "Taylor Swift"])) == {1, 2, 3, 4, 6, 7, 8, 10}
    assert exported_ids(run("salient", artists=["britney-spears"], min_salience=0.5)) == {
        1,
        5,
        8,
        10,
    }
    assert exported_ids(run("any-salient", min_salience=0.9)) == {1, 2, 3, 5}
    assert exported_ids(run("source", sources=["StarBeat Daily (fictional)"])) == {4, 5, 8, 9}
    assert exported_ids(run("dates", since="2024-03-01", until="2024-04")) == {1, 4, 5, 6}
    assert exported_ids(run("until-day", until="2024-03-14")) == {1, 2, 3, 4}
    assert exported_ids(run("search", search="duet")) == {1, 4, 8, 10}
    assert exported_ids(run("phrase", search='"duet confirmed"')) == {10}
    combined = run("combined", artists=["Lady Gaga"], sources=["popwire"], search="duet")
    assert exported_ids(combined) == {10}
    card = (combined.out_dir / "DATACARD.md").read_text()
    assert "- mentions artist `Lady Gaga` → `lady-gaga`" in card
    assert "- full-text match (FTS5) `duet`" in card
    assert "- from publisher `popwire` → `popwire`" in card
    # Repeated --artist values widen the selection, and the card says so.
    two = (combined.out_dir.parent / "two" / "DATACARD.md").read_text()
    assert "- mentions any of the artists `gaga` → `lady-gaga`; `Taylor Swift`" in two
    assert "--artist 'Lady Gaga' --source popwire --search duet" in card
    # mentions keep co-mentioned artists; artists and sources follow the rows
    mentions = read_jsonl(combined.out_dir / "mentions.jsonl")
    assert {m["artist_id"] for m in mentions} == {"britney-spears", "lady-gaga"}
    assert [r["id"] for r in read_jsonl(combined.out_dir / "sources.jsonl")] == ["popwire"]
    empty = run("empty", artists=["beyonce"], since="2024-06")
    assert empty.counts == {"articles": 0, "mentions": 0, "artists": 1, "sources": 0}
    # An empty release is still a valid package (CSV keeps its header row; frictionless
    # cannot read a zero-line JSON Lines file, so that format is checked above instead).
    empty_csv = export_archive(
        archive_db, tmp_path / "empty-csv", artists=["beyonce"], since="2024-06"
    )
    assert validate(empty_csv.datapackage).valid


def test_a_publisher_name_selects_every_publisher_of_that_name(archive_db, tmp_path):
    # The operator renamed a publisher's id in sources.yml (popwire -> popwire-news): the
    # archive keeps the old row with its articles, and the new row has the same name.
    # Before, --source with the name picked one of the two (the first row) and the
    # release silently lacked the other's articles.
    from archive_fixtures import Source, _article

    from newscrawl.store import Archive

    db = archive_copy(archive_db, tmp_path / "renamed.db")
    with Archive(db) as archive:
        archive.sync_sources(
            [Source("popwire-news", "PopWire (fictional)", "https://popwire.example", [])]
        )
        later = _article(
            11,
            "popwire-news",
            "Lady Gaga announces a new single",
            "Lady Gaga will release a new single on Friday.",
            "2024-07-05T10:00:00+00:00",
            {"lady-gaga": 0.9},
            canonical_url="https://popwire.example/news/011-new-single",
        )
        run = archive.start_run(spider="news", args={})
        archive.write_batch([later], [], run_id=run)
        archive.finish_run(run, finish_reason="finished", counts={"articles_new": 1})
        new_id = archive.db.execute(
            "select id from articles where source_id = 'popwire-news'"
        ).fetchone()[0]
    by_name = export_archive(db, tmp_path / "name", sources=["PopWire (fictional)"], fmt="jsonl")
    assert exported_ids(by_name) == {2, 3, 6, 7, 10, new_id}
    assert [r["id"] for r in read_jsonl(by_name.out_dir / "sources.jsonl")] == [
        "popwire",
        "popwire-news",
    ]
    card = (by_name.out_dir / "DATACARD.md").read_text()
    assert "- from publisher `PopWire (fictional)` → `popwire`, `popwire-news`" in card
    # An id is exact: it selects that publisher only.
    by_id = export_archive(db, tmp_path / "id", sources=["popwire-news"], fmt="jsonl")
    assert exported_ids(by_id) == {new_id}
    old_id = export_archive(db, tmp_path / "old-id", sources=["POPWIRE"], fmt="jsonl")
    assert exported_ids(old_id) == {2, 3, 6, 7, 10}


@pytest.mark.parametrize(
    ("filters", "message"),
    [
        ({"artists": ["x' OR 1=1 --"]}, 'unknown artist "x\' OR 1=1 --"'),
        ({"artists": ["Britney Spears", "Madonna"]}, "unknown artist 'Madonna'"),
        ({"sources": ["popwire' OR '1'='1"]}, "unknown publisher"),
        (
            {"search": "duet' OR 1=1 --"},
            '--search: "duet\' OR 1=1 --" is not a valid full-text query',
        ),
        ({"since": "2024-13-01"}, "--since: '2024-13-01' is not a date"),
        ({"until": "yesterday"}, "--until: 'yesterday' is not a date"),
        # FTS5 rejects these with messages that do not say "fts5" ("no such column: star").
        ({"search": "co-star"}, "--search: 'co-star' is not a valid full-text query"),
        ({"search": "Review: tour"}, "--search: 'Review: tour' is not a valid"),
        ({"search": "*"}, "--search: '*' is not a valid"),
        ({"search": "NEAR(a b, x)"}, "is not a valid full-text query"),
        ({"since": "2024-13-01"}, "--since: '2024-13-01' is not a date"),
        ({"until": "yesterday"}, "--until: 'yesterday' is not a date"),
        ({"since": "2024-05", "until": "2024-04"}, "is after --until"),
        ({"since": "2024-05-01", "until": "2024-04"}, "is after --until"),
        ({"since": "2025", "until": "2024-12-31"}, "is after --until"),
        ({"min_salience": 2}, "--min-salience"),
        ({"fmt": "xlsx"}, "--format"),
    ],
)
def test_bad_filters_are_one_line_errors_and_write_nothing(archive_db, tmp_path, filters, message):
    out = tmp_path / "new" / "deep" / "release"  # no folder of it may be left behind
    with pytest.raises(NewscrawlError) as error:
        export_archive(archive_db, out, **filters)
    assert message in str(error.value) and "\n" not in str(error.value)
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize(
    ("since", "until", "same_as"),
    [
        # Both ends inclusive at any precision: the end of a shorter --until is its last day.
        ("2024-03-01", "2024-03", ("2024-03", "2024-03")),
        ("2024-01-01", "2024", ("2024", "2024")),
        ("2024-03", "2024", ("2024-03", "2024-12-31")),
        ("2024-03-15", "2024-03-15", ("2024-03-15", "2024-03-15")),
    ],
)
def test_dates_of_different_precision_make_a_range(archive_db, tmp_path, since, until, same_as):
    mixed = export_archive(archive_db, tmp_path / "mixed", since=since, until=until, fmt="jsonl")
    plain = export_archive(
        archive_db, tmp_path / "plain", since=same_as[0], until=same_as[1], fmt="jsonl"
    )
    assert exported_ids(mixed) == exported_ids(plain)


def test_artist_and_publisher_names_are_unicode_normalised(archive_db, tmp_path):
    # "Beyoncé" typed with a combining accent (as macOS may) is the same name.
    composed = export_archive(archive_db, tmp_path / "nfc", artists=["Beyoncé"], fmt="jsonl")
    decomposed = export_archive(
        archive_db, tmp_path / "nfd", artists=["Beyonce\u0301"], fmt="jsonl"
    )
    assert exported_ids(composed) == exported_ids(decomposed) != set()


def test_sql_injection_in_values_selects_nothing(archive_db, tmp_path):
    # Values are bound parameters: a quote-laden value is just an odd (valid) query.
    result = export_archive(archive_db, tmp_path / "inj", search='"x OR 1=1 --"', fmt="jsonl")
    assert result.counts["articles"] == 0
    result = export_archive(archive_db, tmp_path / "inj2", since="2099", fmt="jsonl")
    assert result.counts["articles"] == 0


# -- rights-aware release ------------------------------------------------------------------


@pytest.mark.parametrize("fmt", ["csv", "jsonl", "parquet"])
def test_no_body_release_has_no_body_text(archive_db, tmp_path, fmt):
    result = export_archive(archive_db, tmp_path / fmt, fmt=fmt, include_body=False)
    articles = result.out_dir / f"articles.{fmt}"
    if fmt == "parquet":
        names = pq.read_schema(articles).names
        values = json.dumps(
            pq.read_table(result.out_dir / "articles.parquet").to_pylist(), ensure_ascii=False
        )
    else:
        text = articles.read_text(encoding="utf-8")
        names = (
            text.splitlines()[0].split(",")
            if fmt == "csv"
            else list(json.loads(text.splitlines()[0]))
        )
        values = text
    assert "body" not in names and "description" not in names
    assert "url" in names and "title" in names
    assert BODY_ONLY_SENTENCE not in values
    for path in result.out_dir.iterdir():
        if path.suffix != ".parquet":
            assert BODY_ONLY_SENTENCE not in path.read_text(encoding="utf-8"), path.name
    descriptor = json.loads(result.datapackage.read_text())
    fields = [f["name"] for f in descriptor["resources"][0]["schema"]["fields"]]
    assert "body" not in fields and descriptor["newscrawl"]["include_body"] is False
    assert "`--no-body`" in result.datacard.read_text()
    if fmt == "csv":
        assert validate(result.datapackage).valid
    mentions = (result.out_dir / f"mentions.{fmt}").read_bytes()
    assert mentions  # snippets stay: they explain the tags


# -- output folder ---------------------------------------------------------------------


def test_output_folder_rules(archive_db, tmp_path):
    a_file = tmp_path / "file.txt"
    a_file.write_text("x")
    with pytest.raises(NewscrawlError, match="exists and is not a folder"):
        export_archive(archive_db, a_file)
    busy = tmp_path / "busy"
    busy.mkdir()
    (busy / "notes.txt").write_text("keep me")
    with pytest.raises(NewscrawlError, match="not empty"):
        export_archive(archive_db, busy)
    export_archive(archive_db, busy, force=True, fmt="csv")
    assert (busy / "articles.csv").exists()
    # a forced re-export in another format leaves no stale files behind
    export_archive(archive_db, busy, force=True, fmt="jsonl")
    assert not (busy / "articles.csv").exists() and (busy / "articles.jsonl").exists()
    assert (busy / "notes.txt").read_text() == "keep me"
    nested = export_archive(archive_db, tmp_path / "new" / "deep", fmt="csv")
    assert (nested.out_dir / "datapackage.json").exists()
    assert sorted(p.name for p in nested.out_dir.iterdir()) == sorted(
        ["DATACARD.md", "datapackage.json", *(f"{t.name}.csv" for t in TABLES)]
    )
    with pytest.raises(NewscrawlError, match="no such archive"):
        export_archive(tmp_path / "missing.db", tmp_path / "x")


def test_the_release_is_staged_inside_the_output_folder(archive_db, tmp_path):
    # Staged beside its files, so that moving it into place never crosses filesystems
    # (an output folder that is a mount point: a bind mount, a USB stick's root).
    out = tmp_path / "mnt"
    out.mkdir()
    seen = []

    def progress(message):
        if message.startswith("Writing"):
            seen.append(sorted(p.name for p in out.iterdir()))

    export_archive(archive_db, out, fmt="csv", progress=progress)
    assert seen and all(
        len(names) == 1 and names[0].startswith(".newscrawl-export.") for names in seen
    )
    assert not [p for p in out.iterdir() if p.name.endswith(".partial")]


def test_a_failed_forced_export_leaves_the_previous_release_whole(archive_db, tmp_path):
    out = tmp_path / "release"
    export_archive(archive_db, out, fmt="csv")
    before = {p.name: p.read_bytes() for p in out.iterdir()}

    def fail_midway(message):
        if message.startswith("Writing mentions"):
            raise OSError(28, "No space left on device")

    with pytest.raises(NewscrawlError, match="cannot write the release: No space left"):
        export_archive(archive_db, out, fmt="parquet", force=True, progress=fail_midway)
    assert {p.name: p.read_bytes() for p in out.iterdir()} == before


def test_a_failed_move_leaves_the_previous_release_whole(archive_db, tmp_path, monkeypatch):
    # The old release's files are removed only once the new ones are in place: a move
    # that fails (EXDEV, as across filesystems before staging moved inside the folder)
    # must not leave the folder with neither release.
    import os

    out = tmp_path / "release"
    export_archive(archive_db, out, fmt="csv")
    before = {p.name: p.read_bytes() for p in out.iterdir()}

    def cross_device(src, dst):
        raise OSError(18, "Invalid cross-device link")

    monkeypatch.setattr(os, "replace", cross_device)
    with pytest.raises(NewscrawlError, match="cannot write the release: Invalid cross-device"):
        export_archive(archive_db, out, fmt="parquet", force=True)
    monkeypatch.undo()
    assert {p.name: p.read_bytes() for p in out.iterdir()} == before


def test_datacard_of_an_unfinished_run_and_of_an_empty_selection(archive_db, tmp_path):
    import sqlite3

    db = tmp_path / "crashed.db"
    source = sqlite3.connect(archive_db)
    source.execute("vacuum into ?", [str(db)])
    source.close()
    conn = sqlite3.connect(db)
    with conn:  # the last run never finished (a crash, or still running)
        conn.execute(
            "update crawl_runs set finished_at = null, finish_reason = null"
            " where id = (select max(id) from crawl_runs)"
        )
    conn.close()
    card = export_archive(db, tmp_path / "all").datacard.read_text()
    window = next(line for line in card.splitlines() if line.startswith("- Crawl window"))
    assert "1 never finished" in window and "None" not in window
    empty = export_archive(db, tmp_path / "empty", search="zzzqqq").datacard.read_text()
    assert "None" not in empty
    assert "- No articles were selected." in empty
    assert "no crawl run wrote the selected articles" in empty


def archive_copy(archive_db: Path, path: Path) -> Path:
    import sqlite3

    source = sqlite3.connect(archive_db)
    source.execute("vacuum into ?", [str(path)])
    source.close()
    return path


def test_an_archive_made_before_mention_spans_is_exported(archive_db, tmp_path):
    # An archive an older newscrawl made before m012 added mentions.spans, and that
    # nothing has opened for writing since (a published copy, a colleague's file): the
    # export opens it read-only, so it is not migrated. Before: a traceback ending in
    # "sqlite3.OperationalError: no such column: mentions.spans".
    import sqlite3

    old = archive_copy(archive_db, tmp_path / "old.db")
    conn = sqlite3.connect(old)
    with conn:
        conn.execute("alter table mentions drop column spans")
        conn.execute("delete from _sqlite_migrations where name = 'm012_mention_spans'")
    conn.close()
    for fmt in ("csv", "jsonl", "parquet"):
        result = export_archive(old, tmp_path / fmt, fmt=fmt)
        assert result.counts == {"articles": 10, "mentions": 16, "artists": 4, "sources": 3}
    mentions = read_jsonl(tmp_path / "jsonl" / "mentions.jsonl")
    assert len(mentions) == 16 and all(m["spans"] is None for m in mentions)
    assert read_parquet(tmp_path / "parquet" / "mentions.parquet") == mentions
    assert validate(tmp_path / "csv" / "datapackage.json").valid
    card = (tmp_path / "csv" / "DATACARD.md").read_text()
    assert "`spans` is empty" in card


def big_archive(archive_db: Path, db: Path) -> Path:
    """Big enough that writing articles takes a while: the fixture's articles, copied."""
    import sqlite3

    archive_copy(archive_db, db)
    conn = sqlite3.connect(db)
    columns = [r[1] for r in conn.execute("pragma table_info(articles)") if r[1] != "id"]
    listed = ", ".join(columns)
    copied = listed.replace("canonical_url", "canonical_url || '?copy=' || k.value")
    with conn:
        conn.execute(
            f"insert into articles ({listed}) select {copied} from articles,"
            " (with recursive n(value) as (select 1 union all select value + 1 from n"
            " where value < 3000) select value from n) k"
        )
    conn.close()
    return db


def test_sigterm_removes_the_unfinished_release(archive_db, tmp_path):
    import signal

    db = big_archive(archive_db, tmp_path / "big.db")
    out = tmp_path / "release"
    with subprocess.Popen(
        [sys.executable, "-m", "newscrawl", "export", "--db", str(db), "-o", str(out)],
        stderr=subprocess.PIPE,
        text=True,
    ) as process:
        for line in process.stderr:
            if line.startswith("Writing articles"):
                process.send_signal(signal.SIGTERM)
                break
        rest = process.stderr.read()
        assert process.wait(timeout=60) == 1
    assert "stopped by SIGTERM" in rest and "Traceback" not in rest
    assert not out.exists()  # created by the export, removed with its staging folder


def test_a_killed_export_does_not_block_the_folder_for_good(archive_db, tmp_path):
    # SIGKILL (the OOM killer, a power cut) runs no handler: the export's hidden staging
    # folder stays in the output folder. Before, every later export there failed with
    # "folder is not empty" (ls shows nothing) and --force left the folder, with its
    # partial data, in place for good.
    import signal

    db = big_archive(archive_db, tmp_path / "big.db")
    out = tmp_path / "release"
    with subprocess.Popen(
        [sys.executable, "-m", "newscrawl", "export", "--db", str(db), "-o", str(out)],
        stderr=subprocess.PIPE,
        text=True,
    ) as process:
        try:
            for line in process.stderr:
                if line.startswith("Writing articles"):
                    process.send_signal(signal.SIGSTOP)
                    break
            staged = [p.name for p in out.iterdir()]
            assert len(staged) == 1 and staged[0].startswith(".newscrawl-export.")
            # While it runs (here: paused) another export into the folder is refused,
            # --force or not, and leaves its staging folder alone.
            for force in (False, True):
                with pytest.raises(NewscrawlError, match="another newscrawl export is writing"):
                    export_archive(archive_db, out, force=force)
            assert [p.name for p in out.iterdir()] == staged
        finally:
            process.kill()
            process.wait(timeout=60)
    assert [p.name for p in out.iterdir()] == staged  # what the killed export left
    result = export_archive(archive_db, out, fmt="csv")
    assert sorted(p.name for p in out.iterdir()) == sorted(
        ["DATACARD.md", "datapackage.json", *(f"{t.name}.csv" for t in TABLES)]
    )
    assert validate(result.datapackage).valid


# -- the command ---------------------------------------------------------------------------


def test_export_command(archive_db, tmp_path):
    runner = CliRunner()
    out = tmp_path / "cli"
    result = runner.invoke(
        main,
        [
            "export",
            "--db",
            str(archive_db),
            "--artist",
            "Lady Gaga",
            "--since",
            "2024-03-01",
            "--format",
            "parquet",
            "-o",
            str(out),
        ],
    )
    assert result.exit_code == 0, result.output
    assert "Selected 4 articles" in result.output and "Writing articles.parquet" in result.output
    assert pq.read_table(out / "articles.parquet").num_rows == 4
    again = runner.invoke(main, ["export", "--db", str(archive_db), "-o", str(out)])
    assert again.exit_code == 1
    assert again.output.strip().count("\n") == 0 and "not empty" in again.output
    injected = runner.invoke(
        main,
        ["export", "--db", str(archive_db), "--artist", "x' OR 1=1 --", "-o", str(tmp_path / "i")],
    )
    assert (
        injected.exit_code == 1
        and "unknown artist" in injected.output
        and "Traceback" not in injected.output
    )
    salience = runner.invoke(
        main, ["export", "--db", str(archive_db), "--min-salience", "2", "-o", str(tmp_path / "s")]
    )
    assert (
        salience.exit_code == 1 and "--min-salience: 2.0 is not between 0 and 1" in salience.output
    )
    helped = runner.invoke(main, ["export", "--help"])
    assert "Example" in helped.output and "--no-body" in helped.output


def test_export_doc_covers_every_option_and_field():
    text = (Path(__file__).resolve().parents[1] / "docs" / "export.md").read_text(encoding="utf-8")
    for param in main.commands["export"].params:
        for option in param.opts:
            if option.startswith("--"):
                assert option in text, f"docs/export.md does not describe {option}"
    for table in TABLES:
        for field in table.fields:
            assert f"`{field.name}`" in text, (
                f"docs/export.md does not name {table.name}.{field.name}"
            )


@pytest.mark.parametrize("fmt", ["csv", "jsonl", "parquet"])
def test_a_full_disk_is_one_line_and_leaves_nothing(archive_db, tmp_path, fmt):
    # The disk fills while the release is written (a file size limit: the kernel refuses
    # to grow a file past it, EFBIG, as a full disk does with ENOSPC). Before the fix:
    # three chained tracebacks ending in "OSError: [Errno 27] File too large".
    import resource
    import signal

    def small_disk() -> None:
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
        resource.setrlimit(resource.RLIMIT_FSIZE, (4096, 4096))

    import sqlite3

    out = tmp_path / "release"
    # A reader keeps the archive's -shm file (32 KiB, bigger than this "disk") in place:
    # the export can read, and fails when it writes.
    reader = sqlite3.connect(archive_db)
    reader.execute("select count(*) from articles").fetchone()
    try:
        proc = subprocess.run(
            [sys.executable, "-m", "newscrawl", "export", "--db", str(archive_db)]
            + ["-o", str(out), "--format", fmt],
            capture_output=True,
            text=True,
            timeout=120,
            preexec_fn=small_disk,
        )
    finally:
        reader.close()
    assert proc.returncode == 1, proc.stderr
    assert "Traceback" not in proc.stderr, proc.stderr
    last = proc.stderr.strip().splitlines()[-1]
    assert last.startswith(f"Error: {out}: cannot write the release: "), last
    assert "File too large" in last and "nothing was written" in last
    assert [line for line in proc.stderr.splitlines() if line.startswith("Error:")] == [last]
    assert not out.exists()
