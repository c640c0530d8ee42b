"""Human summaries of an archive: what a crawl archived and dropped, and the funnel."""

from __future__ import annotations

from pathlib import Path

import click
from sqlite_utils import Database


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
    db = Database(db_path)
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
