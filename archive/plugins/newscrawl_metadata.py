"""Apply the archive metadata to every attached newscrawl archive, whatever its file name.

Datasette 0.65 keys database metadata (descriptions, facets, canned queries) by database
name, which is the file stem: archive/archive.db is ``archive``, the demo is ``demo``, a
published copy may be ``news-2024``. metadata.yml keeps the database part once, under
``plugins: newscrawl: database:``; this hook serves it as ``databases: <name>:`` for each
attached database that has the newscrawl tables. Local metadata still takes precedence,
so an explicit ``databases: <name>:`` entry in metadata.yml overrides single keys.

Self-contained (standard library and Datasette only) so that ``datasette publish ...
--plugins-dir archive/plugins`` works without installing newscrawl.
"""

import json
import sqlite3
import time
from urllib.parse import quote

from datasette import hookimpl
from datasette.utils import tilde_encode

ARCHIVE_TABLES = {"articles", "mentions", "artists", "sources"}
RECHECK_SECONDS = 10


def _cache(datasette):
    # Per Datasette instance: tests and embedders may run several in one process.
    return datasette.__dict__.setdefault("_newscrawl_metadata_cache", {})


def template(datasette):
    """The ``plugins: newscrawl: database:`` block of the local metadata, or None."""
    # Read the local metadata directly: datasette.plugin_config() would call metadata(),
    # which calls this hook again.
    local = getattr(datasette, "_metadata_local", None) or {}
    return ((local.get("plugins") or {}).get("newscrawl") or {}).get("database")


def is_archive(datasette, name):
    """True when the attached database ``name`` has the newscrawl tables."""
    db = datasette.databases.get(name)
    if db is None or db.is_memory or not db.path or name == "_internal":
        return False
    cache = _cache(datasette)
    key = ("is_archive", name, db.path)
    found, checked_at = cache.get(key, (False, None))
    # A yes is final; a no is asked again now and then, since an empty file that a crawl
    # is about to migrate becomes an archive while Datasette runs.
    if found or (checked_at is not None and time.monotonic() - checked_at < RECHECK_SECONDS):
        return found
    mode = "immutable=1" if not db.is_mutable else "mode=ro"
    try:
        conn = sqlite3.connect(f"file:{quote(str(db.path))}?{mode}", uri=True)
        try:
            tables = {
                row[0]
                for row in conn.execute("select name from sqlite_master where type = 'table'")
            }
        finally:
            conn.close()
    except sqlite3.Error:
        tables = set()
    found = ARCHIVE_TABLES.issubset(tables)
    cache[key] = (found, time.monotonic())
    return found


def archive_names(datasette):
    """Names of the attached databases that are newscrawl archives, in attach order."""
    return [name for name in list(datasette.databases) if is_archive(datasette, name)]


def _database_metadata(datasette, name, block):
    cache = _cache(datasette)
    if cache.get("template") is not block:
        cache["template"], cache["template_json"] = block, json.dumps(block)
    metadata = json.loads(cache["template_json"])
    if "description_html" in metadata:
        metadata["description_html"] = (
            metadata["description_html"]
            .replace("{database_url}", datasette.urls.database(name))
            .replace("{charts_url}", datasette.urls.path(f"/-/charts/{tilde_encode(name)}"))
        )
    return metadata


@hookimpl
def get_metadata(datasette, key, database, table):
    block = template(datasette)
    if not block:
        return {}
    # A fresh copy on every call: Datasette merges metadata sources in place.
    return {
        "databases": {
            name: _database_metadata(datasette, name, block) for name in archive_names(datasette)
        }
    }
