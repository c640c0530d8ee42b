"""One watched artist, as validated from the watchlist."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any


@dataclass(frozen=True)
class Artist:
    """One watched artist, validated. Phrases are kept as written in the watchlist."""

    id: str
    """Slug, the ``artists.id`` key (``slugify(name)`` unless the watchlist sets ``id``)."""
    name: str
    """Canonical name; always matched, a strong mention."""
    aliases: tuple[str, ...] = ()
    """Other names that are strong mentions wherever they occur."""
    weak_aliases: tuple[str, ...] = ()
    """Names counted only in articles that also have a strong mention of the artist."""
    exclude: tuple[str, ...] = ()
    """Phrases that are not this artist; a match overlapping one is not counted."""
    case_sensitive: tuple[str, ...] = ()
    """Phrases that match only with the capitalisation written here (or in an all-caps line)."""
    wikidata: str | None = None
    """Optional Wikidata item id (``Q11975``)."""
    shared: tuple[str, ...] = ()
    """Names this artist knowingly shares with another artist (both count)."""

    @property
    def names(self) -> tuple[str, ...]:
        """The canonical name followed by the strong aliases."""
        return (self.name, *self.aliases)

    def to_dict(self) -> dict[str, Any]:
        """The artist as a watchlist entry (plain lists, empty fields left out)."""
        data = {k: list(v) if isinstance(v, tuple) else v for k, v in asdict(self).items()}
        return {k: v for k, v in data.items() if v not in ((), [], None)}
