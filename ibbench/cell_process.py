"""Cell processes: cells run in separate processes with a watchdog (the local backend).

A process pool cannot kill one hung task, so the local backend runs cells in its own cell
processes (:class:`CellProcess`, forked from a forkserver with numpy/scipy/sklearn and the grid's
modules preloaded) and kills a process at its cell's deadline, then starts a fresh one. A process
runs a bounded number of cells in a row, which removes the ~0.1 s start-up cost per cell.
Crashes and timeouts become rows; the run goes on.
"""

from __future__ import annotations

import multiprocessing as mp
import os
import sys
import threading
import time
from collections import deque
from multiprocessing.connection import wait
from typing import Any, Callable, Iterable

from ibbench.execution import execute_cell, failure_row, now

_PRELOAD = ["numpy", "scipy.spatial", "scipy.special", "sklearn.base", "ibbench.base", "ibbench.registry",
            "ibbench.execution", "ibbench.cell_process", "ibbench._math.random"]


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


def _forkserver_context(preload: list[str]):
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


def _set_parent_death_signal() -> None:
    """Linux: have the kernel SIGKILL this process when its parent (the forkserver) exits.

    The forkserver exits when the process that started it dies, even by SIGKILL; without this a
    cell process could outlive a killed run and keep computing. Best effort elsewhere.
    """
    if not sys.platform.startswith("linux"):
        return
    try:
        import ctypes
        import signal

        ctypes.CDLL(None, use_errno=True).prctl(1, int(signal.SIGKILL))  # PR_SET_PDEATHSIG = 1
    except (OSError, AttributeError):
        pass


def _exit_with_parent() -> None:
    """Exit this cell process as soon as the process that started it dies (even by SIGKILL).

    A forkserver child outlives its starter: it inherits the forkserver's keep-alive descriptor,
    so neither the forkserver nor ``PR_SET_PDEATHSIG`` notices the run's death. The parent sentinel
    (a pipe whose only writer is the starting process) does: a daemon thread waits on it.
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


def _registry_tables() -> dict[str, dict[str, str]]:
    """This process's built-in registry entries (``name -> "module:Class"``), sent to cell processes."""
    from ibbench import registry

    return {"estimators": {k: v for k, v in registry.BUILTIN_ESTIMATORS.items() if isinstance(v, str)},
            "tasks": {k: v for k, v in registry.BUILTIN_TASKS.items() if isinstance(v, str)}}


def _sync_registry(tables: dict[str, dict[str, str]]) -> None:
    """Add the parent's registry entries (e.g. registered at run time, or by a test) to this process."""
    from ibbench import registry

    registry.BUILTIN_ESTIMATORS.update(tables.get("estimators", {}))
    registry.BUILTIN_TASKS.update(tables.get("tasks", {}))


def _worker_main(conn) -> None:
    """Body of a cell process: receive cells, send result rows back, until told to stop.

    Before a cell, the parent sends its registry tables whenever they changed, so names registered
    in the parent after the forkserver started (``BUILTIN_ESTIMATORS[name] = "module:Class"``)
    resolve here too.
    """
    _set_parent_death_signal()
    _exit_with_parent()
    while True:
        try:
            cell = conn.recv()
        except (EOFError, OSError):
            return
        if cell is None:
            return
        if isinstance(cell, tuple) and cell[0] == "registry":
            _sync_registry(cell[1])
            continue
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
    """

    def __init__(self, ctx, max_cells: int | None = None):
        self.conn, child = ctx.Pipe(duplex=True)
        self.proc = ctx.Process(target=_worker_main, args=(child,), daemon=True)
        self.proc.start()
        child.close()
        self._registry: dict | None = None  # registry tables last sent to the process
        self.max_cells = max_cells
        self.n_done = 0
        self.cell: dict[str, Any] | None = None
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

    def submit(self, cell: dict[str, Any]) -> bool:
        """Send ``cell`` to the process; False if the process is gone (start a new one)."""
        try:
            tables = _registry_tables()
            if tables != self._registry:  # names registered here since the last cell
                self.conn.send(("registry", tables))
                self._registry = tables
            self.conn.send(cell)
        except (OSError, ValueError):
            self.dead = True
            return False
        self.cell, self.started, self.started_iso = cell, time.monotonic(), now()
        return True

    def overdue(self, timeout: float | None) -> bool:
        return self.busy and timeout is not None and time.monotonic() - self.started >= timeout

    def collect(self) -> dict[str, Any]:
        """The row of the running cell, once ``conn`` is readable (a crash becomes an error row)."""
        cell, self.cell = self.cell, None
        try:
            row = self.conn.recv()
        except (EOFError, OSError):
            self.dead = True
            self.proc.join(5)
            return failure_row(cell, "error", f"cell process died (exit code {self.proc.exitcode})",
                               self.started_iso, time.monotonic() - self.started)
        self.n_done += 1
        return row

    def kill_overdue(self, timeout: float) -> dict[str, Any]:
        """Kill the process running an overdue cell and return the cell's ``timeout`` row."""
        cell, self.cell = self.cell, None
        elapsed = time.monotonic() - self.started
        self.kill()
        return failure_row(cell, "timeout", f"killed after the {timeout:g} s timeout", self.started_iso, elapsed)

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


def cell_context():
    """The multiprocessing context cell processes are started from (forkserver, modules preloaded)."""
    return _forkserver_context(_preload_modules())


#: default number of cells one process runs before it is replaced (``run_local(max_cells_per_process=...)``)
MAX_CELLS_PER_PROCESS = 50


def run_local(cells: Iterable[dict[str, Any]], *, jobs: int = 1, timeout: float | None = 600.0,
              on_result: Callable[[dict[str, Any]], None], on_start: Callable[[dict[str, Any]], None] | None = None,
              max_cells_per_process: int | None = MAX_CELLS_PER_PROCESS) -> None:
    """Run ``cells`` in up to ``jobs`` concurrent cell processes, each cell killed at ``timeout``.

    Every cell runs in a separate process from this one, with a watchdog: a cell that overruns
    ``timeout`` seconds gets its process killed and is reported as ``timeout``; a process that
    dies (segfault, ``os._exit``, OOM kill) turns its cell into an ``error`` row. A process runs up
    to ``max_cells_per_process`` cells in a row (1 = a fresh process per cell, the strictest
    isolation), which saves the ~0.1 s start-up per cell; peak memory is still measured per cell.
    ``on_result(row)`` is called in this process as each cell finishes (in completion order).
    """
    ctx = cell_context()
    pending = deque(cells)
    jobs = max(1, int(jobs))
    idle: list[CellProcess] = []
    busy: list[CellProcess] = []
    try:
        while pending or busy:
            while pending and len(busy) < jobs:
                worker = idle.pop() if idle else CellProcess(ctx, max_cells_per_process)
                cell = pending.popleft()
                if not worker.submit(cell):
                    worker.kill()
                    pending.appendleft(cell)
                    continue
                busy.append(worker)
                if on_start:
                    on_start(cell)
            wait_for = None
            if timeout is not None:
                wait_for = max(0.0, min(w.started + timeout for w in busy) - time.monotonic())
            ready = set(wait([w.conn for w in busy], timeout=wait_for))
            for worker in list(busy):
                if worker.conn in ready:
                    row = worker.collect()
                elif worker.overdue(timeout):
                    row = worker.kill_overdue(timeout)
                else:
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


def run_isolated(cell: dict[str, Any], timeout: float | None = None,
                 max_cells_per_process: int | None = MAX_CELLS_PER_PROCESS) -> dict[str, Any]:
    """Run one cell in a separate (warm, reused) process of this thread and return its row.

    The cell's process is killed at ``timeout`` seconds and the row says ``timeout``. This is
    what a dask worker runs for each cell (DESIGN.md §4: the worker enforces the timeout by
    killing the cell's process). Never raises for a failing cell.
    """
    worker = getattr(_thread_local, "worker", None)
    if worker is None or worker.retired:
        worker = CellProcess(cell_context(), max_cells_per_process)
        _thread_local.worker = worker
    if not worker.submit(cell):
        worker.kill()
        worker = _thread_local.worker = CellProcess(cell_context(), max_cells_per_process)
        worker.submit(cell)
    if worker.conn.poll(timeout):
        row = worker.collect()
    else:
        row = worker.kill_overdue(timeout)
    if worker.retired:
        worker.stop()
        _thread_local.worker = None
    return row
