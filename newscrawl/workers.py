"""Worker processes driven by the crawl's event loop, for its CPU-heavy steps.

``concurrent.futures.ProcessPoolExecutor`` keeps two helper threads in the crawl
process (a queue feeder and a result manager) and wakes one through a pipe on every
submit. On a two-core machine those threads take the GIL from the reactor at every
hand-off, and the reactor, the one thread that downloads, waits for it back: measured
with py-spy, 14% of the reactor's time went to that one wake-up write
(docs/benchmarks.md). Here the event loop itself writes each task to a worker's pipe
and reads results from the worker's result pipe as they become readable: no helper
thread, no GIL hand-off. A worker whose task pipe closes (the crawl ended or died)
exits, and a worker that dies mid-task fails only its own tasks and is replaced.

Workers run at a lower CPU priority (``niceness``): when cores are short the reactor,
which feeds every other step, keeps its core, and extraction uses what is left.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import pickle
import struct
from collections import deque
from collections.abc import Callable
from multiprocessing import get_context
from multiprocessing.connection import Connection
from typing import Any

# The framing of multiprocessing.Connection.send_bytes / recv_bytes (payloads < 2 GiB).
_HEADER = struct.Struct("!i")
# Tasks sent to a worker at once (one running, the rest waiting in its pipe), so a
# worker never idles while the loop is busy elsewhere: with two, workers waited for the
# reactor between pages (bench/crawl.py). The rest wait here, in submission order.
_PER_WORKER = 8


class WorkerDied(RuntimeError):
    """A worker process ended while it held the task (crashed or was killed)."""


def _serve(
    tasks: Connection, results: Connection, niceness: int, initializer: Callable | None, initargs
) -> None:
    """A worker's life: run tasks from ``tasks`` until it closes, answer on ``results``."""
    if niceness:
        with contextlib.suppress(OSError):
            os.nice(niceness)
    if initializer is not None:
        initializer(*initargs)
    while True:
        try:
            message = tasks.recv_bytes()
        except (EOFError, OSError):
            return
        task_id, function, args = pickle.loads(message)
        try:
            outcome = (task_id, True, function(*args))
        except Exception as error:
            outcome = (task_id, False, error)
        try:
            payload = pickle.dumps(outcome, pickle.HIGHEST_PROTOCOL)
        except Exception as error:  # an unpicklable result or exception
            payload = pickle.dumps((task_id, False, RuntimeError(repr(error))))
        try:
            results.send_bytes(payload)
        except OSError:
            return


class _Worker:
    def __init__(self, process: Any, tasks: Connection, results: Connection) -> None:
        self.process = process
        self.tasks = tasks
        self.results = results
        self.in_flight: dict[int, asyncio.Future] = {}
        self.inbox = bytearray()
        self.outbox = bytearray()
        self.registered = False


class WorkerPool:
    """``workers`` processes (forkserver) that run picklable functions for the loop.

    ``await pool.run(function, *args)`` returns ``function(*args)`` computed in a
    worker, or raises its exception (:class:`WorkerDied` if the worker died with it).
    ``preload`` names modules the forkserver imports before forking workers.
    Processes start on the first call; forkserver workers never inherit the reactor,
    its sockets or the database connection.
    """

    def __init__(
        self,
        workers: int,
        *,
        niceness: int = 0,
        initializer: Callable | None = None,
        initargs: tuple = (),
        preload: tuple[str, ...] = (),
    ) -> None:
        self.size = workers
        self.niceness = niceness
        self.initializer = initializer
        self.initargs = initargs
        self._context = get_context("forkserver")
        if preload:
            # Imported once by the forkserver, inherited by every worker it forks (and by
            # a replacement for a dead one), instead of imported again by each worker when
            # it unpickles its first task. "__main__" stays first, as in the default: a
            # worker whose forkserver did not import the main script runs it again.
            # Applies when this process starts its forkserver, i.e. at the first pool.
            self._context.set_forkserver_preload(["__main__", *preload])
        self._workers: list[_Worker] = []
        # Waiting tasks keep references to their arguments, pickled only when sent: a
        # backlog of pages costs no second copy of every body.
        self._pending: deque[tuple[int, Callable, tuple, asyncio.Future]] = deque()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._next_id = 0
        self.closed = False
        self.restarts = 0

    def _spawn(self) -> _Worker:
        task_reader, task_writer = self._context.Pipe(duplex=False)
        result_reader, result_writer = self._context.Pipe(duplex=False)
        process = self._context.Process(
            target=_serve,
            args=(task_reader, result_writer, self.niceness, self.initializer, self.initargs),
            name="newscrawl-worker",
            daemon=True,
        )
        process.start()
        task_reader.close()
        result_writer.close()
        os.set_blocking(task_writer.fileno(), False)
        os.set_blocking(result_reader.fileno(), False)
        return _Worker(process, task_writer, result_reader)

    # -- the loop side ----------------------------------------------------------------

    def _bind(self, loop: asyncio.AbstractEventLoop) -> None:
        if not self._workers:
            self._workers = [self._spawn() for _ in range(self.size)]
        if self._loop is loop:
            return
        for worker in self._workers:
            self._unregister(worker)
        self._loop = loop
        for worker in self._workers:
            self._register(worker)

    def _register(self, worker: _Worker) -> None:
        self._loop.add_reader(worker.results.fileno(), self._readable, worker)
        worker.registered = True

    def _unregister(self, worker: _Worker) -> None:
        if worker.registered and self._loop is not None and not self._loop.is_closed():
            self._loop.remove_reader(worker.results.fileno())
            self._loop.remove_writer(worker.tasks.fileno())
        worker.registered = False

    async def run(self, function: Callable, *args: Any) -> Any:
        """``function(*args)`` in a worker process."""
        if self.closed:
            raise RuntimeError("the worker pool is closed")
        loop = asyncio.get_running_loop()
        self._bind(loop)
        self._next_id += 1
        task_id = self._next_id
        future = loop.create_future()
        self._pending.append((task_id, function, args, future))
        self._dispatch()
        return await future

    def _dispatch(self) -> None:
        while self._pending and self._workers:
            worker = min(self._workers, key=lambda w: len(w.in_flight))
            if len(worker.in_flight) >= _PER_WORKER:
                return
            task_id, function, args, future = self._pending.popleft()
            if future.cancelled():
                continue
            try:
                payload = pickle.dumps((task_id, function, args), pickle.HIGHEST_PROTOCOL)
            except Exception as error:  # an unpicklable argument fails its own task only
                future.set_exception(error)
                continue
            worker.in_flight[task_id] = future
            worker.outbox += _HEADER.pack(len(payload)) + payload
            self._write(worker)

    def _write(self, worker: _Worker) -> None:
        try:
            written = os.write(worker.tasks.fileno(), worker.outbox)
        except BlockingIOError:
            written = 0
        except OSError:  # the worker is gone; its result pipe reports it
            worker.outbox.clear()
            return
        del worker.outbox[:written]
        fd = worker.tasks.fileno()
        if worker.outbox:
            self._loop.add_writer(fd, self._write, worker)
        else:
            self._loop.remove_writer(fd)

    def _readable(self, worker: _Worker) -> None:
        while True:
            try:
                chunk = os.read(worker.results.fileno(), 1 << 20)
            except BlockingIOError:
                break
            except OSError:
                chunk = b""
            if not chunk:
                self._lost(worker)
                return
            worker.inbox += chunk
        inbox = worker.inbox
        offset = 0
        while len(inbox) - offset >= _HEADER.size:
            (size,) = _HEADER.unpack_from(inbox, offset)
            end = offset + _HEADER.size + size
            if len(inbox) < end:
                break
            task_id, ok, value = pickle.loads(memoryview(inbox)[offset + _HEADER.size : end])
            offset = end
            future = worker.in_flight.pop(task_id, None)
            if future is None or future.done():
                continue
            if ok:
                future.set_result(value)
            else:
                future.set_exception(value)
        del inbox[:offset]
        self._dispatch()

    def _lost(self, worker: _Worker) -> None:
        """The worker's result pipe closed: it died. Fail its tasks and replace it."""
        self._unregister(worker)
        worker.tasks.close()
        worker.results.close()
        worker.process.join(timeout=5)
        code = worker.process.exitcode
        for future in worker.in_flight.values():
            if not future.done():
                future.set_exception(WorkerDied(f"extraction worker died (exit code {code})"))
        worker.in_flight.clear()
        self._workers.remove(worker)
        if self.closed:
            return
        replacement = self._spawn()
        self.restarts += 1
        self._workers.append(replacement)
        self._register(replacement)
        self._dispatch()

    # -- shutdown ---------------------------------------------------------------------

    def close(self, *, timeout: float = 10.0) -> None:
        """Stop the workers: close their task pipes (they finish the task in hand and
        exit), wait up to ``timeout`` seconds, then terminate what is left."""
        if self.closed:
            return
        self.closed = True
        for *_, future in self._pending:
            future.cancel()
        self._pending.clear()
        for worker in self._workers:
            self._unregister(worker)
            worker.tasks.close()
        for worker in self._workers:
            worker.process.join(timeout)
            if worker.process.is_alive():
                worker.process.terminate()
                worker.process.join(5)
            worker.results.close()
            for future in worker.in_flight.values():
                if not future.done() and not future.get_loop().is_closed():
                    future.cancel()
        self._workers.clear()
