"""Human summaries of an archive: what a crawl archived and dropped, and the funnel."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import click
from sqlite_utils import Database

from newscrawl.store import open_readonly


def throttling(stats: dict[str, Any]) -> dict[str, dict[str, float]]:
    """Per download slot, from a crawl's stats (``crawl_runs.stats``): how many 429 / 503
    answers it had and how many seconds its slot was held for them."""
    found: dict[str, dict[str, float]] = {}
    for name, value in stats.items():
        for prefix, field in (
            ("newscrawl/throttled/", "answers"),
            ("newscrawl/throttle_wait/", "held_seconds"),
        ):
            if name.startswith(prefix) and isinstance(value, int | float):
                entry = found.setdefault(name[len(prefix) :], {"answers": 0, "held_seconds": 0})
                entry[field] = value
    return dict(sorted(found.items()))


def describe_throttling(throttled: dict[str, dict[str, float]]) -> str:
    """``busy: 2 answers, held 3 s; ...`` for :func:`throttling`'s result."""
    return "; ".join(
        f"{slot}: {entry['answers']:g} answer{'' if entry['answers'] == 1 else 's'},"
        f" held {entry['held_seconds']:g} s"
        for slot, entry in throttled.items()
    )


def _table(title: str, rows: list[tuple], headers: tuple[str, ...]) -> None:
    click.echo(f"\n{title}")
    if not rows:
        click.echo("  (none)")
        return
    widths = [max(len(str(h)), *(len(str(r[i])) for r in rows)) for i, h in enumerate(headers)]
    click.echo("  " + "  ".join(str(h).ljust(w) for h, w in zip(headers, widths, strict=True)))
    for row in rows:
        click.echo("  " + "  ".join(str(v).ljust(w) for v, w in zip(row, widths, strict=True)))


def print_summary(db_path: str | Path, *, run_id: int | None = None) -> None:
    """Print articles per publisher and per artist, drops by reason, and the run's counts."""
    db = Database(open_readonly(db_path))
    try:
        total = db.execute("select count(*) from articles").fetchone()[0]
        click.echo(f"\nArchive {db_path}: {total} articles")
        if run_id is not None:
            run = next(db.query("select * from crawl_runs where id = ?", [run_id]), None)
            if run and run["finished_at"] is None:
                click.echo(
                    f"Run {run_id} (unfinished): no funnel counters, a run writes them"
                    " when it finishes"
                )
                click.echo(f"  So far: {_so_far_line(in_archive(db, [run])[run_id])}")
            elif run:
                click.echo(
                    f"Run {run_id} ({run['finish_reason']}): {run['requested']} pages requested, "
                    f"{run['pages_skipped']} skipped as already archived, {run['articles_new']} new, "
                    f"{run['articles_updated']} updated, {run['articles_unchanged']} unchanged, "
                    + (
                        f"{run['articles_reextracted']} re-extracted in place, "
                        if run.get("articles_reextracted")
                        else ""
                    )
                    + f"{run['dropped']} dropped"
                )
            if run:
                _print_throttling(run)
        _table(
            "Articles per publisher",
            [
                tuple(r.values())
                for r in db.query(
                    "select s.name as publisher, count(a.id) as articles from sources s"
                    " left join articles a on a.source_id = s.id group by s.id order by articles desc, s.name"
                )
            ],
            ("publisher", "articles"),
        )
        _table(
            "Articles per artist",
            [
                tuple(r.values())
                for r in db.query(
                    "select ar.name, count(*) as articles, round(avg(m.salience), 2) as mean_salience"
                    " from mentions m join artists ar on ar.id = m.artist_id"
                    " group by ar.id order by articles desc, ar.name"
                )
            ],
            ("artist", "articles", "mean salience"),
        )
        where = "where run_id = ?" if run_id is not None else ""
        _table(
            "Dropped pages by reason" + (f" (run {run_id})" if run_id is not None else ""),
            [
                tuple(r.values())
                for r in db.query(
                    f"select stage, reason, count(*) as pages from drops {where}"
                    " group by stage, reason order by pages desc, reason",
                    [run_id] if run_id is not None else [],
                )
            ],
            ("stage", "reason", "pages"),
        )
    finally:
        db.close()


# A run's funnel counters (crawl_runs.discovered ... dropped, and its run_sources rows)
# are written once, by Archive.finish_run. Until then, or for good when the crawl was
# killed, they are empty; what the archive holds from the run is read instead.
IN_ARCHIVE_NOTE = (
    "The run has not finished, so its funnel counters are not written. These are what the"
    " archive holds from it: articles whose run_id is this run (last written by it), new"
    " when first archived after the run started (first_seen_at >= started_at), updated when"
    " archived before and changed by this run (changed_at >= started_at), unchanged when"
    " refetched with the same content; and drops rows last seen in this run."
)
REPLAY_NOTE = (
    " A reextract run keeps the fetch times of the WARC records it replays, so new, updated"
    " and unchanged cannot be told apart for it."
)


def in_archive(db: Database, runs: list[dict]) -> dict[int, dict]:
    """What the archive holds from each of ``runs`` (crawl_runs rows), by run id: its
    articles, split into new / updated / unchanged by their timestamps against the run's
    start, and its drops by stage and reason; totals and per source. One pass over the
    articles for all of them (articles has no run_id index)."""
    if not runs:
        return {}
    found: dict[int, dict] = {}
    for run in runs:
        split = run["spider"] != "reextract" and bool(run["started_at"])
        found[run["id"]] = {
            "note": IN_ARCHIVE_NOTE + ("" if split else REPLAY_NOTE),
            "articles": 0,
            "new": 0 if split else None,
            "updated": 0 if split else None,
            "unchanged": 0 if split else None,
            "dropped": 0,
            "drops_by_reason": [],
            "sources": {},
        }

    def source(run_id: int, source_id: str | None) -> dict:
        entry = found[run_id]
        return entry["sources"].setdefault(
            source_id,
            {
                "source_id": source_id,
                "articles": 0,
                **{k: None if entry["new"] is None else 0 for k in ("new", "updated", "unchanged")},
                "dropped": 0,
            },
        )

    ids = [run["id"] for run in runs]
    marks = ", ".join("?" for _ in ids)
    for row in db.query(
        "select a.run_id, a.source_id, count(*) as articles,"
        " sum(a.first_seen_at >= r.started_at) as new,"
        " sum(a.first_seen_at < r.started_at and a.changed_at >= r.started_at) as updated"
        f" from articles a join crawl_runs r on r.id = a.run_id where a.run_id in ({marks})"
        " group by a.run_id, a.source_id",
        ids,
    ):
        entry = source(row["run_id"], row["source_id"])
        entry["articles"] = row["articles"]
        if entry["new"] is not None:
            entry["new"] = row["new"] or 0
            entry["updated"] = row["updated"] or 0
            entry["unchanged"] = row["articles"] - entry["new"] - entry["updated"]
    for row in db.query(
        "select run_id, source_id, count(*) as pages from drops"
        f" where run_id in ({marks}) group by run_id, source_id",
        ids,
    ):
        source(row["run_id"], row["source_id"])["dropped"] = row["pages"]
    for row in db.query(
        "select run_id, stage, reason, count(*) as pages from drops"
        f" where run_id in ({marks}) group by run_id, stage, reason"
        " order by run_id, pages desc, stage, reason",
        ids,
    ):
        found[row.pop("run_id")]["drops_by_reason"].append(row)
    for entry in found.values():
        entry["sources"] = sorted(
            entry["sources"].values(), key=lambda e: (e["source_id"] is None, e["source_id"] or "")
        )
        for key in ("articles", "new", "updated", "unchanged", "dropped"):
            if entry[key] is not None:
                entry[key] = sum(e[key] for e in entry["sources"])
    return found


def _so_far_line(found: dict) -> str:
    split = (
        f" ({found['new']} new, {found['updated']} updated, {found['unchanged']} unchanged)"
        if found["new"] is not None
        else " (new and updated cannot be told apart in a reextract run)"
    )
    return (
        f"{found['articles']} articles last written by this run{split},"
        f" {found['dropped']} drops last seen in it"
    )


def funnel(db_path: str | Path, *, runs: int = 10) -> list[dict]:
    """The last ``runs`` crawl runs with their per-source funnel and drops by reason.

    ``counters_written`` says whether the run finished and wrote its funnel counters;
    for a run that did not, ``in_archive`` holds what the archive shows of it instead
    (:func:`in_archive`); it is None for a finished run."""
    db = Database(open_readonly(db_path))
    try:
        result = []
        rows = list(db.query("select * from crawl_runs order by id desc limit ?", [runs]))
        unfinished = in_archive(db, [run for run in rows if run["finished_at"] is None])
        for run in rows:
            sources = list(
                db.query(
                    "select source_id, discovered, requested, fetched, skipped, archived, dropped"
                    " from run_sources where run_id = ? order by source_id",
                    [run["id"]],
                )
            )
            drops = list(
                db.query(
                    "select source_id, stage, reason, count(*) as pages from drops where run_id = ?"
                    " group by source_id, stage, reason order by source_id, pages desc",
                    [run["id"]],
                )
            )
            found = unfinished.get(run["id"])
            throttled = _run_throttling(run)
            run = {k: v for k, v in run.items() if k not in ("stats", "settings")}
            # JSON text in the table, an object in the JSON (not a string to parse again).
            run["args"] = json.loads(run["args"]) if run.get("args") else {}
            result.append(
                {
                    **run,
                    "sources": sources,
                    "drops": drops,
                    "counters_written": found is None,
                    "in_archive": found,
                    "throttled": throttled,
                }
            )
        return result
    finally:
        db.close()


def _run_throttling(run: dict) -> dict[str, dict[str, float]]:
    try:
        stats = json.loads(run.get("stats") or "{}")
    except ValueError:
        return {}
    return throttling(stats) if isinstance(stats, dict) else {}


def _print_throttling(run: dict, indent: str = "") -> None:
    throttled = _run_throttling(run)
    if throttled:
        click.echo(
            f"{indent}Publishers asked this run to slow down (429/503):"
            f" {describe_throttling(throttled)}"
        )


def print_funnel(db_path: str | Path, *, runs: int = 10) -> None:
    """Print :func:`funnel` as tables, newest run first."""
    result = funnel(db_path, runs=runs)
    if not result:
        click.echo(f"{db_path}: no crawl runs recorded in this archive.")
        return
    for run in result:
        click.echo(
            f"\nRun {run['id']} ({run['spider']}, {run['started_at']} → {run['finished_at'] or 'unfinished'},"
            f" {run['finish_reason'] or 'no finish reason: crashed or still running'})"
        )
        if run["throttled"]:
            click.echo(
                "  Publishers asked this run to slow down (429/503):"
                f" {describe_throttling(run['throttled'])}"
            )
        found = run["in_archive"]
        if found is not None:
            click.echo("  No funnel counters yet: a run writes them when it finishes.")
            click.echo(f"  In the archive so far: {_so_far_line(found)}.")
            if found["new"] is not None:
                click.echo(
                    "  (new: first archived after the run started; updated: archived before,"
                    " changed by this run; unchanged: refetched with the same content)"
                )
            _table(
                "  In the archive so far per source (no funnel counters yet)",
                [tuple("-" if v is None else v for v in s.values()) for s in found["sources"]],
                ("source", "articles", "new", "updated", "unchanged", "dropped"),
            )
        else:
            click.echo(
                f"  new {run['articles_new'] or 0}, updated {run['articles_updated'] or 0},"
                f" unchanged {run['articles_unchanged'] or 0},"
                + (
                    f" re-extracted {run['articles_reextracted']},"
                    if run.get("articles_reextracted")
                    else ""
                )
                + f" skipped {run['pages_skipped'] or 0}"
            )
            _table(
                "  Funnel per source",
                [tuple(s.values()) for s in run["sources"]],
                ("source", "discovered", "requested", "fetched", "skipped", "archived", "dropped"),
            )
        _table(
            "  Drops (last seen in this run) by reason",
            [tuple(d.values()) for d in run["drops"]],
            ("source", "stage", "reason", "pages"),
        )
