"""Shared helpers of the benchmarks: machine facts, the scaled demo site in its own
process, crawls in subprocesses with their process tree sampled (peak RSS, CPU), and
the JSON + one-line output every bench prints."""

from __future__ import annotations

import json
import os
import platform
import re
import signal
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
RESULTS = REPO / "bench" / "results"
"""Cached artefacts of the benches (git-ignored)."""

# Local sites: no politeness delay, like tests/crawling.py FAST. Both crawls of the crawl
# benchmark run with exactly these settings.
CRAWL_SETTINGS = {
    "DOWNLOAD_DELAY": "0",
    "AUTOTHROTTLE_ENABLED": "0",
    "CONCURRENT_REQUESTS_PER_DOMAIN": "8",
    "LOG_LEVEL": "INFO",
    "NEWSCRAWL_PROGRESS_INTERVAL": "0",
}


def machine() -> dict[str, Any]:
    """The facts a figure depends on: cores, CPU model, Python, SQLite, key packages."""
    from importlib.metadata import version

    model = ""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        model = platform.processor()
    memory_gib = None
    try:
        import psutil

        memory_gib = round(psutil.virtual_memory().total / 2**30, 1)
    except ImportError:
        pass
    packages = {}
    for name in ("scrapy", "datasette", "sqlite-utils", "trafilatura", "lxml"):
        try:
            packages[name] = version(name)
        except Exception:
            packages[name] = None
    return {
        "nproc": os.cpu_count(),
        "cpu_model": model,
        "memory_gib": memory_gib,
        "python": platform.python_version(),
        "sqlite": sqlite3.sqlite_version,
        "packages": packages,
        "load_average": [round(x, 2) for x in os.getloadavg()],
    }


def emit(result: dict[str, Any], summary: str) -> dict[str, Any]:
    """Print a bench's figures as JSON, then its one-line summary; return the figures."""
    print(json.dumps(result, indent=2, default=str))
    print(summary, flush=True)
    return result


def percentile(values: Sequence[float], q: float) -> float:
    """The ``q`` quantile (0..1) of ``values``, nearest-rank on the sorted values."""
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    return ordered[min(len(ordered) - 1, max(0, round(q * (len(ordered) - 1))))]


# -- the demo site in its own process ---------------------------------------------------


class DemoSiteProcess:
    """``newscrawl demo-site --articles N`` in a separate process, so the server's
    rendering never competes with the crawler for its GIL. Use as a context manager;
    ``sources`` and ``artists`` are the written config files, ``base_urls`` the sites."""

    def __init__(self, articles: int, *, edition: int = 1, workdir: Path | None = None) -> None:
        self.articles = articles
        self.edition = edition
        self._tmp = None if workdir else tempfile.TemporaryDirectory(prefix="newscrawl-bench-")
        self.workdir = Path(workdir or self._tmp.name)
        self.sources = self.workdir / "sources.yml"
        self.artists = self.workdir / "artists.yml"
        self.process: subprocess.Popen | None = None

    def __enter__(self) -> DemoSiteProcess:
        for path in (self.sources, self.artists):
            path.unlink(missing_ok=True)
        command = [sys.executable, "-m", "newscrawl", "demo-site", "--port", "0"]
        command += ["--articles", str(self.articles), "--edition", str(self.edition)]
        command += ["--sources-out", str(self.sources), "--artists-out", str(self.artists)]
        self.log = open(self.workdir / "demo-site.log", "w")  # noqa: SIM115 - closed in __exit__
        self.process = subprocess.Popen(
            command, cwd=REPO, stdout=self.log, stderr=subprocess.STDOUT, env=_child_env()
        )
        deadline = time.monotonic() + 120
        while not self.sources.exists():
            if self.process.poll() is not None or time.monotonic() > deadline:
                self.__exit__()
                log = (self.workdir / "demo-site.log").read_text()
                raise RuntimeError(f"demo site did not start:\n{log[-2000:]}")
            time.sleep(0.05)
        return self

    def __exit__(self, *exc: object) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.log.close()
        if self._tmp is not None:
            self._tmp.cleanup()

    @property
    def base_urls(self) -> dict[str, str]:
        import yaml

        sources = yaml.safe_load(self.sources.read_text("utf-8"))["sources"]
        return {s["id"]: s["homepage"] for s in sources}

    def cpu_seconds(self) -> float:
        """CPU time the server process has used so far."""
        import psutil

        times = psutil.Process(self.process.pid).cpu_times()
        return times.user + times.system

    def write_article_urls(self, path: Path) -> int:
        """Write ``SOURCE_ID URL`` lines of every article a polite crawl should fetch
        (the catalogue of the same edition and scale); returns how many."""
        from newscrawl.demo.catalog import load_catalog

        base = self.base_urls
        catalog = load_catalog(self.edition, self.articles)
        lines = [f"{a.source_id} {a.url(base)}" for a in catalog.articles if a.archivable]
        path.write_text("\n".join(lines) + "\n", encoding="utf-8")
        return len(lines)


def _child_env() -> dict[str, str]:
    env = {**os.environ, "PYTHONWARNINGS": "ignore"}
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(REPO), env.get("PYTHONPATH", "")) if p)
    return env


# -- process trees -----------------------------------------------------------------------


@dataclass
class TreeSample:
    """What :class:`TreeSampler` saw of a process and its descendants."""

    peak_rss_mb: float = 0.0
    peak_pss_mb: float = 0.0
    peak_processes: int = 0
    cpu_seconds: dict[int, float] = field(default_factory=dict)
    """Last CPU time (user + system) seen per pid; the root is ``root_pid``."""
    peak_rss_by_pid: dict[int, float] = field(default_factory=dict)
    names: dict[int, str] = field(default_factory=dict)
    root_pid: int = 0
    series: list[tuple[float, float, float]] = field(default_factory=list)
    """(Unix time, total RSS MB, root RSS MB), one point per poll."""

    @property
    def root_cpu(self) -> float:
        return self.cpu_seconds.get(self.root_pid, 0.0)

    @property
    def children_cpu(self) -> float:
        return sum(v for pid, v in self.cpu_seconds.items() if pid != self.root_pid)


class TreeSampler(threading.Thread):
    """Polls a process and all its descendants (psutil) until stopped: peak total RSS
    (and PSS, shared pages divided among the processes sharing them, with ``pss=True``),
    CPU per process. Extraction workers are children of a forkserver, itself a child of
    the crawl, so a recursive walk finds them."""

    def __init__(self, pid: int, *, interval: float = 0.1, pss: bool = False) -> None:
        super().__init__(name="bench-tree-sampler", daemon=True)
        self.sample = TreeSample(root_pid=pid)
        self.interval = interval
        self.pss = pss
        self._stop_event = threading.Event()

    def run(self) -> None:
        import psutil

        sample = self.sample
        try:
            root = psutil.Process(sample.root_pid)
        except psutil.NoSuchProcess:
            return
        while not self._stop_event.is_set():
            try:
                processes = [root, *root.children(recursive=True)]
            except psutil.NoSuchProcess:
                break
            rss = pss = root_rss = 0
            for process in processes:
                try:
                    with process.oneshot():
                        memory = process.memory_info().rss
                        if self.pss:
                            pss += process.memory_full_info().pss
                        times = process.cpu_times()
                        if process.pid not in sample.names:
                            sample.names[process.pid] = _process_name(process, sample.root_pid)
                except psutil.Error:
                    continue
                rss += memory
                if process.pid == sample.root_pid:
                    root_rss = memory
                sample.cpu_seconds[process.pid] = times.user + times.system
                sample.peak_rss_by_pid[process.pid] = max(
                    sample.peak_rss_by_pid.get(process.pid, 0.0), round(memory / 2**20, 1)
                )
            total = rss / 2**20
            sample.series.append((time.time(), round(total, 1), round(root_rss / 2**20, 1)))
            sample.peak_rss_mb = max(sample.peak_rss_mb, total)
            sample.peak_pss_mb = max(sample.peak_pss_mb, pss / 2**20)
            sample.peak_processes = max(sample.peak_processes, len(processes))
            self._stop_event.wait(self.interval)

    def stop(self) -> TreeSample:
        self._stop_event.set()
        self.join()
        return self.sample


def _process_name(process: Any, root_pid: int) -> str:
    if process.pid == root_pid:
        return "crawl"
    command = " ".join(process.cmdline())
    if process.ppid() != root_pid:
        return "worker"  # forked by the forkserver (same command line as it)
    if "resource_tracker" in command:
        return "resource_tracker"
    return "forkserver" if "forkserver" in command else "child"


# -- crawls ------------------------------------------------------------------------------

_STAT = re.compile(r"'([^']+)': (-?\d+(?:\.\d+)?)[,}]")


@dataclass
class CrawlRun:
    """One ``scrapy`` subprocess: its exit code, stats and what the sampler saw."""

    returncode: int
    stats: dict[str, float]
    wall_seconds: float
    tree: TreeSample
    log_path: Path

    @property
    def elapsed(self) -> float:
        """Scrapy's own ``elapsed_time_seconds`` (spider open to close)."""
        return float(self.stats.get("elapsed_time_seconds", self.wall_seconds))


def parse_stats(log: str) -> dict[str, float]:
    """The numeric entries of the last ``Dumping Scrapy stats`` block of a crawl log."""
    marker = log.rfind("Dumping Scrapy stats")
    if marker < 0:
        return {}
    block = log[marker:]
    end = block.find("}\n")
    block = block[: end + 2] if end >= 0 else block
    return {k: float(v) for k, v in _STAT.findall(block)}


def run_scrapy(
    args: Sequence[str],
    *,
    settings: dict[str, Any],
    log_path: Path,
    timeout: float = 3600,
    sample_interval: float = 0.1,
    pss: bool = False,
) -> CrawlRun:
    """Run ``python -m scrapy ARGS -s K=V...`` from the repository, sampling its tree."""
    command = [sys.executable, "-m", "scrapy", *args]
    for name, value in settings.items():
        command += ["-s", f"{name}={value}"]
    with open(log_path, "w") as log:
        start = time.perf_counter()
        process = subprocess.Popen(
            command, cwd=REPO, stdout=log, stderr=subprocess.STDOUT, env=_child_env()
        )
        sampler = TreeSampler(process.pid, interval=sample_interval, pss=pss)
        sampler.start()
        try:
            returncode = process.wait(timeout)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
            raise
        finally:
            tree = sampler.stop()
        wall = time.perf_counter() - start
    text = log_path.read_text(errors="replace")
    if returncode != 0 or "Traceback" in text:
        raise RuntimeError(f"{' '.join(args)} failed ({returncode}):\n{text[-3000:]}")
    return CrawlRun(returncode, parse_stats(text), wall, tree, log_path)


# -- a synthetic archive -----------------------------------------------------------------

PHRASES = (
    "world tour",
    "red carpet",
    "new album",
    "music video",
    "record label",
    "sold out",
    "award show",
    "lead single",
)
"""Two-word phrases sentences carry now and then (the phrase searches look for them)."""
FIRST_MONTH = (2019, 1)
MONTHS = 95  # 2019-01 .. 2026-11


@dataclass(frozen=True)
class SyntheticArtist:
    id: str
    name: str
    aliases: tuple[str, ...] = ()
    wikidata: str | None = None


@dataclass(frozen=True)
class SyntheticSource:
    id: str
    name: str
    homepage: str
    allowed_domains: tuple[str, ...]


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")


class SyntheticCorpus:
    """Deterministic article records shaped like a crawl's: bodies of 300-600 words drawn
    (Zipf) from the demo publishers' vocabulary plus invented rare words, 1-3 artists per
    article (Zipf over ``artists``), publishers, publication months over several years.

    Bodies are assembled from a pool of generated sentences, so a million articles take
    seconds to describe, while the words keep a Zipf distribution for full-text search.
    """

    def __init__(
        self, *, seed: int = 20261125, artists: int = 50, sources: int = 8, sentences: int = 40_000
    ) -> None:
        import random

        self.seed = seed
        rng = random.Random(seed)
        self.vocabulary = self._vocabulary(rng)
        ranks = range(1, len(self.vocabulary) + 1)
        weights = [1 / r for r in ranks]
        cumulative = []
        total = 0.0
        for weight in weights:
            total += weight
            cumulative.append(total)
        self.sentences: list[tuple[str, int]] = []
        for _ in range(sentences):
            length = rng.randint(8, 24)
            words = rng.choices(self.vocabulary, cum_weights=cumulative, k=length)
            if rng.random() < 0.02:
                words.insert(rng.randrange(len(words)), rng.choice(PHRASES))
            text = " ".join(words)
            self.sentences.append((text[0].upper() + text[1:] + ".", len(text.split())))
        self.artists = self._artists(artists)
        self.artist_weights = [1 / r for r in range(1, len(self.artists) + 1)]
        self.sources = [
            SyntheticSource(
                f"publisher-{n}",
                f"Publisher {n}",
                f"https://publisher-{n}.example/",
                (f"publisher-{n}.example",),
            )
            for n in range(sources)
        ]

    @staticmethod
    def _vocabulary(rng: Any) -> list[str]:
        from collections import Counter

        from newscrawl.demo.catalog import load_content

        counts: Counter = Counter()
        for entries in load_content().values():
            for entry in entries:
                text = " ".join(str(entry.get(k) or "") for k in ("title", "description", "body"))
                counts.update(w for w in re.findall(r"[a-z]+", text.lower()) if len(w) > 1)
        words = [w for w, _ in counts.most_common()]
        known = set(words)
        # The long tail: invented words, each rare (the rare-word searches use them).
        onsets = ["b", "br", "d", "f", "g", "k", "l", "m", "n", "p", "r", "s", "t", "v", "z"]
        vowels = ["a", "e", "i", "o", "u", "ou", "ia"]
        while len(words) < 30_000:
            word = "".join(rng.choice(onsets) + rng.choice(vowels) for _ in range(3))
            if word not in known:
                known.add(word)
                words.append(word)
        return words

    @staticmethod
    def _artists(count: int) -> list[SyntheticArtist]:
        from newscrawl.artists import load_watchlist
        from newscrawl.demo.catalog import ARTISTS_FILE

        artists = [
            SyntheticArtist(a.id, a.name, tuple(a.aliases))
            for a in load_watchlist(ARTISTS_FILE).artists
        ][:count]
        number = 0
        while len(artists) < count:
            number += 1
            name = f"Synthetic Artist {number}"
            artists.append(SyntheticArtist(_slug(name), name))
        return artists

    def article(self, index: int) -> dict[str, Any]:
        """Article ``index`` as the fields of an ``articles`` row plus ``mentions``
        (dicts with the ``mentions`` columns and ``artist``, the canonical name)."""
        import hashlib
        import random

        rng = random.Random(self.seed * 1_000_003 + index)
        source = self.sources[index % len(self.sources)]
        cast = []
        for artist in rng.choices(self.artists, weights=self.artist_weights, k=3)[
            : rng.randint(1, 3)
        ]:
            if artist not in cast:
                cast.append(artist)
        target = rng.randint(300, 600)
        parts: list[str] = [f"{cast[0].name} was in the news again."]
        words = 7 + len(cast[0].name.split())
        for artist in cast[1:]:
            parts.append(f"Also named: {artist.name}.")
            words += 2 + len(artist.name.split())
        paragraphs: list[str] = []
        while words < target:
            text, length = self.sentences[int(rng.random() * len(self.sentences))]
            parts.append(text)
            words += length
            if len(parts) >= 5:
                paragraphs.append(" ".join(parts))
                parts = []
        if parts:
            paragraphs.append(" ".join(parts))
        body = "\n\n".join(paragraphs)
        title_words = " ".join(self.sentences[index % len(self.sentences)][0].split()[:6])
        title = f"{cast[0].name}: {title_words.rstrip('.')}"
        month = rng.randrange(MONTHS)
        year, month_of_year = FIRST_MONTH[0] + month // 12, month % 12 + 1
        day, hour = rng.randint(1, 28), rng.randint(0, 23)
        published = f"{year:04d}-{month_of_year:02d}-{day:02d}T{hour:02d}:00:00+00:00"
        url = f"{source.homepage}{year}/{month_of_year:02d}/story-{index}/"
        mentions = []
        for position, artist in enumerate(cast):
            salience = round(max(0.05, 0.9 - 0.3 * position - rng.random() * 0.2), 4)
            mentions.append(
                {
                    "artist_id": artist.id,
                    "artist": artist.name,
                    "count": rng.randint(1, 6),
                    "in_title": int(position == 0),
                    "first_offset": body.find(artist.name),
                    "snippets": json.dumps([f"… {artist.name} was in the news …"]),
                    "salience": salience,
                }
            )
        return {
            "canonical_url": url,
            "url": url,
            "source_id": source.id,
            "title": title,
            "description": self.sentences[(index * 7) % len(self.sentences)][0],
            "authors": json.dumps([f"Reporter {index % 97}"]),
            "published_at": published,
            "modified_at": None,
            "published_month": published[:7],
            "section": "Music",
            "tags": json.dumps([a.name for a in cast]),
            "language": "en",
            "image_url": f"{source.homepage}images/{index}.jpg",
            "body": body,
            "word_count": len(body.split()),
            "is_paywalled": 0,
            "content_hash": hashlib.sha256(f"{title}\n{body}".encode()).hexdigest(),
            "provenance": json.dumps({"title": "jsonld", "body": "trafilatura"}),
            "artists": json.dumps([a.name for a in cast], ensure_ascii=False),
            "discovery": json.dumps({"channel": "sitemap"}),
            "fetched_at": "2026-11-25T00:00:00+00:00",
            "first_seen_at": "2026-11-25T00:00:00+00:00",
            "changed_at": "2026-11-25T00:00:00+00:00",
            "revision_count": 0,
            "warc_file": None,
            "warc_offset": None,
            "extractor_version": "bench",
            "run_id": None,
            "mentions": mentions,
        }
