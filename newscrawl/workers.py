"""Worker processes driven by the crawl's event loop, for its CPU-heavy steps.

``concurrent.futures.ProcessPoolExecutor`` keeps two helper threads in the crawl
process (a queue feeder and a result manager) and wakes one through a pipe on every
submit. On a two-core machine those threads take the GIL from the reactor at every
hand-off, and the reactor, the one thread that downloads, waits for it back: measured
with py-spy, 14% of the reactor's time went to that one wake-up write
(docs/benchmarks.md). Here the event loop itself writes each task to a worker's pipe
and reads results from the worker's result pipe as they become readable: no helper
thread, no GIL hand-off. A worker whose task pipe closes (the crawl ended or died)
exits. A worker that dies mid-task fails the task it was running and is replaced; the
tasks waiting behind it in its pipe go to the workers left. A task that runs past the
pool's ``task_timeout`` (a page that makes libxml2 or a regex take minutes) is stopped
the same way: its worker is killed, the task fails with :class:`TaskTimedOut`, the
others run. The limit is on the CPU time the task uses (read from /proc; wall-clock
time where there is none), from when its worker is started and done with the one
before it: workers run at a low priority, and on a machine kept busy by other work a
page that needs 2.4 s of CPU took minutes of wall-clock time and was stopped as if it
never ended. A task still running after ``_WALL_FACTOR`` times the limit in wall-clock
time (a stuck worker, or one starved of CPU that long) is stopped too.

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
# The id of the frame a worker sends once it is started (task ids start at 1).
_READY = 0
# A task is also stopped after this many times its CPU limit in wall-clock time.
_WALL_FACTOR = 10
_TICKS = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100


def _cpu_seconds(pid: int) -> float | None:
    """CPU time (user + system) process ``pid`` has used, or None where /proc has none."""
    try:
        with open(f"/proc/{pid}/stat", "rb") as stat:
            fields = stat.read().rsplit(b")", 1)[1].split()
    except (OSError, IndexError):
        return None
    # After the command name: state is field 3, utime 14 and stime 15 (proc(5)).
    return (int(fields[11]) + int(fields[12])) / _TICKS


class WorkerDied(RuntimeError):
    """A worker process ended while it ran the task (crashed or was killed)."""


class TaskTimedOut(WorkerDied):
    """The task ran past the pool's ``task_timeout``; its worker was killed."""


def _serve(
    tasks: Connection, results: Connection, niceness: int, initializer: Callable | None, initargs
) -> None:
    """A worker's life: run tasks from ``tasks`` until it closes, answer on ``results``."""
    if niceness:
        with contextlib.suppress(OSError):
            os.nice(niceness)
    if initializer is not None:
        initializer(*initargs)
    try:
        results.send_bytes(pickle.dumps((_READY, True, None)))
    except OSError:
        return
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
        # Sent and not answered, in the order sent (the first is the one running): its
        # future, and its function and arguments, to send it elsewhere if this one dies.
        self.in_flight: dict[int, tuple[asyncio.Future, Callable, tuple]] = {}
        self.running_since = 0.0  # loop time the first task in flight started
        # Started: the forkserver's first fork imports the preloaded modules (0.9 s on a
        # quiet 2-core machine, seconds under load), which is no task's running time.
        self.ready = False
        self.killed_for: int | None = None  # the task it was killed for running too long
        # The running task as the time limit last saw it, and the worker's CPU time then.
        self.timed_task: int | None = None
        self.timed_cpu: float | None = None
        self.timed_since = 0.0
        self.killed_why: str | None = None
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
        task_timeout: float | None = None,
    ) -> None:
        self.size = workers
        self.task_timeout = task_timeout or None
        self._watching = False
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
            if not worker.in_flight:
                worker.running_since = self._loop.time()
            worker.in_flight[task_id] = (future, function, args)
            worker.outbox += _HEADER.pack(len(payload)) + payload
            self._write(worker)
            self._watch_soon()

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
        ended = False
        while True:
            try:
                chunk = os.read(worker.results.fileno(), 1 << 20)
            except BlockingIOError:
                break
            except OSError:
                chunk = b""
            if not chunk:
                ended = True  # the results it sent before it died are read first
                break
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
            future, *_ = worker.in_flight.pop(task_id, (None,))
            worker.running_since = self._loop.time()  # the next task starts now
            if task_id == _READY:
                worker.ready = True
                continue
            if future is None or future.done():
                continue
            if ok:
                future.set_result(value)
            else:
                future.set_exception(value)
        del inbox[:offset]
        if ended:
            self._lost(worker)
            return
        self._dispatch()

    # -- the time limit ---------------------------------------------------------------

    def _watch_soon(self) -> None:
        if self.task_timeout is None or self._watching or self.closed:
            return
        self._watching = True
        self._loop.call_later(min(1.0, self.task_timeout / 4), self._watch)

    def _watch(self) -> None:
        """Kill a worker whose running task passed ``task_timeout``; :meth:`_lost`
        fails that task and sends the others on."""
        self._watching = False
        if self.closed:
            return
        now = self._loop.time()
        for worker in self._workers:
            if not (worker.ready and worker.in_flight and worker.killed_for is None):
                continue
            worker.killed_why = self._overdue(worker, now)
            if worker.killed_why:
                worker.killed_for = next(iter(worker.in_flight))
                with contextlib.suppress(OSError):
                    worker.process.kill()
        if any(worker.in_flight for worker in self._workers):
            self._watch_soon()

    def _overdue(self, worker: _Worker, now: float) -> str | None:
        """How the worker's running task passed the limit, or None: ``task_timeout``
        seconds of CPU since the limit first saw it running (wall-clock time without
        /proc), or ``_WALL_FACTOR`` times that of wall-clock time since it started."""
        running = next(iter(worker.in_flight))
        cpu = _cpu_seconds(worker.process.pid)
        if worker.timed_task != running:
            # First seen now: its CPU counts from here (at most one look's worth, under a
            # second, goes uncounted), its wall-clock time from when it started.
            worker.timed_task, worker.timed_cpu = running, cpu
            worker.timed_since = worker.running_since
        wall = now - worker.timed_since
        if wall > self.task_timeout * _WALL_FACTOR:
            return f"took longer than {wall:.0f} s (wall-clock time)"
        if cpu is None or worker.timed_cpu is None:
            return f"took longer than {self.task_timeout:g} s" if wall > self.task_timeout else None
        if cpu - worker.timed_cpu > self.task_timeout:
            return f"took longer than {self.task_timeout:g} s of CPU time"
        return None

    def _lost(self, worker: _Worker) -> None:
        """The worker's result pipe closed: it died. Fail the task it was running, send
        the ones waiting behind it again, and replace it."""
        self._unregister(worker)
        worker.tasks.close()
        worker.results.close()
        worker.process.join(timeout=5)
        code = worker.process.exitcode
        # The task it was running: the first in flight, or the one it was killed for
        # (none, when that one's result came back just before the kill).
        culprit = next(iter(worker.in_flight), None)
        if worker.killed_for is not None:
            culprit = worker.killed_for if worker.killed_for in worker.in_flight else None
        waiting = []
        for task_id, (future, function, args) in worker.in_flight.items():
            if future.done():
                continue
            if task_id == culprit and worker.killed_for is not None:
                future.set_exception(TaskTimedOut(f"{worker.killed_why}; its worker was stopped"))
            elif task_id == culprit:
                future.set_exception(WorkerDied(f"extraction worker died (exit code {code})"))
            else:
                waiting.append((task_id, function, args, future))
        self._pending.extendleft(reversed(waiting))  # first in line, in their order
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
            for future, *_ in worker.in_flight.values():
                if not future.done() and not future.get_loop().is_closed():
                    future.cancel()
        self._workers.clear()
