"""The config files shipped in ``newscrawl/data/``, read from a zipped egg too.

Scrapyd runs the project from a zipped egg, where a packaged file has no path of its
own: the loaders, which read a path, get a temporary copy instead. The copy is removed
when the process ends (every Scrapyd job used to leave two in the temporary folder for
good), and an error in it names the packaged file, which the operator knows, rather than
a copy that is gone by the time they read the message.
"""

from __future__ import annotations

import atexit
import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from importlib import resources
from pathlib import Path

from newscrawl.errors import ConfigError

# Temporary copy -> name of the packaged file it holds.
_copies: dict[str, str] = {}


def packaged_config(name: str) -> str:
    """Path of the config file ``name`` shipped in ``newscrawl/data/`` (a temporary copy
    of this process when the package is a zipped egg)."""
    resource = resources.files("newscrawl") / "data" / name
    if isinstance(resource, Path):
        return str(resource)
    target = Path(tempfile.gettempdir()) / f"newscrawl-{os.getpid()}-{name}"
    target.write_bytes(resource.read_bytes())
    if str(target) not in _copies:
        _copies[str(target)] = name
        atexit.register(target.unlink, missing_ok=True)
    return str(target)


@contextmanager
def naming_packaged_files() -> Iterator[None]:
    """Re-raise a ConfigError about a temporary copy as one about the packaged file."""
    try:
        yield
    except ConfigError as error:
        name = _copies.get(error.path or "")
        if name is None:
            raise
        raise ConfigError(
            error.detail,
            path=f"newscrawl/data/{name} (packaged)",
            entry=error.entry,
            field=error.field,
            line=error.line,
        ) from None
