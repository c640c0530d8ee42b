"""Checks of the ``NEWSCRAWL_*`` settings that are numbers or flags (and of the WARC
file-name prefix).

A crawl given ``-s NEWSCRAWL_BATCH_SIZE=ten`` must stop at once with a line naming the
setting, not fail later inside a pipeline: the spider calls :func:`check_settings`
before anything is fetched.
"""

from __future__ import annotations

from typing import Any

from newscrawl.errors import ConfigError

# name -> (kind, minimum, maximum) of the NEWSCRAWL_* settings that are numbers or flags
NUMERIC_SETTINGS = {
    "NEWSCRAWL_WARC_GZIP_LEVEL": (int, 0, 9),
    "NEWSCRAWL_WARC_MAX_SIZE": (int, 1, None),
    "NEWSCRAWL_BATCH_SIZE": (int, 1, None),
    "NEWSCRAWL_EXTRACT_WORKERS": (int, 0, None),
    "NEWSCRAWL_EXTRACT_TIMEOUT": (float, 0, None),
    "NEWSCRAWL_MIN_WORDS": (int, 0, None),
    "NEWSCRAWL_PROGRESS_INTERVAL": (float, 0, None),
    "NEWSCRAWL_MAX_CRAWL_DELAY": (float, 0, None),
    "NEWSCRAWL_MAX_RETRY_AFTER": (float, 0, None),
    "NEWSCRAWL_RETRY_BACKOFF": (float, 0, None),
    "NEWSCRAWL_THROTTLED_MIN_DELAY": (float, 0, None),
    "NEWSCRAWL_REDIS_WORKER_TTL": (float, 0, None),
    "NEWSCRAWL_REDIS_HOLD_POLL": (float, 0.01, None),
    "NEWSCRAWL_INCREMENTAL": (bool, None, None),
    "NEWSCRAWL_CONDITIONAL_REQUESTS": (bool, None, None),
    "NEWSCRAWL_WARC_ENABLED": (bool, None, None),
}
_FLAGS = {"1": True, "0": False, "true": True, "false": False}


def check_settings(settings: Any) -> None:
    """A ConfigError naming the first NEWSCRAWL_* setting whose value is not of its kind
    (an unset or empty one takes its default)."""
    for name, (kind, minimum, maximum) in NUMERIC_SETTINGS.items():
        value = settings.get(name)
        if value is None or value == "" or isinstance(value, bool):
            continue
        if kind is bool:
            if str(value).strip().lower() not in _FLAGS:
                raise ConfigError(
                    f"expected true or false (1 or 0), got {value!r}", path="settings", field=name
                )
            continue
        try:
            number = kind(value)
        except (TypeError, ValueError):
            number = None
        if number is None or number != number or number in (float("inf"), float("-inf")):
            ok = False
        else:
            ok = number >= minimum and (maximum is None or number <= maximum)
        if not ok:
            what = "a whole number" if kind is int else "a number"
            span = f"{minimum} to {maximum}" if maximum is not None else f"{minimum} or more"
            raise ConfigError(
                f"expected {what}, {span}, got {value!r}", path="settings", field=name
            )
    prefix = settings.get("NEWSCRAWL_WARC_PREFIX")
    # Part of a file name in NEWSCRAWL_WARC_DIR: with a "/" the first WARC write failed
    # mid-crawl ("No such file or directory"), naming the folder but not the setting.
    if prefix and any(char in str(prefix) for char in "/\\\0"):
        raise ConfigError(
            f"expected the first part of a file name (no '/', '\\'), got {prefix!r}",
            path="settings",
            field="NEWSCRAWL_WARC_PREFIX",
        )
