"""A JOBDIR left by a crawl that did not stop cleanly is not resumed from.

Scrapy writes a JOBDIR back only when the crawl closes: the queue's index
(``requests.queue/active.json``) and ``spider.state`` on close, while the seen-requests
filter (``requests.seen``) grows with every request. After ``kill -9``, a reboot, the
OOM killer or a second Ctrl-C, the filter holds every channel and article request the
crawl made, and the queue lost what was waiting: resumed as it is, the next run has
every request refused, fetches nothing and says "finished".

The same goes for a crawl stopped because its archive refused writes (a full disk): the
rows of its last batches were lost, but their requests are in the filter and "requested"
in ``spider.state``.

So a crawl holds a lock on ``JOBDIR/newscrawl.lock`` while it runs and writes its pid
there; when Scrapy has written the JOBDIR back, and no row was lost, it empties the file. A crawl that finds
the file unlocked but not empty starts the job afresh (the archive skips what is stored
and, after an unfinished run, walks listings to ``max_listing_pages``); one that finds
it locked stops: two crawls sharing a JOBDIR's queue files corrupt each other's.
The lock goes with the process that holds it, whatever ends it.

A Redis-mode worker has no JOBDIR to guard: its frontier lives in Redis and the JOBDIR
is ignored (newscrawl.scale.addon warns), so several workers started with one command
line on one machine all run.
"""

from __future__ import annotations

import contextlib
import fcntl
import logging
import os
import shutil
from pathlib import Path
from typing import IO, TYPE_CHECKING

from scrapy import signals
from scrapy.exceptions import NotConfigured

from newscrawl.errors import NewscrawlError
from newscrawl.store_rows import utcnow

if TYPE_CHECKING:
    from scrapy.crawler import Crawler
    from scrapy.settings import BaseSettings

logger = logging.getLogger(__name__)

LOCK = "newscrawl.lock"
# What Scrapy keeps in a JOBDIR (scheduler queue, duplicate filter, SpiderState); only
# these are removed, whatever else the folder holds.
SCRAPY_JOB_FILES = ("requests.queue", "requests.seen", "spider.state")


def _lock(jobdir: Path) -> IO[str]:
    """The JOBDIR's lock file, open and locked; :class:`NewscrawlError` when another
    crawl holds it."""
    jobdir.mkdir(parents=True, exist_ok=True)
    handle = open(jobdir / LOCK, "a+", encoding="utf-8")  # noqa: SIM115 - held for the crawl
    try:
        fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        handle.seek(0)
        holder = handle.read().strip() or "another crawl"
        handle.close()
        raise NewscrawlError(
            f"{jobdir}: JOBDIR in use by a crawl still running ({holder});"
            " wait for it, or give this crawl another JOBDIR"
        ) from None
    return handle


def guarded_job_dir(settings: BaseSettings) -> Path | None:
    """The JOBDIR a crawl with ``settings`` guards: None without one or in Redis mode."""
    jobdir = settings.get("JOBDIR")
    if not jobdir or settings.get("NEWSCRAWL_REDIS_URL"):
        return None
    return Path(jobdir)


def check_job_dir(settings: BaseSettings) -> None:
    """Raise :class:`NewscrawlError` (one line) when a running crawl holds the JOBDIR of
    a crawl with ``settings``."""
    jobdir = guarded_job_dir(settings)
    if jobdir and (jobdir / LOCK).exists():
        _lock(Path(jobdir)).close()


def _start_afresh(jobdir: Path, holder: str) -> None:
    for name in SCRAPY_JOB_FILES:
        path = jobdir / name
        if path.is_dir():
            shutil.rmtree(path)
        else:
            path.unlink(missing_ok=True)
    logger.warning(
        "JOBDIR %s: the crawl that last ran it (%s) did not stop cleanly (killed, stopped"
        " with a second Ctrl-C, or its archive refused writes): its seen-requests filter"
        " would refuse the pages it lost, so the job starts afresh; pages already archived"
        " are skipped",
        jobdir,
        holder,
    )


class JobDirGuard:
    """Holds the JOBDIR's lock for the crawl and starts a stale job afresh (module
    docstring). Does nothing without a JOBDIR."""

    def __init__(self, crawler: Crawler, jobdir: Path) -> None:
        self.crawler = crawler
        self.jobdir = jobdir
        self.handle: IO[str] | None = None

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> JobDirGuard:
        jobdir = guarded_job_dir(crawler.settings)
        if jobdir is None:
            raise NotConfigured  # (no message: Scrapy would log one as a warning)
        guard = cls(crawler, jobdir)
        # Before the scheduler is built: its duplicate filter reads requests.seen then.
        guard.acquire()
        crawler.signals.connect(guard.engine_stopped, signal=signals.engine_stopped)
        return guard

    def acquire(self) -> None:
        handle = _lock(self.jobdir)
        handle.seek(0)
        holder = handle.read().strip()
        if holder:  # written by a crawl that never got to empty it
            _start_afresh(self.jobdir, holder)
        handle.seek(0)
        handle.truncate()
        handle.write(f"pid {os.getpid()}, started {utcnow()}")
        handle.flush()
        self.handle = handle

    def engine_stopped(self) -> None:
        # The scheduler closed its queue and SpiderState saved spider.state (both when
        # the spider closed, before the engine stops): the JOBDIR is whole again.
        if self.handle is None:
            return
        session = getattr(self.crawler, "_newscrawl_session", None)
        with contextlib.suppress(OSError):
            if session is not None and session.error:
                # Rows were lost: the next crawl must not trust this JOBDIR either.
                self.handle.write(", stopped by an archive error (rows not written)")
            else:
                self.handle.seek(0)
                self.handle.truncate()
            self.handle.flush()
        self.handle.close()  # releases the lock
        self.handle = None
