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
except ImportError:  # Windows: no flock; every staging folder counts as in use
    fcntl = None

PREFIX = ".newscrawl-export."
SUFFIX = ".partial"


def staging_folders(out_dir: Path) -> list[Path]:
    """The staging folders of exports (running or killed) inside ``out_dir``."""
    return sorted(
        path
        for path in out_dir.iterdir()
        if path.name.startswith(PREFIX) and path.name.endswith(SUFFIX) and path.is_dir()
    )


def _lock(path: Path) -> int | None:
    """An open descriptor of ``path`` holding its exclusive lock, or None when another
    process holds it (or the folder is gone)."""
    if fcntl is None:
        return None
    try:
        fd = os.open(path, os.O_RDONLY)
    except FileNotFoundError:
        return None
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        os.close(fd)
        return None
    return fd


def abandoned(path: Path) -> bool:
    """True when no running export holds the staging folder ``path``."""
    fd = _lock(path)
    if fd is None:
        return False
    os.close(fd)
    return True


def remove_abandoned(out_dir: Path) -> None:
    """Remove the staging folders killed exports left in ``out_dir``."""
    for path in staging_folders(out_dir):
        fd = _lock(path)
        if fd is not None:
            try:
                shutil.rmtree(path, ignore_errors=True)
            finally:
                os.close(fd)


class Staging:
    """A new staging folder inside ``out_dir`` (so on the same filesystem, even when
    ``out_dir`` is a mount point), locked until :meth:`release`."""

    def __init__(self, out_dir: Path) -> None:
        # Locked under a name other exports do not look at, then renamed: a folder with
        # the staging name is never seen unlocked while its export runs.
        starting = Path(tempfile.mkdtemp(prefix=PREFIX, suffix=".starting", dir=out_dir))
        self._fd = _lock(starting)
        self.path = starting.with_name(starting.name.removesuffix(".starting") + SUFFIX)
        os.rename(starting, self.path)

    def release(self) -> None:
        """Give up the lock (the folder is moved away or removed by then)."""
        if self._fd is not None:
            with contextlib.suppress(OSError):
                os.close(self._fd)
            self._fd = None
