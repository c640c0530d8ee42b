"""The watchlist: which artists to tag, under which names, loaded and validated.

The format is described in ``docs/artists.md`` and in the header of the packaged
``newscrawl/data/artists.yml``; the rules are in :mod:`newscrawl.artists.validation`.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING, Any

import yaml

from newscrawl.artists.artist import Artist
from newscrawl.artists.normalize import fold_phrase
from newscrawl.artists.validation import collect_lines, validate
from newscrawl.errors import ConfigError
from newscrawl.plain_yaml import reject_tags

if TYPE_CHECKING:
    from newscrawl.artists.matcher import Matcher

DEFAULT_ARTISTS_PATH = Path(str(resources.files("newscrawl") / "data" / "artists.yml"))
"""The packaged default watchlist."""


class Watchlist:
    """A validated list of artists; :meth:`matcher` compiles them for tagging."""

    def __init__(self, artists: Iterable[Artist], *, path: str = "<inline>") -> None:
        self.artists: list[Artist] = list(artists)
        self.path = path
        self._by_id = {artist.id: artist for artist in self.artists}
        self._matcher: Matcher | None = None

    @classmethod
    def from_dicts(cls, entries: Iterable[Mapping[str, Any]], path: str = "<inline>") -> Watchlist:
        """Validate watchlist entries given as Python dicts (same rules as the YAML file)."""
        data = entries if isinstance(entries, Mapping) else {"artists": list(entries)}
        return cls(validate(data, path=path), path=path)

    def select(self, names: Iterable[str]) -> Watchlist:
        """The artists named by ``names`` (names, aliases or ids; case-insensitive).

        A name shared by several artists selects all of them; an unknown name is a
        :class:`ConfigError` naming it.
        """
        if isinstance(names, str):
            names = [names]
        index: dict[str, set[str]] = {}
        for artist in self.artists:
            for phrase in (*artist.names, *artist.weak_aliases, artist.id):
                index.setdefault(fold_phrase(phrase), set()).add(artist.id)
        wanted: set[str] = set()
        for name in names:
            found = index.get(fold_phrase(name))
            if not found:
                raise ConfigError(
                    f"unknown artist {name.strip()!r} (not a name, alias or id in the watchlist)",
                    path=self.path,
                )
            wanted |= found
        return Watchlist([a for a in self.artists if a.id in wanted], path=self.path)

    def by_id(self, artist_id: str) -> Artist:
        """The artist with this slug; ``KeyError`` when there is none."""
        try:
            return self._by_id[artist_id]
        except KeyError:
            raise KeyError(f"no artist with id {artist_id!r} in {self.path}") from None

    def matcher(self) -> Matcher:
        """The compiled :class:`~newscrawl.artists.matcher.Matcher` (built once, then reused)."""
        if self._matcher is None:
            from newscrawl.artists.matcher import Matcher

            self._matcher = Matcher(self.artists)
        return self._matcher

    def to_dicts(self) -> list[dict[str, Any]]:
        """The watchlist as plain entries, suitable for :meth:`from_dicts` or YAML."""
        return [artist.to_dict() for artist in self.artists]

    def __len__(self) -> int:
        return len(self.artists)

    def __iter__(self) -> Iterator[Artist]:
        return iter(self.artists)

    def __repr__(self) -> str:
        return f"<Watchlist {self.path}: {len(self.artists)} artists>"


def load_watchlist(path: str | Path | None = None) -> Watchlist:
    """Load and validate a watchlist YAML file (the packaged default when ``path`` is None).

    Raises :class:`ConfigError` naming the file, artist, field and line of the problem.
    """
    path = Path(path) if path is not None else DEFAULT_ARTISTS_PATH
    name = str(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError("file not found", path=name) from None
    except UnicodeDecodeError as error:
        raise ConfigError(f"not UTF-8 text ({error.reason})", path=name) from None
    except OSError as error:
        raise ConfigError(error.strerror or str(error), path=name) from None
    loader = yaml.SafeLoader(text)
    try:
        node = loader.get_single_node()
        if node is not None:
            # Before building anything, with the message sources.yml gives.
            reject_tags(node, name)
        data = loader.construct_document(node) if node is not None else None
    except yaml.MarkedYAMLError as error:
        mark = error.problem_mark or error.context_mark
        line = mark.line + 1 if mark else None
        problem = error.problem or error.context or "invalid YAML"
        raise ConfigError(f"invalid YAML: {problem}", path=name, line=line) from None
    except yaml.YAMLError as error:
        raise ConfigError(f"invalid YAML: {error}", path=name) from None
    finally:
        loader.dispose()
    lines: dict[tuple, int] = {}
    if node is not None:
        collect_lines(node, (), lines, name)
    return Watchlist(validate(data, path=name, lines=lines), path=name)
