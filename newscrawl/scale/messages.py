"""Redis mode: the format of the messages workers push and the ingester applies.

In Redis mode a worker runs WARC → extract → tag and then, instead of writing SQLite,
pushes one JSON message per outcome onto the list ``<prefix>:items``; ``newscrawl
ingest`` (:mod:`newscrawl.scale.ingest`) is the single writer that drains it into the
archive through the dedupe and store steps. Every message is an object with ``v``
(format version, 1), ``type``, ``run`` (the worker run that sent it) and ``seq`` (its
position among that run's messages, from 1), plus:

* ``run_start``: ``spider``, ``args``, ``settings``, ``host``, ``pid``, ``version``,
  ``started_at``, ``sources`` and ``artists`` (the configuration to sync) and
  ``active_artist_ids``;
* ``article``: ``article``, the :class:`~newscrawl.items.Article` fields with its
  mentions (no page body: the raw response is in the worker's WARC files);
* ``not_modified``: ``answer``, the :class:`~newscrawl.items.NotModified` fields (a 304
  to a conditional refetch, :mod:`newscrawl.scale.refresh_queue`);
* ``drop``: ``drop``, the :class:`~newscrawl.store.Drop` fields;
* ``run_finish``: ``finish_reason``, ``finished_at``, ``counts``, ``per_source``, ``stats``;
* ``changed``: ``url``, ``source_id``, ``evidence`` (the channel's ``lastmod`` /
  ``updated``), ``queue`` and ``seen`` (the reporting worker's keys): a channel dates a
  page the worker had requested before; the ingester may queue a refetch
  (:func:`newscrawl.scale.refresh_queue.refetch_if_changed`).

``run`` + ``seq`` let the ingester apply every message exactly once, even when it
replays a batch after a crash.
"""

from __future__ import annotations

import dataclasses
import json
from typing import Any

from newscrawl.items import Article, Mention, NotModified
from newscrawl.store import Drop

MESSAGE_VERSION = 1
MESSAGE_TYPES = ("run_start", "article", "not_modified", "drop", "run_finish", "changed")

# Channel dates a "changed" message carries (what RefreshPolicy compares).
CHANGE_DATES = ("lastmod", "updated")


class MessageError(ValueError):
    """A queue message that cannot be read (bad JSON, unknown version or type)."""


def encode(message: dict[str, Any]) -> bytes:
    """One message as compact UTF-8 JSON."""
    return json.dumps(message, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def decode(raw: bytes | str) -> dict[str, Any]:
    """Parse and check one message; raises :class:`MessageError`."""
    try:
        message = json.loads(raw)
    except (ValueError, UnicodeDecodeError) as error:
        raise MessageError(f"not JSON: {error}") from None
    if not isinstance(message, dict):
        raise MessageError("not a JSON object")
    if message.get("v") != MESSAGE_VERSION:
        raise MessageError(f"unknown message version {message.get('v')!r}")
    if message.get("type") not in MESSAGE_TYPES:
        raise MessageError(f"unknown message type {message.get('type')!r}")
    if not isinstance(message.get("run"), str) or not isinstance(message.get("seq"), int):
        raise MessageError("message without run and seq")
    return message


_ARTICLE_FIELDS = frozenset(f.name for f in dataclasses.fields(Article))
_MENTION_FIELDS = frozenset(f.name for f in dataclasses.fields(Mention))
_DROP_FIELDS = frozenset(f.name for f in dataclasses.fields(Drop))


def article_to_dict(article: Article) -> dict[str, Any]:
    """The article's fields, mentions included, as JSON-ready values."""
    return dataclasses.asdict(article)


def article_from_dict(data: dict[str, Any]) -> Article:
    """Rebuild an :class:`Article` (fields unknown to this version are ignored)."""
    values = {k: v for k, v in data.items() if k in _ARTICLE_FIELDS and k != "mentions"}
    mentions = [
        Mention(**{k: v for k, v in m.items() if k in _MENTION_FIELDS})
        for m in data.get("mentions") or []
    ]
    return Article(**values, mentions=mentions)


_ANSWER_FIELDS = frozenset(f.name for f in dataclasses.fields(NotModified))


def not_modified_message(answer: NotModified) -> dict[str, Any]:
    """The message of a 304 answer to a conditional refetch."""
    return {"type": "not_modified", "answer": dataclasses.asdict(answer)}


def not_modified_from_dict(data: dict[str, Any]) -> NotModified:
    return NotModified(**{k: v for k, v in data.items() if k in _ANSWER_FIELDS})


def drop_from_dict(data: dict[str, Any]) -> Drop:
    return Drop(**{k: v for k, v in data.items() if k in _DROP_FIELDS})


def source_record(source: Any) -> dict[str, Any]:
    """What :meth:`Archive.sync_sources` stores about a source."""
    return {
        "id": source.id,
        "name": source.name,
        "homepage": source.homepage,
        "allowed_domains": list(source.allowed_domains),
        "config": source.to_dict() if hasattr(source, "to_dict") else None,
    }


def artist_record(artist: Any) -> dict[str, Any]:
    """What :meth:`Archive.sync_artists` stores about an artist."""
    return {
        "id": artist.id,
        "name": artist.name,
        "aliases": list(getattr(artist, "aliases", ()) or ()),
        "wikidata": getattr(artist, "wikidata", None),
    }
