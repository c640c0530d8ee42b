"""``newscrawl extract``: run the article extractor over saved HTML files."""

from __future__ import annotations

import json
import multiprocessing
import os
import sys
from collections.abc import Iterator
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import Any

import click

from newscrawl.errors import NewscrawlError

PROGRESS_EVERY = 100


def _job(job: dict[str, Any]) -> dict[str, Any]:
    """Extract one input; runs in a worker process when ``--jobs`` > 1."""
    from newscrawl.extract import ExtractError, extract_article

    row: dict[str, Any] = {"path": job["path"]}
    try:
        html = Path(job["file"]).read_bytes()
        fields = extract_article(
            html,
            job["url"],
            headers=job.get("headers"),
            evidence=job.get("evidence"),
            fetched_at=job.get("fetched_at"),
        )
    except ExtractError as error:
        detail = error.detail or error.reason
        return {**row, "url": job["url"], "error": detail, "reason": error.reason}
    except OSError as error:
        return {**row, "url": job["url"], "error": str(error), "reason": "unreadable"}
    row.update(fields)
    # The article fields of the crawl include source_id; a saved file belongs to no
    # publisher of sources.yml, so it is null (after canonical_url, in the crawl's order).
    return {**{key: row[key] for key in ("path", "url", "canonical_url")}, "source_id": None, **row}


def _from_files(files: tuple[str, ...], url: str | None) -> list[dict[str, Any]]:
    jobs = []
    for name in files:
        path = Path(name)
        if not path.is_file():
            raise NewscrawlError(f"{name}: no such file")
        jobs.append({"path": name, "file": str(path), "url": url or path.resolve().as_uri()})
    return jobs


def _from_manifest(manifest: str) -> list[dict[str, Any]]:
    path = Path(manifest)
    if not path.is_file():
        raise NewscrawlError(f"{manifest}: no such file")
    jobs = []
    with path.open(encoding="utf-8") as handle:
        for number, line in enumerate(handle, start=1):
            if not line.strip():
                continue
            where = f"{manifest}:{number}"
            try:
                row = json.loads(line)
            except json.JSONDecodeError as error:
                raise NewscrawlError(f"{where}: not JSON ({error.msg})") from None
            if not isinstance(row, dict) or not isinstance(row.get("path"), str):
                raise NewscrawlError(f'{where}: expected an object with a "path" string')
            file = Path(row["path"])
            if not file.is_absolute():
                file = path.parent / file
            if not file.is_file():
                raise NewscrawlError(f"{where}: {row['path']}: no such file")
            url = row.get("url") or file.resolve().as_uri()
            for key in ("headers", "evidence"):
                if row.get(key) is not None and not isinstance(row[key], dict):
                    raise NewscrawlError(f'{where}: "{key}" must be an object')
            fetched_at = row.get("fetched_at")
            if fetched_at is not None and not _is_time(fetched_at):
                raise NewscrawlError(f'{where}: "fetched_at" must be an ISO 8601 date-time')
            jobs.append(
                {
                    "path": row["path"],
                    "file": str(file),
                    "url": str(url),
                    "headers": row.get("headers"),
                    "evidence": row.get("evidence"),
                    "fetched_at": fetched_at,
                }
            )
    return jobs


def _is_time(value: Any) -> bool:
    from datetime import datetime

    try:
        datetime.fromisoformat(value)
    except (TypeError, ValueError):
        return False
    return True


def _results(jobs: list[dict[str, Any]], workers: int) -> Iterator[dict[str, Any]]:
    if workers <= 1 or len(jobs) < 2:
        yield from map(_job, jobs)
        return
    # spawn: workers start clean instead of forking a process that may hold threads.
    context = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(max_workers=workers, mp_context=context) as pool:
        yield from pool.map(_job, jobs, chunksize=max(1, min(16, len(jobs) // (workers * 4))))


@click.command("extract")
@click.argument("files", nargs=-1, type=click.Path(dir_okay=False))
@click.option(
    "--url",
    help="The page's address, for resolving links and reading dates in the path "
    "(default: file:// and the file's absolute path).",
)
@click.option(
    "--manifest",
    type=click.Path(dir_okay=False),
    help='JSON Lines of {"path": ..., "url": ...} rows (optional "headers" and "evidence" '
    'objects, and "fetched_at", the ISO 8601 time the page was fetched, which relative '
    'dates such as "3 hours ago" count from); relative paths are read from the '
    "manifest's folder.",
)
@click.option(
    "--jobs",
    "-j",
    type=click.IntRange(min=0),
    default=1,
    show_default=True,
    help="Worker processes; 0 uses every core.",
)
def extract(files: tuple[str, ...], url: str | None, manifest: str | None, jobs: int) -> None:
    """Extract article fields from saved HTML pages, one JSON object per page.

    Each output line has the input "path" and the article fields (title, authors,
    published_at, body, provenance, ...); a page that is not an article has "error" and
    "reason" (not_html, empty, too_large, bad_url) instead.

    \b
    Example:
        newscrawl extract --url https://example.com/news/1 page.html
        newscrawl extract --manifest pages.jsonl --jobs 0 > articles.jsonl
    """
    if bool(files) == bool(manifest):
        raise click.UsageError("give either FILE... or --manifest")
    if manifest and url:
        raise click.UsageError("--url applies to FILE arguments; manifest rows carry their url")
    work = _from_manifest(manifest) if manifest else _from_files(files, url)
    workers = (os.cpu_count() or 1) if jobs == 0 else jobs
    failed = 0
    for count, row in enumerate(_results(work, workers), start=1):
        failed += "error" in row
        click.echo(json.dumps(row, ensure_ascii=False))
        if count % PROGRESS_EVERY == 0:
            click.echo(f"extract: {count}/{len(work)} pages…", err=True)
    if len(work) >= PROGRESS_EVERY or sys.stderr.isatty():
        click.echo(f"extract: {len(work)} pages, {failed} not articles", err=True)
