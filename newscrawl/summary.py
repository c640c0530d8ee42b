"""Human summaries of an archive: what a crawl archived and dropped, and the funnel."""

from __future__ import annotations

from pathlib import Path

import click
from sqlite_utils import Database

from newscrawl.store import open_readonly


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
            if run:
                click.echo(
                    f"Run {run_id} ({run['finish_reason']}): {run['requested']} pages requested, "
                    f"{run['pages_skipped']} skipped as already archived, {run['articles_new']} new, "
                    f"{run['articles_updated']} updated, {run['articles_unchanged']} unchanged, "
                    f"{run['dropped']} dropped"
                )
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


def funnel(db_path: str | Path, *, runs: int = 10) -> list[dict]:
    """The last ``runs`` crawl runs with their per-source funnel and drops by reason."""
    db = Database(open_readonly(db_path))
    try:
        result = []
        for run in db.query("select * from crawl_runs order by id desc limit ?", [runs]):
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
            run = {k: v for k, v in run.items() if k not in ("stats", "settings")}
            result.append({**run, "sources": sources, "drops": drops})
        return result
    finally:
        db.close()


def print_funnel(db_path: str | Path, *, runs: int = 10) -> None:
    """Print :func:`funnel` as tables, newest run first."""
    for run in funnel(db_path, runs=runs):
        click.echo(
            f"\nRun {run['id']} ({run['spider']}, {run['started_at']} → {run['finished_at'] or 'unfinished'},"
            f" {run['finish_reason'] or 'no finish reason: crashed or still running'})"
        )
        click.echo(
            f"  new {run['articles_new'] or 0}, updated {run['articles_updated'] or 0},"
            f" unchanged {run['articles_unchanged'] or 0}, skipped {run['pages_skipped'] or 0}"
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
