"""Watchlist validation: plain data (from YAML or dicts) in, :class:`Artist` list out.

Every problem is a :class:`~newscrawl.errors.ConfigError` naming the file, the artist,
the field and, for YAML files, the line (from the YAML node marks collected by
:func:`collect_lines`).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

import yaml

from newscrawl.artists.artist import Artist
from newscrawl.artists.normalize import fold_phrase, slugify
from newscrawl.errors import ConfigError

PHRASE_LISTS = ("aliases", "weak_aliases", "exclude")
FIELDS = ("name", "id", *PHRASE_LISTS, "case_sensitive", "shared", "wikidata")
# Roles of a phrase within one artist; a phrase may not be in two of these groups.
_GROUP = {"name": "strong", "aliases": "strong", "weak_aliases": "weak", "exclude": "exclude"}
_WIKIDATA = re.compile(r"Q[1-9][0-9]*")
_SLUG = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)*")


def validate(data: Any, *, path: str, lines: dict[tuple, int] | None = None) -> list[Artist]:
    """The artists of a parsed watchlist (``{"artists": [...]}``), or a ConfigError.

    ``lines`` maps node paths (``("artists", 0, "aliases", 1)``) to YAML lines.
    """
    return _Validator(path, lines or {}).artists(data)


def collect_lines(node: yaml.Node, where: tuple, lines: dict[tuple, int], path: str) -> None:
    """Record the line of every node under ``where`` (a path of keys and indexes).

    ``where + ("key",)`` holds the line of a mapping key itself. Duplicate keys, which
    PyYAML would silently collapse, are reported here.
    """
    lines[where] = node.start_mark.line + 1
    if isinstance(node, yaml.MappingNode):
        seen: set[Any] = set()
        for key_node, value_node in node.value:
            key = key_node.value if isinstance(key_node, yaml.ScalarNode) else None
            if key in seen:
                raise ConfigError(
                    f"key {key!r} appears twice in the same mapping",
                    path=path,
                    line=key_node.start_mark.line + 1,
                )
            seen.add(key)
            lines[(*where, key, "key")] = key_node.start_mark.line + 1
            collect_lines(value_node, (*where, key), lines, path)
    elif isinstance(node, yaml.SequenceNode):
        for index, item in enumerate(node.value):
            collect_lines(item, (*where, index), lines, path)


def _describe(value: Any) -> str:
    if value is None:
        return "nothing (null)"
    if isinstance(value, bool):
        return f"a boolean ({str(value).lower()}; quote it if it is a name)"
    if isinstance(value, int | float):
        return f"a number ({value}; quote it if it is a name)"
    if isinstance(value, str):
        return f"{value!r}"
    return f"a {type(value).__name__}"


class _Validator:
    """Checks plain data (from YAML or from dicts) and builds the :class:`Watchlist`."""

    def __init__(self, path: str, lines: dict[tuple, int]) -> None:
        self.path = path
        self.lines = lines

    def error(self, message: str, where: tuple, *, entry: str | None = None, field=None):
        line = None
        probe = where
        while probe and line is None:
            line = self.lines.get(probe)
            probe = probe[:-1]
        return ConfigError(
            message, path=self.path, entry=entry, field=field, line=line or self.lines.get(())
        )

    def at(self, where: tuple) -> str:
        """`` (line N)`` when the line of ``where`` is known, else nothing."""
        line = self.lines.get(where)
        return f" (line {line})" if line else ""

    def artists(self, data: Any) -> list[Artist]:
        if data is None:
            raise self.error("the file is empty; expected a mapping with an 'artists:' list", ())
        if not isinstance(data, Mapping):
            hint = " (start the file with 'artists:')" if isinstance(data, list) else ""
            raise self.error(
                f"expected a mapping with an 'artists:' list, got {_describe(data)}{hint}", ()
            )
        unknown = [key for key in data if key != "artists"]
        if unknown:
            raise self.error(
                f"unknown top-level key {unknown[0]!r} (expected only 'artists')",
                (unknown[0], "key"),
            )
        if "artists" not in data:
            raise self.error("missing the 'artists:' list", ())
        entries = data["artists"]
        if entries is None:
            entries = []
        if not isinstance(entries, list):
            raise self.error(
                f"'artists' must be a list of artists, got {_describe(entries)}", ("artists",)
            )
        artists = [self.artist(entry, index) for index, entry in enumerate(entries)]
        self.check_unique(artists)
        return artists

    def artist(self, entry: Any, index: int) -> Artist:
        where = ("artists", index)
        label = f"artist #{index + 1}"
        if not isinstance(entry, Mapping):
            raise self.error(
                f"expected a mapping with at least 'name', got {_describe(entry)}",
                where,
                entry=label,
            )
        name = entry.get("name")
        if isinstance(name, str) and name.strip():
            label = f"artist {name.strip()!r}"
        for key in entry:
            if key not in FIELDS:
                raise self.error(
                    f"unknown field (expected one of: {', '.join(FIELDS)})",
                    (*where, key, "key"),
                    entry=label,
                    field=str(key),
                )
        if "name" not in entry:
            raise self.error(
                "missing (every artist needs a name)", where, entry=label, field="name"
            )
        name = self.phrase(entry["name"], (*where, "name"), label, "name")
        lists = {
            key: self.phrases(entry.get(key), (*where, key), label, key)
            for key in (*PHRASE_LISTS, "shared")
        }
        roles: dict[str, tuple[str, str]] = {fold_phrase(name): ("name", name)}
        # Every spelling of a name, alias or weak alias as written (GaGa beside Gaga):
        # what `case_sensitive: true` allows.
        spellings = list(dict.fromkeys([name, *lists["aliases"], *lists["weak_aliases"]]))
        for key in PHRASE_LISTS:
            unique = []
            for position, phrase in enumerate(lists[key]):
                folded = fold_phrase(phrase)
                if folded in roles:
                    other, written = roles[folded]
                    if _GROUP[other] == _GROUP[key]:
                        if other != key:  # "Beyonce" beside "Beyoncé": harmless, kept
                            roles[folded] = (key, phrase)
                            unique.append(phrase)
                        continue
                    raise self.error(
                        f"{phrase!r} is also listed under '{other}' ({written!r}); "
                        "a phrase has one role per artist",
                        (*where, key, position),
                        entry=label,
                        field=key,
                    )
                roles[folded] = (key, phrase)
                unique.append(phrase)
            lists[key] = unique
        case_sensitive = self.case_sensitive(
            entry.get("case_sensitive"), where, label, roles, spellings
        )
        for position, phrase in enumerate(lists["shared"]):
            if roles.get(fold_phrase(phrase), ("exclude",))[0] == "exclude":
                raise self.error(
                    f"{phrase!r} is not one of this artist's name, aliases or weak_aliases",
                    (*where, "shared", position),
                    entry=label,
                    field="shared",
                )
        wikidata = entry.get("wikidata")
        if wikidata is not None and (
            not isinstance(wikidata, str) or not _WIKIDATA.fullmatch(wikidata.strip())
        ):
            raise self.error(
                f"expected a Wikidata item id like 'Q11975', got {_describe(wikidata)}",
                (*where, "wikidata"),
                entry=label,
                field="wikidata",
            )
        artist_id = entry.get("id")
        if artist_id is None:
            artist_id = slugify(name)
            if not artist_id:
                raise self.error(
                    "cannot make an id from this name; add an 'id:' (lowercase letters, "
                    "digits, hyphens)",
                    (*where, "name"),
                    entry=label,
                    field="name",
                )
        elif not isinstance(artist_id, str) or not _SLUG.fullmatch(artist_id):
            raise self.error(
                f"expected a slug (lowercase letters, digits, hyphens), got {_describe(artist_id)}",
                (*where, "id"),
                entry=label,
                field="id",
            )
        return Artist(
            id=artist_id,
            name=name,
            aliases=tuple(lists["aliases"]),
            weak_aliases=tuple(lists["weak_aliases"]),
            exclude=tuple(lists["exclude"]),
            case_sensitive=case_sensitive,
            wikidata=wikidata.strip() if wikidata else None,
            shared=tuple(lists["shared"]),
        )

    def phrase(self, value: Any, where: tuple, label: str, field: str) -> str:
        if not isinstance(value, str):
            raise self.error(
                f"expected text, got {_describe(value)}", where, entry=label, field=field
            )
        value = " ".join(value.split())
        if not value:
            raise self.error("must not be empty", where, entry=label, field=field)
        if not any(c.isalnum() for c in fold_phrase(value)):
            raise self.error(
                f"{value!r} has no letters or digits to match", where, entry=label, field=field
            )
        return value

    def phrases(self, value: Any, where: tuple, label: str, field: str) -> list[str]:
        if value is None:
            return []
        if not isinstance(value, list):
            raise self.error(
                f"expected a list of names (e.g. [A, B]), got {_describe(value)}",
                where,
                entry=label,
                field=field,
            )
        return [
            self.phrase(item, (*where, position), label, field)
            for position, item in enumerate(value)
        ]

    def case_sensitive(
        self,
        value: Any,
        where: tuple,
        label: str,
        roles: dict[str, tuple[str, str]],
        spellings: list[str],
    ) -> tuple[str, ...]:
        where = (*where, "case_sensitive")
        if value is None or value is False:
            return ()
        if value is True:
            return tuple(spellings)
        phrases = self.phrases(value, where, label, "case_sensitive")
        for position, phrase in enumerate(phrases):
            if fold_phrase(phrase) not in roles:
                raise self.error(
                    f"{phrase!r} is not one of this artist's name, aliases, weak_aliases or "
                    "exclude phrases",
                    (*where, position),
                    entry=label,
                    field="case_sensitive",
                )
        return tuple(phrases)

    def check_unique(self, artists: list[Artist]) -> None:
        ids: dict[str, int] = {}
        claims: dict[str, tuple[int, str]] = {}
        for index, artist in enumerate(artists):
            where = ("artists", index)
            label = f"artist {artist.name!r}"
            shared = {fold_phrase(p) for p in artist.shared}
            positions = [("name", None, artist.name)]
            positions += [("aliases", i, p) for i, p in enumerate(artist.aliases)]
            positions += [("weak_aliases", i, p) for i, p in enumerate(artist.weak_aliases)]
            for field, position, phrase in positions:
                folded = fold_phrase(phrase)
                if folded in claims and claims[folded][0] != index:
                    other_index, other_phrase = claims[folded]
                    other = artists[other_index]
                    if folded in shared and folded in {fold_phrase(p) for p in other.shared}:
                        continue
                    spot = (*where, field) if position is None else (*where, field, position)
                    raise self.error(
                        f"{phrase!r} is also a name of artist {other.name!r} "
                        f"({other_phrase!r}{self.at(('artists', other_index))}); "
                        "if both really go by it, list it under "
                        "'shared:' in both artists",
                        spot,
                        entry=label,
                        field=field,
                    )
                claims.setdefault(folded, (index, phrase))
            if artist.id in ids:
                other = artists[ids[artist.id]]
                raise self.error(
                    f"id {artist.id!r} is already used by artist {other.name!r}"
                    f"{self.at(('artists', ids[artist.id]))}; give one of them a distinct 'id:'",
                    (*where, "id") if (*where, "id") in self.lines else (*where, "name"),
                    entry=label,
                    field="id",
                )
            ids[artist.id] = index
