"""``newscrawl tag``: tag JSON Lines articles with the watched artists they mention."""

from __future__ import annotations

import json
import sys
import time
from dataclasses import asdict
from typing import BinaryIO

import click

from newscrawl.artists import load_watchlist
from newscrawl.errors import NewscrawlError

PROGRESS_EVERY = 10_000


@click.command("tag")
@click.option(
    "--artists",
    "artists_path",
    type=click.Path(dir_okay=False),
    default=None,
    help="Watchlist YAML (default: the packaged newscrawl/data/artists.yml).",
)
@click.option(
    "--jsonl",
    "jsonl",
    type=click.File("rb"),
    required=True,
    help='Input JSON Lines, one {"id", "title", "body"} object per line '
    '(optional "description"); "-" reads stdin.',
)
def tag(artists_path: str | None, jsonl: BinaryIO) -> None:
    """Tag articles with the watched artists they mention.

    Writes one JSON object per input row to stdout: {"id", "mentions": [...]}, each
    mention with artist, artist_id, count, in_title, first_offset (into the body),
    snippets, salience (0..1) and spans (field to [start, end] offsets of each counted
    mention), most salient first. Matching rules: docs/artists.md.

    \b
    Example:
        echo '{"id": 1, "title": "Britney Spears and Lady Gaga", "body": "Gaga’s show."}' \\
          | newscrawl tag --jsonl -
        newscrawl tag --artists my-artists.yml --jsonl articles.jsonl > mentions.jsonl
    """
    try:
        matcher = load_watchlist(artists_path).matcher()
    except NewscrawlError as error:
        raise click.ClickException(str(error)) from None
    name = getattr(jsonl, "name", "-")
    name = "<stdin>" if name in ("<stdin>", "-") or not isinstance(name, str) else name
    started = time.monotonic()
    rows = tagged = 0
    for number, raw in enumerate(jsonl, start=1):
        if not raw.strip():
            continue
        row_id, title, description, body = _parse(raw, name, number)
        mentions = matcher.tag(title, description, body)
        click.echo(
            json.dumps(
                {"id": row_id, "mentions": [asdict(m) for m in mentions]}, ensure_ascii=False
            )
        )
        rows += 1
        tagged += bool(mentions)
        if rows % PROGRESS_EVERY == 0:
            click.echo(f"tag: {rows} articles…", err=True)
    elapsed = time.monotonic() - started
    if rows >= PROGRESS_EVERY or sys.stderr.isatty():
        click.echo(f"tag: {rows} articles, {tagged} with mentions, {elapsed:.1f}s", err=True)


def _parse(raw: bytes, name: str, number: int) -> tuple:
    """``(id, title, description, body)`` from one input line, or a one-line error."""

    def fail(message: str) -> click.ClickException:
        return click.ClickException(f"{name}:{number}: {message}")

    try:
        row = json.loads(raw)
    except UnicodeDecodeError:
        raise fail("not UTF-8 text") from None
    except json.JSONDecodeError as error:
        raise fail(f"not valid JSON ({error.msg}, column {error.colno})") from None
    if not isinstance(row, dict):
        raise fail(f"expected a JSON object, got {type(row).__name__}")
    if "id" not in row:
        raise fail('missing "id"')
    if "body" not in row and "title" not in row:
        raise fail('missing "body" (and "title")')
    values = []
    for key in ("title", "description", "body"):
        value = row.get(key)
        if value is not None and not isinstance(value, str):
            raise fail(f'"{key}" must be a string or null, got {type(value).__name__}')
        values.append(value)
    return row["id"], values[0], values[1], values[2] or ""
