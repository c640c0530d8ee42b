"""Errors that reach users as one clear line."""

from __future__ import annotations


class NewscrawlError(Exception):
    """Base class for user-facing errors: the message is shown without a traceback."""


class ConfigError(NewscrawlError):
    """A configuration file is missing or malformed.

    The message names the file, the entry (source id / artist name) and the field,
    and the line when it is known, e.g.
    ``sources.yml:12: source 'popwire': field 'max_pages': expected an integer, got 'ten'``.
    """

    def __init__(
        self,
        message: str,
        *,
        path: str | None = None,
        entry: str | None = None,
        field: str | None = None,
        line: int | None = None,
    ) -> None:
        self.path = path
        self.entry = entry
        self.field = field
        self.line = line
        self.detail = message
        where = ""
        if path:
            where = f"{path}:{line}: " if line else f"{path}: "
        parts = []
        if entry is not None:
            parts.append(entry)
        if field is not None:
            parts.append(f"field '{field}'")
        prefix = ": ".join(parts)
        super().__init__(f"{where}{prefix + ': ' if prefix else ''}{message}")
