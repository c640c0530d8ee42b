"""The hidden staging folder a release is written to before it is moved into place.

An export holds an exclusive lock (``flock``) on its staging folder for as long as it
writes. The lock goes with the process, however it ends: a staging folder nobody holds
was left by an export that was killed (SIGKILL, the OOM killer, a closed terminal, a
power cut). The next export into the same folder removes it, instead of finding the
folder "not empty" for good because of a hidden folder the user cannot see with ``ls``.
A staging folder that is held belongs to an export still running.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import tempfile
from pathlib import Path

try:
    import fcntl
except ImportError:  # Windows: no flock; a staging folder is then left alone, as before
    fcntl = None

PREFIX = ".newscrawl-export."
SUFFIX = ".partial"
ABANDONED, RUNNING, UNKNOWN = "abandoned", "running", "unknown"


def staging_folders(out_dir: Path) -> list[Path]:
    """The staging folders of exports (running or killed) inside ``out_dir``."""
    return sorted(
        path
        for path in out_dir.iterdir()
        if path.name.startswith(PREFIX) and path.name.endswith(SUFFIX) and path.is_dir()
    )


def _lock(path: Path) -> int | str:
    """An open descriptor of ``path`` holding its exclusive lock; else ``RUNNING`` when
    another process holds it, ``UNKNOWN`` when it cannot be told (no flock here, a
    filesystem without it, the folder gone)."""
    if fcntl is None:
        return UNKNOWN
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:
        return UNKNOWN
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        os.close(fd)
        return RUNNING
    except OSError:
        os.close(fd)
        return UNKNOWN
    return fd


def state(path: Path) -> str:
    """``ABANDONED`` (no export holds the staging folder ``path``), ``RUNNING`` or
    ``UNKNOWN``."""
    held = _lock(path)
    if isinstance(held, str):
        return held
    os.close(held)
    return ABANDONED


def remove_abandoned(out_dir: Path) -> None:
    """Remove the staging folders killed exports left in ``out_dir``."""
    for path in staging_folders(out_dir):
        held = _lock(path)
        if not isinstance(held, str):
            try:
                shutil.rmtree(path, ignore_errors=True)
            finally:
                os.close(held)


class Staging:
    """A new staging folder inside ``out_dir`` (so on the same filesystem, even when
    ``out_dir`` is a mount point), locked until :meth:`release`."""

    def __init__(self, out_dir: Path) -> None:
        # Locked under a name other exports do not look at, then renamed: a folder with
        # the staging name is never seen unlocked while its export runs.
        starting = Path(tempfile.mkdtemp(prefix=PREFIX, suffix=".starting", dir=out_dir))
        held = _lock(starting)
        self._fd = None if isinstance(held, str) else held
        self.path = starting.with_name(starting.name.removesuffix(".starting") + SUFFIX)
        try:
            os.rename(starting, self.path)
        except OSError:
            self.release()
            with contextlib.suppress(OSError):
                starting.rmdir()
            raise

    def release(self) -> None:
        """Give up the lock (the folder is moved away or removed by then)."""
        if self._fd is not None:
            with contextlib.suppress(OSError):
                os.close(self._fd)
            self._fd = None
