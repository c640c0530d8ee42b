"""The loop-driven worker pool behind the extract step: results, errors, a worker that
dies, priority and shutdown, with real worker processes."""

from __future__ import annotations

import asyncio
import operator
import os
import time

import psutil
import pytest

from newscrawl.workers import TaskTimedOut, WorkerDied, WorkerPool


def run(coroutine):
    return asyncio.run(coroutine)


@pytest.fixture
def pool():
    pool = WorkerPool(2, niceness=5)
    yield pool
    pool.close()


def test_results_and_errors_come_back_to_their_callers(pool):
    async def main():
        squares = [pool.run(operator.mul, n, n) for n in range(40)]
        results = await asyncio.gather(*squares)
        with pytest.raises(ZeroDivisionError):
            await pool.run(operator.truediv, 1, 0)
        pids = set(await asyncio.gather(*(pool.run(os.getpid) for _ in range(20))))
        return results, pids

    results, pids = run(main())
    assert results == [n * n for n in range(40)]
    assert len(pids) <= 2 and os.getpid() not in pids


def test_an_unpicklable_argument_fails_only_its_task(pool):
    async def main():
        with pytest.raises(Exception, match="pickle"):
            await pool.run(len, lambda: None)
        return await pool.run(len, "abc")

    assert run(main()) == 3


def test_large_payloads_cross_the_pipes_whole(pool):
    body = os.urandom(3 * 1024 * 1024)  # far more than a pipe buffer, both ways
    assert run(pool.run(bytes, body)) == body


def test_workers_run_at_a_lower_priority(pool):
    assert run(pool.run(os.nice, 0)) == os.nice(0) + 5


def test_a_dead_worker_fails_its_own_task_and_is_replaced(pool):
    async def main():
        await pool.run(time.sleep, 0)  # both workers up
        survivor = asyncio.ensure_future(pool.run(time.sleep, 0.5))
        await asyncio.sleep(0)  # sent to one worker; the next task goes to the other
        with pytest.raises(WorkerDied):
            await pool.run(os._exit, 3)
        await survivor  # the other worker's task is unaffected
        return await asyncio.gather(*(pool.run(operator.add, n, 1) for n in range(10)))

    assert run(main()) == list(range(1, 11))
    assert pool.restarts == 1


def test_the_tasks_waiting_behind_a_task_that_kills_its_worker_still_run():
    # One worker: the tasks after the fatal one wait in the same pipe. Before, the
    # worker's death failed every one of them with it.
    pool = WorkerPool(1)
    try:

        async def main():
            fatal = asyncio.ensure_future(pool.run(os._exit, 3))
            after = [asyncio.ensure_future(pool.run(operator.add, n, 1)) for n in range(5)]
            with pytest.raises(WorkerDied):
                await fatal
            return await asyncio.gather(*after)

        assert run(main()) == [1, 2, 3, 4, 5]
        assert pool.restarts == 1
    finally:
        pool.close()


def test_a_task_past_the_time_limit_is_stopped_and_the_others_run():
    # A task that would take a minute, with a limit of half a second: its worker is
    # killed and replaced, the task fails as timed out, and the ones behind it run.
    pool = WorkerPool(1, task_timeout=0.5)
    try:

        async def main():
            slow = asyncio.ensure_future(pool.run(sum, range(10**11)))  # minutes of CPU
            after = [asyncio.ensure_future(pool.run(operator.add, n, 1)) for n in range(3)]
            with pytest.raises(TaskTimedOut, match="took longer than 0.5 s of CPU time"):
                await slow
            return await asyncio.gather(*after), await pool.run(operator.mul, 6, 7)

        assert run(main()) == ([1, 2, 3], 42)
        assert pool.restarts == 1
    finally:
        pool.close()


def test_a_workers_start_is_not_counted_as_its_tasks_running_time():
    # Workers that take 1.5 s to start (the forkserver's first fork imports the preloaded
    # modules: 0.9 s on a quiet machine, seconds under load) with a limit of half a
    # second: the quick tasks sent while they start run, on the first worker and on the
    # one that replaces the worker stopped for the slow task.
    pool = WorkerPool(1, task_timeout=0.5, initializer=time.sleep, initargs=(1.5,))
    try:

        async def main():
            first = await asyncio.gather(*(pool.run(operator.add, n, 1) for n in range(3)))
            slow = asyncio.ensure_future(pool.run(sum, range(10**11)))
            after = [asyncio.ensure_future(pool.run(operator.add, n, 10)) for n in range(3)]
            with pytest.raises(TaskTimedOut):
                await slow
            return first, await asyncio.gather(*after)

        assert run(asyncio.wait_for(main(), 60)) == ([1, 2, 3], [10, 11, 12])
        assert pool.restarts == 1
    finally:
        pool.close()


def test_the_limit_is_on_cpu_time_so_a_task_starved_of_cpu_is_not_stopped():
    # A task that waits 1.5 s and uses no CPU, as a low-priority worker's page does on a
    # machine kept busy by other work (a page of 2.4 s of CPU took minutes there), with a
    # limit of half a second: it runs to the end. Past ten times the limit in wall-clock
    # time (5 s) it would be stopped as stuck.
    pool = WorkerPool(1, task_timeout=0.5)
    try:

        async def main():
            assert await pool.run(time.sleep, 1.5) is None
            assert pool.restarts == 0
            with pytest.raises(TaskTimedOut, match=r"took longer than \d+ s \(wall-clock"):
                await pool.run(time.sleep, 60)

        run(asyncio.wait_for(main(), 60))
        assert pool.restarts == 1
    finally:
        pool.close()


def test_a_task_under_the_time_limit_is_not_stopped():
    pool = WorkerPool(1, task_timeout=5)
    try:
        results = run(asyncio.wait_for(_several(pool), 60))
        assert results == [None] * 4 + [1, 2]
        assert pool.restarts == 0
    finally:
        pool.close()


async def _several(pool):
    return await asyncio.gather(
        *(pool.run(time.sleep, 0.2) for _ in range(4)),
        *(pool.run(operator.add, n, 1) for n in range(2)),
    )


def test_close_ends_every_worker_process():
    pool = WorkerPool(2)
    run(pool.run(time.sleep, 0))
    workers = [w.process.pid for w in pool._workers]
    pool.close()
    assert not [pid for pid in workers if psutil.pid_exists(pid)]
    with pytest.raises(RuntimeError, match="closed"):
        run(pool.run(os.getpid))
