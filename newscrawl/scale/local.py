"""A throwaway local ``redis-server`` for tests, benchmarks and trying Redis mode on one
machine: 127.0.0.1, a free port, no persistence, its files in a temporary folder.

>>> with RedisServer() as server:              # doctest: +SKIP
...     server.url
'redis://127.0.0.1:41234/0'
"""

from __future__ import annotations

import shutil
import socket
import subprocess
import tempfile
import time
from pathlib import Path

from newscrawl.errors import NewscrawlError


def free_port(host: str = "127.0.0.1") -> int:
    """A TCP port nobody listens on right now."""
    with socket.socket() as probe:
        probe.bind((host, 0))
        return probe.getsockname()[1]


class RedisServer:
    """Run ``redis-server`` until :meth:`stop` (or the end of a ``with`` block)."""

    def __init__(self, *, executable: str | None = None, host: str = "127.0.0.1") -> None:
        self.executable = executable or shutil.which("redis-server") or "/usr/bin/redis-server"
        if not Path(self.executable).exists():
            raise NewscrawlError(
                "redis-server not found: install it (apt-get install redis-server)"
            )
        self.host = host
        self.port = 0
        self.process: subprocess.Popen | None = None
        self._dir: tempfile.TemporaryDirectory | None = None

    @property
    def url(self) -> str:
        return f"redis://{self.host}:{self.port}/0"

    def start(self, timeout: float = 10.0) -> RedisServer:
        import redis

        self._dir = tempfile.TemporaryDirectory(prefix="newscrawl-redis-")
        self.port = free_port(self.host)
        self.process = subprocess.Popen(
            [
                self.executable,
                "--port",
                str(self.port),
                "--bind",
                self.host,
                "--save",
                "",
                "--appendonly",
                "no",
                "--dir",
                self._dir.name,
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.STDOUT,
        )
        deadline = time.monotonic() + timeout
        client = redis.Redis(host=self.host, port=self.port, socket_connect_timeout=1)
        try:
            while True:
                try:
                    client.ping()
                    return self
                except redis.ConnectionError:
                    if self.process.poll() is not None or time.monotonic() > deadline:
                        self.stop()
                        raise NewscrawlError(
                            f"redis-server did not start on {self.host}:{self.port}"
                        ) from None
                    time.sleep(0.05)
        finally:
            client.close()

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.process = None
        if self._dir is not None:
            self._dir.cleanup()
            self._dir = None

    def __enter__(self) -> RedisServer:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()
