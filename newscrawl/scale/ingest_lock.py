"""The lock that makes one ingester the only writer of a Redis queue's archive.

A Redis key (``<prefix>:ingester``) holds the holder's host, pid and start time and
expires unless renewed, so a lock whose ingester died lapses on its own. On the same
host a dead holder is replaced at once (its pid is gone); a holder elsewhere is only
ever waited out, since this host cannot tell whether it still runs.
"""

from __future__ import annotations

import json
import logging
import os
import socket
import time
from typing import TYPE_CHECKING

from newscrawl.errors import NewscrawlError
from newscrawl.scale.redis_queue import redacted

if TYPE_CHECKING:
    import redis

logger = logging.getLogger(__name__)

# Renew if this value is still ours (a lapsed lock may belong to another ingester now).
_RENEW = """
if redis.call('GET', KEYS[1]) == ARGV[1] then
  return redis.call('PEXPIRE', KEYS[1], ARGV[2])
end
return 0
"""
# Take over a lock whose value is still the one we saw (its holder is dead).
_TAKE_OVER = """
if redis.call('GET', KEYS[1]) == ARGV[1] then
  redis.call('SET', KEYS[1], ARGV[2], 'PX', ARGV[3])
  return 1
end
return 0
"""
# Release only our own lock (after a lapse it may be another ingester's).
_RELEASE = "if redis.call('GET', KEYS[1]) == ARGV[1] then redis.call('DEL', KEYS[1]) end"


class IngesterLock:
    """The lock ``key`` on ``server``, held for ``ttl_ms`` between renewals."""

    def __init__(self, server: redis.Redis, key: str, *, ttl_ms: int, queue: str, url: str):
        self.server = server
        self.key = key
        self.ttl_ms = ttl_ms
        self.queue = queue  # for the error message: the queue it guards
        self.url = url
        self.value = json.dumps(
            {"host": socket.gethostname(), "pid": os.getpid(), "at": time.time()}
        )

    def acquire(self) -> None:
        """Become the one ingester of this queue. A holder on this host whose process
        is gone (killed) is replaced at once; any other holder is an error."""
        if self.server.set(self.key, self.value, nx=True, px=self.ttl_ms):
            return
        held = self.server.get(self.key)
        if held is None:  # released in between
            return self.acquire()
        if _holder_is_dead(held) and self.server.eval(
            _TAKE_OVER, 1, self.key, held, self.value, self.ttl_ms
        ):
            logger.info("Took over the lock of an ingester that is no longer running")
            return
        try:
            holder = json.loads(held)
        except ValueError:
            holder = {}
        expires = max(0, self.server.pttl(self.key)) / 1000
        raise NewscrawlError(
            f"another ingester is draining {self.queue} on {redacted(self.url)}"
            f" (host {holder.get('host')}, pid {holder.get('pid')}); if it is gone, its"
            f" lock expires in {expires:.0f} s"
        )

    def renew(self) -> None:
        if not self.server.eval(_RENEW, 1, self.key, self.value, self.ttl_ms):
            # Lapsed (a stall longer than the lock): get it back before going on.
            self.acquire()

    def release(self) -> None:
        self.server.eval(_RELEASE, 1, self.key, self.value)


def _holder_is_dead(held: bytes) -> bool:
    try:
        holder = json.loads(held)
    except ValueError:
        return False
    if holder.get("host") != socket.gethostname():
        return False
    try:
        os.kill(int(holder["pid"]), 0)
    except ProcessLookupError:
        return True
    except (PermissionError, KeyError, ValueError):
        return False
    return False
