"""A small, realistic archive for the Datasette, browser and export tests.

Built only through the store's public API (``Archive.sync_*``, ``start_run``,
``write_batch``, ``finish_run``), so the tests see exactly what a crawl would write: two
runs, one revised article, a drops ledger, a seed-like article about a Britney Spears /
Lady Gaga duet, and one hostile article whose scraped fields carry script, event-handler
and ``javascript:`` payloads. All publishers except the seed's are fictional.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import json
import shutil
import socket
import sqlite3
import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from newscrawl.items import Article, Mention
from newscrawl.store import Archive, Drop

XSS_SCRIPT = "<script>window.__xss=1;alert(1)</script>"
XSS_IMG = '<img src=x onerror="window.__xss=1;alert(1)">'
XSS_LINK = "javascript:window.__xss=1;alert(1)"

# A sentence that appears only in article bodies (never in a title, description or
# snippet), so a body-free export can be checked for leaks.
BODY_ONLY_SENTENCE = "Check out video of the aforementioned kiss below."


@dataclass
class Source:
    id: str
    name: str
    homepage: str
    allowed_domains: list[str]


@dataclass
class Artist:
    id: str
    name: str
    aliases: list[str] = field(default_factory=list)
    wikidata: str | None = None


SOURCES = [
    Source("popwire", "PopWire (fictional)", "https://popwire.example", ["popwire.example"]),
    Source(
        "starbeat", "StarBeat Daily (fictional)", "https://starbeat.example", ["starbeat.example"]
    ),
    Source("inquisitr", "The Inquisitr", "https://www.inquisitr.com", ["www.inquisitr.com"]),
]

ARTISTS = [
    Artist(
        "britney-spears",
        "Britney Spears",
        ["Britney", "Britney Jean Spears", "Princess of Pop"],
        "Q11975",
    ),
    Artist("lady-gaga", "Lady Gaga", ["Gaga", "Mother Monster", "Stefani Germanotta"], "Q19848"),
    Artist("taylor-swift", "Taylor Swift", ["Swift", "T-Swift"], "Q26876"),
    Artist("beyonce", "Beyoncé", ["Beyonce", "Queen Bey"], "Q36153"),
]
NAMES = {a.id: a.name for a in ARTISTS}

SEED_BODY = """Britney Spears and Lady Gaga will reportedly begin work on their duet very soon.

Rumors started swirling about the project last year when the "Toxic" singer said she'd love to work with Mother Monster at some point down the road. When Lady Gaga revealed on Twitter that she was definitely down for a collaboration, it seemed like a sure thing.

"I would do a duet with Lady Gaga. I think that would be a lot of fun," Britney said during a fan Q&A session.

According to Us Weekly, Britney Spears had a brief chat with Gaga about the possible duet while hanging out backstage before the show.

Check out video of the aforementioned kiss below."""


def _mention(artist_id: str, body: str, title: str, salience: float) -> Mention:
    name = NAMES[artist_id]
    offset = body.find(name)
    snippets = []
    if offset >= 0:
        snippets.append(body[max(0, offset - 30) : offset + len(name) + 30].replace("\n", " "))
    return Mention(
        artist=name,
        artist_id=artist_id,
        count=max(1, body.count(name) + title.count(name)),
        in_title=name in title,
        first_offset=offset if offset >= 0 else None,
        snippets=snippets,
        salience=salience,
    )


def _article(
    n: int,
    source: str,
    title: str,
    body: str,
    published: str | None,
    mentions: dict[str, float],
    *,
    description: str | None = None,
    authors: tuple[str, ...] = ("Staff Writer",),
    url: str | None = None,
    canonical_url: str | None = None,
    image_url: str | None = None,
    tags: tuple[str, ...] = ("music",),
    extractor_version: str = "extract-1.0",
) -> Article:
    host = {"popwire": "popwire.example", "starbeat": "starbeat.example"}.get(
        source, "www.inquisitr.com"
    )
    canonical = (
        canonical_url or f"https://{host}/news/{n:03d}-{title.lower()[:20].replace(' ', '-')}"
    )
    return Article(
        url=url or canonical,
        canonical_url=canonical,
        source_id=source,
        title=title,
        description=description or f"{title}: the story so far.",
        authors=list(authors),
        published_at=published,
        modified_at=published,
        section="Music",
        tags=list(tags),
        language="en",
        image_url=image_url or f"https://{host}/img/{n:03d}.jpg",
        body=body,
        word_count=len(body.split()),
        is_paywalled=False,
        content_hash=hashlib.sha256(f"{title}\n{body}".encode()).hexdigest(),
        provenance={"title": "jsonld", "published_at": "jsonld", "body": "trafilatura"},
        fetched_at="2024-07-01T12:00:00+00:00",
        discovery={"channel": "sitemap", "via": f"https://{host}/sitemap.xml"},
        extractor_version=extractor_version,
        mentions=[_mention(a, body, title, s) for a, s in mentions.items()],
    )


SEED_TITLE = "Britney Spears Prepping Duet With Lady Gaga"
HOSTILE_TITLE = f"{XSS_SCRIPT}Taylor Swift tour notes {XSS_IMG}"


def first_run_articles() -> list[Article]:
    """The articles of the first crawl; ids follow list order (1-based)."""
    return [
        _article(
            1,
            "inquisitr",
            SEED_TITLE,
            SEED_BODY,
            "2024-03-14T09:30:00+00:00",
            {"britney-spears": 0.92, "lady-gaga": 0.85},
            description="Britney Spears and Lady Gaga will reportedly begin work on their duet.",
            authors=("Niki Cruz",),
        ),
        _article(
            2,
            "popwire",
            "Lady Gaga announces stadium tour dates",
            "Lady Gaga will take her new show to twelve stadiums this summer.\n\n"
            "Gaga said rehearsals start next month.",
            "2024-01-20T10:00:00+00:00",
            {"lady-gaga": 0.95},
        ),
        _article(
            3,
            "popwire",
            "Taylor Swift wins album of the year",
            "Taylor Swift took home album of the year at the fictional Pop Awards.\n\n"
            "Swift thanked her band and her fans.",
            "2024-02-05T21:00:00+00:00",
            {"taylor-swift": 0.97},
        ),
        _article(
            4,
            "starbeat",
            "Beyoncé and Taylor Swift trade duets at charity gala",
            "Beyoncé joined Taylor Swift on stage for two duets at a charity gala.\n\n"
            "Queen Bey closed the night with a ballad.",
            "2024-03-02T20:15:00-05:00",
            {"beyonce": 0.8, "taylor-swift": 0.75},
        ),
        _article(
            5,
            "starbeat",
            "Britney Spears memoir tops the charts",
            "Britney Spears saw her memoir top the bestseller list for a third week.\n\n"
            "Britney thanked readers in a short video.",
            "2024-04-11T08:00:00+00:00",
            {"britney-spears": 0.9},
        ),
        _article(
            6,
            "popwire",
            "Festival line-up: Lady Gaga, Beyoncé and more",
            "The fictional Riverside Festival named Lady Gaga and Beyoncé as headliners.\n\n"
            "Britney Spears fans hoped for a surprise appearance.",
            "2024-04-28T12:00:00+00:00",
            {"lady-gaga": 0.6, "beyonce": 0.55, "britney-spears": 0.15},
        ),
        _article(
            7,
            "popwire",
            HOSTILE_TITLE,
            f"Taylor Swift fans found this page. {XSS_SCRIPT}\n\n"
            f'Click <a href="{XSS_LINK}">here</a> {XSS_IMG} for Taylor Swift news.',
            "2024-05-03T09:00:00+00:00",
            {"taylor-swift": 0.5},
            description=f"{XSS_IMG} description",
            authors=(f"{XSS_SCRIPT}Mallory",),
            url=XSS_LINK,
            canonical_url="https://popwire.example/news/007-hostile?q=<script>alert(1)</script>",
            image_url=XSS_LINK,
            tags=(XSS_SCRIPT,),
        ),
        _article(
            8,
            "starbeat",
            "Lady Gaga and Britney Spears spotted at rehearsal",
            "Lady Gaga and Britney Spears were spotted leaving a studio together.\n\n"
            "Fans hope the long-rumoured duet is finally happening.",
            "2024-05-19T18:45:00+00:00",
            {"lady-gaga": 0.7, "britney-spears": 0.7},
        ),
        _article(
            9,
            "starbeat",
            "Undated interview with Beyoncé",
            "Beyoncé talks about her next album in this interview.",
            None,
            {"beyonce": 0.88},
            extractor_version="extract-0.9",
        ),
    ]


def second_run_articles() -> list[Article]:
    """The second crawl: article 3 was edited (a revision), and one new article."""
    edited = _article(
        3,
        "popwire",
        "Taylor Swift wins album of the year",
        "Taylor Swift took home album of the year at the fictional Pop Awards.\n\n"
        "Swift thanked her band, her fans and her cats.",
        "2024-02-05T21:00:00+00:00",
        {"taylor-swift": 0.97},
    )
    new = _article(
        10,
        "popwire",
        "Britney Spears and Lady Gaga duet confirmed",
        "Lady Gaga confirmed the duet with Britney Spears is finished.\n\n"
        "The Princess of Pop called it a dream come true.",
        "2024-06-02T07:00:00+00:00",
        {"britney-spears": 0.8, "lady-gaga": 0.82},
    )
    return [edited, new]


def build_archive(path: Path) -> Path:
    """Write the test archive to ``path`` (which must not exist) and return it."""
    with Archive(path) as archive:
        archive.sync_sources(SOURCES)
        archive.sync_artists(ARTISTS)
        run1 = archive.start_run(spider="news", args={"sources": "all"})
        articles = first_run_articles()
        drops = [
            Drop("https://popwire.example/private", "discover", "robots", source_id="popwire"),
            Drop(
                "https://starbeat.example/gone",
                "fetch",
                "http_status",
                source_id="starbeat",
                status=404,
            ),
            Drop(
                "https://popwire.example/news/weather",
                "tag",
                "no_artist",
                source_id="popwire",
                detail=f"no watched artist {XSS_SCRIPT}",
            ),
        ]
        archive.write_batch(articles, drops, run_id=run1)
        archive.finish_run(
            run1,
            finish_reason="finished",
            counts={"discovered": 12, "pages_fetched": 11, "articles_new": 9, "dropped": 3},
            per_source={"popwire": {"archived": 4, "dropped": 2}, "starbeat": {"archived": 4}},
        )
        run2 = archive.start_run(spider="news", args={"sources": "popwire"})
        archive.write_batch(
            second_run_articles(),
            [Drop("https://popwire.example/tag/page/9", "discover", "budget", source_id="popwire")],
            run_id=run2,
        )
        archive.finish_run(
            run2,
            finish_reason="finished",
            counts={"discovered": 3, "articles_new": 1, "articles_updated": 1, "dropped": 1},
            per_source={"popwire": {"archived": 2, "dropped": 1}},
        )
    return path


SEED_ID = 1
HOSTILE_ID = 7
REVISED_ID = 3
UNDATED_ID = 9


class SyncClient:
    """Datasette's in-process client, driven from synchronous tests.

    One event loop per client for its whole life: Datasette keeps asyncio objects
    between requests, so every request must run on the same loop.
    """

    def __init__(self, datasette) -> None:
        self.datasette = datasette
        self.loop = asyncio.new_event_loop()
        self.loop.run_until_complete(datasette.invoke_startup())

    def get(self, path: str, **kwargs):
        return self.loop.run_until_complete(self.datasette.client.get(path, **kwargs))

    def get_traced(self, path: str):
        """``(response, traces)``: the response, and the SQL Datasette traced for it."""
        from datasette.tracer import capture_traces

        traces: list[dict] = []

        async def get():
            # Datasette keys a capture by the asyncio task that makes the request.
            with capture_traces(traces):
                return await self.datasette.client.get(path)

        return self.loop.run_until_complete(get()), traces

    def post(self, path: str, **kwargs):
        return self.loop.run_until_complete(self.datasette.client.post(path, **kwargs))

    def close(self) -> None:
        self.loop.close()


def free_port() -> int:
    """A TCP port that was free a moment ago on 127.0.0.1."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_for_http(
    url: str, *, process: subprocess.Popen | None = None, timeout: float = 20.0
) -> None:
    """Poll ``url`` until it answers 200; fail with the server's output if it dies."""
    deadline = time.monotonic() + timeout
    last_error: Exception | None = None
    while time.monotonic() < deadline:
        if process is not None and process.poll() is not None:
            output = process.stdout.read() if process.stdout else ""
            raise AssertionError(f"server exited with {process.returncode}: {output}")
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                if response.status == 200:
                    return
        except (OSError, urllib.error.URLError) as error:
            last_error = error
        time.sleep(0.1)
    raise AssertionError(f"{url} did not answer within {timeout}s: {last_error}")


def config_copy(tmp_path: Path, *, name: str = "archive", **settings) -> Path:
    """A copy of the archive/ configuration in ``tmp_path/name``, with these
    settings.json values changed (``max_returned_rows=3``, ``base_url="/news/"``, ...)."""
    from newscrawl.serve import ARCHIVE_DIR

    copy = tmp_path / name
    shutil.copytree(ARCHIVE_DIR, copy)
    if settings:
        path = copy / "settings.json"
        values = json.loads(path.read_text(encoding="utf-8"))
        values.update(settings)
        path.write_text(json.dumps(values), encoding="utf-8")
    return copy


def config_with_defer_above(tmp_path: Path, value, **settings) -> Path:
    """A copy of the archive/ configuration whose articles table has
    ``defer_above_rows: value`` (archive/plugins/newscrawl_facets.py): the test archive
    is too small for the shipped 10,000. ``settings`` change settings.json too."""
    copy = config_copy(tmp_path, name=f"config-{value!r}", **settings)
    path = copy / "metadata.yml"
    metadata = yaml.safe_load(path.read_text(encoding="utf-8"))
    articles = metadata["plugins"]["newscrawl"]["database"]["tables"]["articles"]
    articles["plugins"]["newscrawl-facets"]["defer_above_rows"] = value
    path.write_text(yaml.safe_dump(metadata, allow_unicode=True), encoding="utf-8")
    return copy


def record_statements(datasette, monkeypatch, keep) -> list:
    """A list that gets ``keep(sql, params)`` for every SQL statement ``datasette`` runs
    from here on (``sql`` with its whitespace folded); ``monkeypatch`` undoes it."""
    statements: list = []
    real_execute = datasette.execute

    async def recording(database, sql, params=None, *args, **kwargs):
        statements.append(keep(" ".join(sql.split()), params))
        return await real_execute(database, sql, params, *args, **kwargs)

    monkeypatch.setattr(datasette, "execute", recording)
    return statements


def read_page(url: str) -> str:
    """The body of a GET of ``url`` from a real server, as text."""
    with urllib.request.urlopen(url) as response:
        return response.read().decode("utf-8")


# newscrawl serve with another configuration directory (it always serves archive/).
_SERVE_WITH_CONFIG = """
import sys
from pathlib import Path

import uvicorn

from newscrawl.serve import build_datasette

datasette = build_datasette(sys.argv[1], config_dir=Path(sys.argv[2]))
uvicorn.run(datasette.app(), host="127.0.0.1", port=int(sys.argv[3]), log_level="warning")
"""


@contextlib.contextmanager
def running_server(db: Path, *extra: str, config_dir: Path | None = None):
    """``newscrawl serve DB --port N`` as a real process; yields its base URL. With
    ``config_dir``, Datasette serves with that copy of the archive/ configuration."""
    port = free_port()
    if config_dir is None:
        command = [sys.executable, "-m", "newscrawl", "serve", str(db), "--port", str(port)]
    else:
        command = [sys.executable, "-c", _SERVE_WITH_CONFIG, str(db), str(config_dir), str(port)]
    process = subprocess.Popen(
        [*command, *extra],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        wait_for_http(f"{base}/-/versions.json", process=process)
        yield base
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        if process.stdout:
            process.stdout.close()


def fts_segments(path: Path) -> int:
    """How many pieces (segments) articles_fts is in: its structure record (id 10 of
    articles_fts_data: a 4-byte cookie, then varints: levels, segments, ...)."""
    conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        record = conn.execute("select block from articles_fts_data where id = 10").fetchone()[0]
    finally:
        conn.close()
    values, value = [], 0
    for byte in record[4:]:
        value = (value << 7) | (byte & 0x7F)
        if not byte & 0x80:
            values.append(value)
            value = 0
            if len(values) == 2:
                return values[1]
    raise AssertionError("short structure record")
