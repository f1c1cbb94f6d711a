"""Cell processes: cells run in separate processes with a watchdog (the local backend).

A process pool cannot kill one hung task, so the local backend runs cells in its own cell
processes (:class:`CellProcess`, forked from a forkserver with numpy/scipy/sklearn and the grid's
modules preloaded) and kills a process at its cell's deadline, then starts a fresh one. A process
runs a bounded number of cells in a row, which removes the ~0.1 s start-up cost per cell.
Crashes and timeouts become rows; the run goes on.

Only the cell's own outcome becomes a row. A cell process reports "cell started" before it
samples the task and fits the estimator; a process that cannot be started, or dies before that
report (a bootstrap error, a script that calls ``ibbench.run`` without a ``__main__`` guard), is an
infrastructure failure: the cell is retried in a fresh process (:data:`START_RETRIES` times), then
reported through ``on_infra`` (or :class:`InfrastructureError`) and never stored.

Every cell process dies with the run, even when the run is SIGKILLed while a cell holds the GIL in
C code: the cell process drops its copy of the forkserver's keep-alive pipe, so the forkserver
exits when the run's process does, and the kernel then kills the cell process
(``PR_SET_PDEATHSIG`` relative to the forkserver); the resource tracker exits once all of them
are gone. Each cell process runs under an address-space limit (``max_memory``, :func:`memory_limit`).
"""

from __future__ import annotations

import multiprocessing as mp
import os
import resource
import sys
import threading
import time
from collections import deque
from collections.abc import Callable, Iterable
from multiprocessing.connection import wait
from typing import TYPE_CHECKING, Any

from ibbench.execution import execute_cell, failure_row, now

if TYPE_CHECKING:
    from multiprocessing.connection import Connection
    from multiprocessing.context import ForkServerContext

_PRELOAD = [
    "numpy",
    "scipy.spatial",
    "scipy.special",
    "sklearn.base",
    "ibbench.base",
    "ibbench.registry",
    "ibbench.execution",
    "ibbench.cell_process",
    "ibbench.numerics.random",
]

#: times a cell is retried in a fresh process after an infrastructure failure, before it is reported
START_RETRIES = 2
#: exit code of a child that found ``ibbench.run`` called while it re-imported the main module
EXIT_UNGUARDED_MAIN = 87
#: default per-cell memory limit, as a fraction of the machine's memory (:func:`memory_limit`)
DEFAULT_MEMORY_FRACTION = 0.75


class InfrastructureError(RuntimeError):
    """A cell could not run for a reason outside the estimator (no process, or it died before the cell started)."""


class _NotStarted(Exception):
    """The cell process died, or could not be started, before it reported the cell as started."""

    def __init__(self, message: str, exitcode: int | None = None) -> None:
        super().__init__(message)
        self.exitcode = exitcode


def unguarded_main_message() -> str:
    """The error of a run whose cell processes found ``ibbench.run`` called while importing the main module."""
    script = getattr(sys.modules.get("__main__"), "__file__", None) or "the main module"
    return (
        f'the script ({script}) must guard ibbench.run with `if __name__ == "__main__":` because cell '
        "processes re-import the main module; no cell was run"
    )


def exit_if_reimporting_main() -> None:
    """End this process if it is a child re-importing the main module (a script without a ``__main__`` guard).

    Cell processes re-import the script that started the run; a module-level ``ibbench.run`` call
    would start a nested run there. The process exits with :data:`EXIT_UNGUARDED_MAIN` before it
    touches the store, and the run reports :func:`unguarded_main_message`.
    """
    if getattr(mp.current_process(), "_inheriting", False):
        sys.stderr.write(
            "ibbench: ibbench.run called while a child process imports the main module; "
            'guard it with `if __name__ == "__main__":`\n'
        )
        sys.stderr.flush()
        os._exit(EXIT_UNGUARDED_MAIN)


def _forkserver_exit_code(wait: float = 2.0) -> int | None:
    """The exit code of this process's forkserver once it exits (waiting up to ``wait`` s), else None.

    Called after a cell process could not be started. Left unreaped (``WNOWAIT``) so that
    multiprocessing can notice and restart it. A forkserver that imports ``__main__`` itself
    (Python versions whose forkserver preloads it) exits with :data:`EXIT_UNGUARDED_MAIN` on an
    unguarded ``ibbench.run``.
    """
    from multiprocessing import forkserver

    pid = forkserver._forkserver._forkserver_pid  # type: ignore[attr-defined]  # private, not in typeshed
    if pid is None or not hasattr(os, "waitid"):
        return None
    deadline = time.monotonic() + wait
    while True:
        try:
            result = os.waitid(os.P_PID, pid, os.WEXITED | os.WNOHANG | os.WNOWAIT)
        except OSError:  # not our child (any more)
            return None
        if result is not None:
            return result.si_status if result.si_code == os.CLD_EXITED else None
        if time.monotonic() >= deadline:
            return None
        time.sleep(0.05)


def _available_memory() -> int | None:
    """Bytes of memory this machine (or its cgroup, if lower) has; None if unknown."""
    try:
        total = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    except (ValueError, OSError, AttributeError):
        total = None
    for path in ("/sys/fs/cgroup/memory.max", "/sys/fs/cgroup/memory/memory.limit_in_bytes"):
        try:
            with open(path) as fh:
                text = fh.read().strip()
        except OSError:
            continue
        if text.isdigit() and (total is None or int(text) < total):
            total = int(text)
    return total


def memory_limit(max_memory: float | str | None = "auto") -> int | None:
    """The address-space limit in bytes of a cell process for ``max_memory`` (GiB; see ``ibbench.run``).

    ``"auto"``: :data:`DEFAULT_MEMORY_FRACTION` of this machine's memory (its cgroup limit if
    lower), measured where the cell runs; None or 0: no limit; a number: that many GiB.
    """
    if max_memory is None:
        return None
    if max_memory == "auto":
        total = _available_memory()
        return int(total * DEFAULT_MEMORY_FRACTION) if total else None
    if isinstance(max_memory, bool) or not isinstance(max_memory, (int, float)) or not max_memory >= 0:
        raise ValueError(f"max_memory must be a number of GiB >= 0 (0 = no limit), 'auto' or None; got {max_memory!r}")
    if max_memory == 0 or max_memory == float("inf"):
        return None
    return int(max_memory * 2**30)


def _limit_memory(limit: int | None) -> None:
    """Cap this process's address space at ``limit`` bytes (``RLIMIT_AS``; never above the hard limit)."""
    if not limit:
        return
    _soft, hard = resource.getrlimit(resource.RLIMIT_AS)
    if hard != resource.RLIM_INFINITY:
        limit = min(limit, hard)
    try:
        resource.setrlimit(resource.RLIMIT_AS, (limit, hard))
    except (ValueError, OSError):
        pass


def _preload_modules() -> list[str]:
    """Modules the forkserver imports once, so that a cell's process starts warm.

    The fixed list above, the built-in estimator/task modules this process has already imported
    (building the grid imports exactly those of the grid; a module that imports torch is only
    preloaded if torch is already loaded here), and ``__main__``: without it every cell process
    would re-execute the main script (for ``ibbench`` that is the typer/rich CLI, ~70 ms per cell).
    """
    from ibbench.registry import BUILTIN_ESTIMATORS, BUILTIN_TASKS

    modules = list(_PRELOAD)
    for ref in (*BUILTIN_ESTIMATORS.values(), *BUILTIN_TASKS.values()):
        module = ref.partition(":")[0]
        if module in sys.modules and module not in modules:
            modules.append(module)
    if getattr(sys.modules.get("__main__"), "__file__", None):
        modules.insert(0, "__main__")
    return modules


def _forkserver_context(preload: list[str]) -> ForkServerContext:
    """The forkserver context, its server started with ``PYTHONSAFEPATH=1``.

    The forkserver is launched with ``python -c``, which puts the current directory first on
    ``sys.path`` (Python 3.11 ignores the parent's path it is handed). Run from a source checkout
    with a regular install, ``import ibbench`` would then find the source folder, where
    ``ibbench.estimators``/``ibbench.tasks`` do not exist; the safe-path flag prevents that.
    """
    ctx = mp.get_context("forkserver")
    ctx.set_forkserver_preload(preload)
    from multiprocessing import forkserver

    previous = os.environ.get("PYTHONSAFEPATH")
    os.environ["PYTHONSAFEPATH"] = "1"
    try:
        forkserver.ensure_running()
    finally:
        if previous is None:
            del os.environ["PYTHONSAFEPATH"]
        else:
            os.environ["PYTHONSAFEPATH"] = previous
    return ctx


def _set_parent_death_signal(forkserver_pid: int | None) -> None:
    """Linux: have the kernel SIGKILL this process when its parent (the forkserver) exits.

    Works whatever this process is doing, even holding the GIL in C code. If the forkserver is
    already gone (it died between the fork and this call), exit at once. Best effort elsewhere.
    """
    if not sys.platform.startswith("linux"):
        return
    try:
        import ctypes
        import signal

        ctypes.CDLL(None, use_errno=True).prctl(1, int(signal.SIGKILL))  # PR_SET_PDEATHSIG = 1
    except (OSError, AttributeError):
        return
    if forkserver_pid is not None and os.getppid() != forkserver_pid:
        os._exit(70)


def _release_forkserver_keepalive() -> None:
    """Close this process's copy of the forkserver's keep-alive pipe.

    The forkserver exits when every holder of the pipe's write end is gone; it hands one to each
    child it forks. A cell process that keeps it would keep the forkserver (and so itself, through
    ``PR_SET_PDEATHSIG``) alive after the run's process died. Cell processes start no processes
    through the forkserver, so they do not need it.
    """
    from multiprocessing import forkserver

    server = forkserver._forkserver
    fd = getattr(server, "_forkserver_alive_fd", None)
    if fd is not None and getattr(server, "_forkserver_pid", None) is None:  # inherited, not our own server
        try:
            os.close(fd)
        except OSError:
            pass
        server._forkserver_alive_fd = None  # type: ignore[attr-defined]  # private, not in typeshed


def _exit_with_parent() -> None:
    """Exit this cell process as soon as the process that started it dies (a fallback; needs the GIL).

    The parent sentinel (a pipe whose only writer is the starting process) becomes readable when the
    run's process dies; a daemon thread waits on it. Where ``PR_SET_PDEATHSIG`` exists the kernel
    does this without the GIL (:func:`_set_parent_death_signal`).
    """
    parent = mp.parent_process()
    sentinel = getattr(parent, "sentinel", None)
    if sentinel is None:
        return

    def watch() -> None:
        wait([sentinel])
        os._exit(70)

    threading.Thread(target=watch, name="ibbench-parent-watch", daemon=True).start()


def _reset_peak_rss() -> bool:
    """Reset this process's peak RSS (Linux ``clear_refs``), so the next cell's peak is its own."""
    try:
        with open("/proc/self/clear_refs", "w") as fh:
            fh.write("5")
        return True
    except OSError:
        return False


def registry_tables() -> dict[str, Any]:
    """This process's registry entries, sent to cell processes: the built-in tables (``name -> "module:Class"``),
    the run-time classes pickled by cloudpickle (``"classes"``, :func:`ibbench.registry.user_class_payloads`) and
    ``sys.path`` (``"path"``: a class pickled by reference is imported from where this process found it)."""
    from ibbench import registry

    tables: dict[str, Any] = {
        "estimators": {k: v for k, v in registry.BUILTIN_ESTIMATORS.items() if isinstance(v, str)},
        "tasks": {k: v for k, v in registry.BUILTIN_TASKS.items() if isinstance(v, str)},
    }
    classes = registry.user_class_payloads()
    if classes:
        tables["classes"], tables["path"] = classes, list(sys.path)
    return tables


def sync_registry(tables: dict[str, Any]) -> None:
    """Add the parent's registry entries (e.g. registered at run time, or by a test) to this process."""
    from ibbench import registry

    registry.BUILTIN_ESTIMATORS.update(tables.get("estimators", {}))
    registry.BUILTIN_TASKS.update(tables.get("tasks", {}))
    sys.path.extend(p for p in tables.get("path", ()) if p not in sys.path)
    registry.load_user_classes(tables.get("classes", {}))


#: the message a cell process sends when it has received a cell and starts it (before sampling and fitting)
_STARTED = "started"


def _worker_main(
    conn: Connection[Any, Any],
    forkserver_pid: int | None = None,
    max_memory: int | None = None,
    cpus: int | None = None,
) -> None:
    """Body of a cell process: receive cells, send result rows back, until told to stop.

    Before a cell, the parent sends its registry tables whenever they changed, so names registered
    in the parent after the forkserver started (``BUILTIN_ESTIMATORS[name] = "module:Class"``)
    resolve here too. For each cell the process first answers :data:`_STARTED`, then the row; a
    death before that answer is the infrastructure's, after it the cell's. ``max_memory`` caps
    the address space (bytes); ``cpus`` caps the threads of ibbench's numeric kernels
    (``$IBBENCH_CPUS``, :func:`ibbench.numerics.knn.available_cpus`; their results do not depend on it).
    """
    if cpus is not None:
        from ibbench.numerics.knn import CPUS_VARIABLE

        os.environ[CPUS_VARIABLE] = str(cpus)
    _release_forkserver_keepalive()
    _set_parent_death_signal(forkserver_pid)
    _exit_with_parent()
    _limit_memory(max_memory)
    while True:
        try:
            cell = conn.recv()
        except (EOFError, OSError):
            return
        if cell is None:
            return
        if isinstance(cell, tuple) and cell[0] == "registry":
            sync_registry(cell[1])
            continue
        try:
            conn.send(_STARTED)
        except (OSError, ValueError):
            return
        _reset_peak_rss()
        row = execute_cell(cell)
        try:
            conn.send(row)
        except (OSError, ValueError):
            return


class CellProcess:
    """A warm process that runs cells one at a time and is killed at a cell's deadline.

    The process is forked from the forkserver (modules preloaded), receives cells over a pipe and
    answers with result rows. A cell that overruns its timeout gets the whole process killed (a
    process cannot stop one of its own calls); the caller then starts a fresh one. ``max_cells``
    bounds how many cells one process runs before it is replaced (1 = a fresh process per cell).

    Parameters
    ----------
    ctx : multiprocessing context (forkserver)
    max_cells : int or None
        Cells per process before it is retired; None = unlimited.
    max_memory : int or None
        Address-space limit of the process in bytes (:func:`memory_limit`); None = none.

    Raises
    ------
    Exception
        Whatever starting the process raised (fork failure, forkserver gone): an infrastructure failure.
    """

    def __init__(
        self,
        ctx: ForkServerContext,
        max_cells: int | None = None,
        max_memory: int | None = None,
        cpus: int | None = None,
    ) -> None:
        from multiprocessing import forkserver

        self.conn, child = ctx.Pipe(duplex=True)
        forkserver_pid = forkserver._forkserver._forkserver_pid  # type: ignore[attr-defined]
        self.proc = ctx.Process(target=_worker_main, daemon=True, args=(child, forkserver_pid, max_memory, cpus))
        try:
            self.proc.start()
        except BaseException:
            self.conn.close()
            raise
        finally:
            child.close()
        self._registry: dict[str, Any] | None = None  # registry tables last sent to the process
        self.max_cells = max_cells
        self.max_memory = max_memory
        self.cpus = cpus
        self.n_done = 0
        self.cell: dict[str, Any] | None = None
        self.cell_started = False  # the process reported the current cell as started
        self.attempt = 0  # earlier infrastructure failures of the current cell
        self.started = 0.0
        self.started_iso = ""
        self.dead = False

    @property
    def busy(self) -> bool:
        return self.cell is not None

    @property
    def retired(self) -> bool:
        """True once the process died, was killed, or ran its ``max_cells``."""
        return self.dead or (self.max_cells is not None and self.n_done >= self.max_cells)

    def submit(self, cell: dict[str, Any], attempt: int = 0) -> bool:
        """Send ``cell`` to the process; False if the process is gone (start a new one)."""
        try:
            tables = registry_tables()
            if tables != self._registry:  # names registered here since the last cell
                self.conn.send(("registry", tables))
                self._registry = tables
            self.conn.send(cell)
        except (OSError, ValueError):
            self.dead = True
            return False
        self.cell, self.started, self.started_iso = cell, time.monotonic(), now()
        self.cell_started, self.attempt = False, attempt
        return True

    def overdue(self, timeout: float | None) -> bool:
        return self.busy and timeout is not None and time.monotonic() - self.started >= timeout

    def collect(self) -> dict[str, Any] | None:
        """The running cell's row once ``conn`` is readable; None if the message was "cell started".

        A process that dies after the cell started (segfault, ``os._exit`` in ``fit``) gives an
        ``error`` row; one that dies before raises :class:`_NotStarted` (not the cell's outcome).
        """
        try:
            message = self.conn.recv()
        except (EOFError, OSError):
            cell, self.cell = self.cell, None
            assert cell is not None  # collect() is only called while a cell runs
            self.dead = True
            self.proc.join(5)
            code = self.proc.exitcode
            if not self.cell_started:
                raise _NotStarted(f"the cell process exited (code {code}) before it started the cell", code) from None
            note = ""
            if self.max_memory and code is not None and code < 0:  # killed by a signal: maybe out of memory
                note = f"; its memory limit was {self.max_memory / 2**30:.3g} GiB"
            return failure_row(
                cell,
                "error",
                f"cell process died (exit code {code}{note})",
                self.started_iso,
                time.monotonic() - self.started,
            )
        if message == _STARTED:
            self.cell_started = True
            return None
        self.cell = None
        self.n_done += 1
        return message

    def kill_overdue(self, timeout: float) -> dict[str, Any]:
        """Kill the process running an overdue cell and return the cell's ``timeout`` row.

        Raises :class:`_NotStarted` if the process never reported the cell as started.
        """
        cell, self.cell = self.cell, None
        assert cell is not None  # only a busy process is overdue
        elapsed = time.monotonic() - self.started
        self.kill()
        if not self.cell_started:
            raise _NotStarted(f"the cell process did not start the cell within the {timeout:g} s timeout")
        return failure_row(cell, "timeout", f"killed after the {timeout:g} s timeout", self.started_iso, elapsed)

    def run(self, cell: dict[str, Any], timeout: float | None, attempt: int = 0) -> dict[str, Any]:
        """Run ``cell`` to its end (blocking) and return its row; :class:`_NotStarted` as :meth:`collect`."""
        if not self.submit(cell, attempt):
            raise _NotStarted("the cell process was gone before the cell was sent", self.proc.exitcode)
        while True:
            remaining = None if timeout is None else max(0.0, self.started + timeout - time.monotonic())
            if not self.conn.poll(remaining):
                assert timeout is not None  # poll(None) waits until the process answers
                return self.kill_overdue(timeout)
            row = self.collect()
            if row is not None:
                return row

    def kill(self) -> None:
        self.dead = True
        if self.proc.is_alive():
            self.proc.kill()
        self.proc.join(5)
        self.conn.close()

    def stop(self) -> None:
        """Ask an idle process to exit; kill it if it does not."""
        if not self.dead:
            try:
                self.conn.send(None)
            except (OSError, ValueError):
                pass
            self.proc.join(2)
        self.kill()


def cell_context() -> ForkServerContext:
    """The multiprocessing context cell processes are started from (forkserver, modules preloaded)."""
    return _forkserver_context(_preload_modules())


#: default number of cells one process runs before it is replaced (``run_local(max_cells_per_process=...)``)
MAX_CELLS_PER_PROCESS = 50


#: a run stops after this many cells in a row failed to start (a broken environment, not a cell)
MAX_INFRA_FAILURES_IN_A_ROW = 3


def _cell_name(cell: dict[str, Any]) -> str:
    return (
        f"{cell.get('estimator_label', cell.get('estimator'))} on {cell.get('task_label', cell.get('task'))} "
        f"n={cell.get('n')} seed={cell.get('seed')}"
    )


def run_local(
    cells: Iterable[dict[str, Any]],
    *,
    jobs: int = 1,
    timeout: float | None = 600.0,
    on_result: Callable[[dict[str, Any]], None],
    on_start: Callable[[dict[str, Any]], None] | None = None,
    max_cells_per_process: int | None = MAX_CELLS_PER_PROCESS,
    max_memory: float | str | None = "auto",
    on_infra: Callable[[dict[str, Any], str], None] | None = None,
) -> None:
    """Run ``cells`` in up to ``jobs`` concurrent cell processes, each cell killed at ``timeout``.

    Every cell runs in a separate process from this one, with a watchdog: a cell that overruns
    ``timeout`` seconds gets its process killed and is reported as ``timeout``; a process that
    dies while running the cell (segfault, ``os._exit``, OOM kill) turns it into an ``error`` row.
    A process runs up to ``max_cells_per_process`` cells in a row (1 = a fresh process per cell, the
    strictest isolation), which saves the ~0.1 s start-up per cell; peak memory is still measured
    per cell. Each process's address space is capped at ``max_memory`` (:func:`memory_limit`), and
    ibbench's threaded kernels (k-d tree queries, brute-force kNN, truncated KDE sums) use at most
    ``CPUs // jobs`` threads (``$IBBENCH_CPUS``). ``on_result(row)``
    is called in this process as each cell finishes (in completion order).

    A cell whose process cannot start, or dies before it reports the cell as started, is retried
    in a fresh process up to :data:`START_RETRIES` times, then passed to ``on_infra(cell, message)``
    without a row (no ``on_infra``: :class:`InfrastructureError`).

    Raises
    ------
    InfrastructureError
        The main module calls ``ibbench.run`` without a ``__main__`` guard, or
        :data:`MAX_INFRA_FAILURES_IN_A_ROW` cells in a row could not be started.
    """
    from ibbench.numerics.knn import available_cpus

    ctx = cell_context()
    limit = memory_limit(max_memory)
    pending: deque[tuple[dict[str, Any], int]] = deque((cell, 0) for cell in cells)
    jobs = max(1, int(jobs))
    cpus = max(1, available_cpus() // jobs)  # each cell's share: concurrent cells do not oversubscribe
    idle: list[CellProcess] = []
    busy: list[CellProcess] = []
    in_a_row = 0  # cells in a row that could not be started

    def not_started(cell: dict[str, Any], attempt: int, exc: _NotStarted) -> None:
        nonlocal in_a_row
        if exc.exitcode == EXIT_UNGUARDED_MAIN:
            raise InfrastructureError(unguarded_main_message())
        if attempt < START_RETRIES:
            pending.appendleft((cell, attempt + 1))
            return
        message = f"{exc} ({attempt + 1} attempts)"
        in_a_row += 1
        if in_a_row >= MAX_INFRA_FAILURES_IN_A_ROW:
            raise InfrastructureError(
                f"{in_a_row} cells in a row could not be started, the last ({_cell_name(cell)}): "
                f"{message}; the run stopped with {len(pending) + len(busy)} cell(s) not run"
            )
        if on_infra is None:
            raise InfrastructureError(f"{_cell_name(cell)}: {message}")
        on_infra(cell, message)

    try:
        while pending or busy:
            while pending and len(busy) < jobs:
                cell, attempt = pending.popleft()
                try:
                    worker = idle.pop() if idle else CellProcess(ctx, max_cells_per_process, limit, cpus)
                except Exception as exc:  # noqa: BLE001 - fork failure, forkserver gone: the infrastructure's
                    not_started(
                        cell,
                        attempt,
                        _NotStarted(
                            f"cannot start a cell process: {type(exc).__name__}: {exc}", _forkserver_exit_code()
                        ),
                    )
                    continue
                if not worker.submit(cell, attempt):
                    worker.kill()
                    not_started(
                        cell,
                        attempt,
                        _NotStarted("the cell process was gone before the cell was sent", worker.proc.exitcode),
                    )
                    continue
                busy.append(worker)
                if on_start and attempt == 0:
                    on_start(cell)
            if not busy:
                continue
            wait_for = None
            if timeout is not None:
                wait_for = max(0.0, min(w.started + timeout for w in busy) - time.monotonic())
            ready = set(wait([w.conn for w in busy], timeout=wait_for))
            for worker in list(busy):
                assert worker.cell is not None  # a busy process runs a cell
                cell, attempt = worker.cell, worker.attempt
                try:
                    if worker.conn in ready:
                        row = worker.collect()
                        if row is None:  # "cell started": the process is sound
                            in_a_row = 0
                            continue
                    elif timeout is not None and worker.overdue(timeout):
                        row = worker.kill_overdue(timeout)
                    else:
                        continue
                except _NotStarted as exc:
                    busy.remove(worker)
                    worker.kill()
                    not_started(cell, attempt, exc)
                    continue
                busy.remove(worker)
                if worker.retired:
                    worker.stop()
                else:
                    idle.append(worker)
                on_result(row)
    finally:
        for worker in busy:
            worker.kill()
        for worker in idle:
            worker.stop()


_thread_local = threading.local()


def run_isolated(
    cell: dict[str, Any],
    timeout: float | None = None,
    max_cells_per_process: int | None = MAX_CELLS_PER_PROCESS,
    max_memory: float | str | None = "auto",
    cpus: int | None = None,
) -> dict[str, Any]:
    """Run one cell in a separate (warm, reused) process of this thread and return its row.

    The cell's process is killed at ``timeout`` seconds and the row says ``timeout``; its address
    space is capped at ``max_memory`` (:func:`memory_limit`, resolved on this machine). This is
    what a dask worker runs for each cell (the worker enforces the timeout by
    killing the cell's process), with ``cpus`` its thread's share of the worker's CPUs
    (``$IBBENCH_CPUS`` in the cell's process). Never raises for a failing cell.

    Raises
    ------
    InfrastructureError
        The cell's process could not start or died before it started the cell, in
        ``1 + START_RETRIES`` fresh processes.
    """
    limit = memory_limit(max_memory)
    for attempt in range(START_RETRIES + 1):
        worker = getattr(_thread_local, "worker", None)
        if worker is not None and (worker.retired or worker.max_memory != limit or worker.cpus != cpus):
            worker.stop()
            worker = None
        try:
            if worker is None:
                worker = _thread_local.worker = CellProcess(cell_context(), max_cells_per_process, limit, cpus)
            row = worker.run(cell, timeout, attempt)
        except _NotStarted as exc:
            if exc.exitcode == EXIT_UNGUARDED_MAIN:
                raise InfrastructureError(unguarded_main_message()) from None
            error = str(exc)
        except Exception as exc:  # noqa: BLE001 - fork failure, forkserver gone: the infrastructure's
            if _forkserver_exit_code() == EXIT_UNGUARDED_MAIN:
                raise InfrastructureError(unguarded_main_message()) from None
            error = f"cannot start a cell process: {type(exc).__name__}: {exc}"
        else:
            if worker.retired:
                worker.stop()
                _thread_local.worker = None
            return row
        if worker is not None:
            worker.kill()
        _thread_local.worker = None
    raise InfrastructureError(f"{error} ({START_RETRIES + 1} attempts)")
