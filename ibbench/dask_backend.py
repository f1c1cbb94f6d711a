"""dask.distributed execution backend: every cell is a dask task, results stream back as cells finish.

``ibbench run --scheduler tcp://host:8786`` uses an existing cluster (``dask scheduler`` /
``dask worker``, see docs/distributed.md); ``--dask-local N`` starts a :class:`distributed.LocalCluster`
of N single-threaded worker processes for the run. The client (the ``ibbench run`` process) writes
each row into the SQLite store the moment its task finishes, so a crash of the client loses only
the cells still running, exactly as with the local backend.

A dask task cannot be interrupted from outside, so the worker enforces the per-cell timeout the
same way the local backend does: the task hands the cell to a separate cell process
of the worker (:func:`ibbench.cell_process.run_isolated`) and kills that process at the deadline. The
cell itself runs the very same :func:`ibbench.execution.execute_cell`, so seeded results are
identical across backends; the row records the *worker's* host, CPU and library versions.

A task that fails without a row (a worker lost repeatedly, a cell process that could not start on
the worker: :class:`ibbench.cell_process.InfrastructureError`) is an infrastructure failure: it
goes to ``on_infra`` and is never stored as a result.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable, Iterable
from contextlib import ExitStack
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from distributed import Client

_ENV: dict[str, Any] | None = None


def _allow_cell_processes() -> None:
    """Let this (dask worker) process start cell processes.

    A nanny starts its worker as a *daemonic* multiprocessing child, and multiprocessing refuses
    to start children of a daemonic process, only because they would be orphaned when it is
    terminated. Our cell processes are daemonic themselves (terminated at the worker's exit) and ask
    the kernel to be killed when their forkserver exits (``PR_SET_PDEATHSIG``), which exits with the
    worker, so they cannot outlive it; clearing the flag is safe here.
    """
    import multiprocessing

    config = getattr(multiprocessing.current_process(), "_config", None)
    if isinstance(config, dict) and config.get("daemon"):
        config["daemon"] = False


def _worker_environment() -> dict[str, Any]:
    global _ENV
    if _ENV is None:
        from ibbench.execution import environment

        _ENV = environment()
    return _ENV


def run_cell_task(
    cell: dict[str, Any],
    timeout: float | None = None,
    max_cells_per_process: int | None = None,
    registry: dict[str, Any] | None = None,
    max_memory: float | str | None = "auto",
) -> dict[str, Any]:
    """The dask task of one cell: run it in a killable cell process of this worker, return its row.

    Parameters
    ----------
    cell : dict
        A cell as produced by ``ibbench.runner.Cell.as_dict``.
    timeout : float or None
        Seconds after which the cell's process is killed and the row says ``timeout``.
    max_cells_per_process : int or None
        Cells one cell process runs before it is replaced (None: the local backend's default).
    registry : dict, optional
        The client's registry tables (``{"estimators": {name: "module:Class"}, "tasks": {...}}``, and the
        user's classes pickled with cloudpickle, :func:`ibbench.cell_process.registry_tables`), so names
        registered in the client at run time resolve on the worker too (the modules of classes pickled by
        reference must be importable there; classes of ``__main__`` travel by value).
    max_memory : float, "auto" or None
        Address-space limit of the cell process in GiB; "auto" = a fraction of the *worker's*
        memory (:func:`ibbench.cell_process.memory_limit`); None = no limit.

    Raises
    ------
    ibbench.cell_process.InfrastructureError
        The cell's process could not be started or died before it started the cell (retried).
    """
    from ibbench.cell_process import MAX_CELLS_PER_PROCESS, run_isolated, sync_registry

    _allow_cell_processes()
    if registry:
        sync_registry(registry)
    row = run_isolated(
        cell,
        timeout,
        MAX_CELLS_PER_PROCESS if max_cells_per_process is None else max_cells_per_process,
        max_memory,
        cpus=_cpu_share(),
    )
    row.update(_worker_environment())
    return row


def _cpu_share() -> int:
    """This host's CPUs divided among the threads of all workers on it (each thread runs one cell at a
    time), so a local cluster of N single-threaded workers gives each cell CPUs // N."""
    from distributed import get_client, get_worker

    from ibbench.numerics.knn import available_cpus

    worker = get_worker()
    threads = int(worker.state.nthreads)
    try:
        host = worker.address.rsplit(":", 1)[0]
        workers = get_client().scheduler_info(n_workers=-1)["workers"]
        threads = max(threads, sum(int(w["nthreads"]) for a, w in workers.items() if a.rsplit(":", 1)[0] == host))
    except Exception:  # noqa: BLE001 - no scheduler answer: this worker's own threads
        pass
    return max(1, available_cpus() // max(1, threads))


def _ibbench_version() -> str:
    import ibbench

    return ibbench.__version__


def _check_versions(client: Client) -> None:
    """Refuse a cluster whose workers run another ibbench version than this client."""
    import ibbench

    versions = client.run(_ibbench_version)
    if not versions:
        address = client.scheduler.address if client.scheduler is not None else "(not connected)"
        raise ValueError(
            f"the dask cluster at {address} has no workers; start some with `dask worker <scheduler address>`"
        )
    wrong = {w: v for w, v in versions.items() if v != ibbench.__version__}
    if wrong:
        listed = ", ".join(f"{w} has {v}" for w, v in sorted(wrong.items()))
        raise ValueError(
            f"dask workers run a different ibbench than this client ({ibbench.__version__}): {listed}; "
            "install the same version on every worker"
        )


def run_dask(
    cells: Iterable[dict[str, Any]],
    *,
    scheduler: str | None = None,
    n_workers: int | None = None,
    timeout: float | None = 600.0,
    on_result: Callable[[dict[str, Any]], None],
    max_cells_per_process: int | None = None,
    connect_timeout: float = 30.0,
    max_memory: float | str | None = "auto",
    on_infra: Callable[[dict[str, Any], str], None] | None = None,
) -> None:
    """Run ``cells`` on dask.distributed and call ``on_result(row)`` here as each one finishes.

    Parameters
    ----------
    cells : iterable of dict
        Cells as produced by ``ibbench.runner.Cell.as_dict``.
    scheduler : str, optional
        Address of a running scheduler, e.g. ``tcp://10.0.0.5:8786``.
    n_workers : int, optional
        Start a local cluster of this many single-threaded worker processes instead.
    timeout : float or None
        Per-cell wall-clock limit, enforced on the worker by killing the cell's process.
    on_result : callable
        Called in this process with each finished row (in completion order).
    max_cells_per_process : int, optional
        Cells a worker's cell process runs before it is replaced.
    connect_timeout : float
        Seconds to wait for the scheduler.
    max_memory : float, "auto" or None
        Per-cell address-space limit in GiB, resolved on each worker (see :func:`run_cell_task`).
    on_infra : callable, optional
        Called as ``on_infra(cell, message)`` for a cell whose task failed without a row (worker
        lost, cell process could not start); the cell is not stored. Without it such a failure
        raises :class:`ibbench.cell_process.InfrastructureError`.

    Raises
    ------
    ValueError
        Neither or both of ``scheduler`` and ``n_workers`` given, the scheduler cannot be reached,
        or workers run another ibbench version.
    """
    if bool(scheduler) == bool(n_workers):
        raise ValueError(
            "the dask backend needs exactly one of a scheduler address (--scheduler tcp://host:8786) "
            "or a local cluster size (--dask-local N)"
        )
    if n_workers is not None and int(n_workers) < 1:
        raise ValueError(f"--dask-local needs at least 1 worker, got {n_workers}")
    cells = list(cells)
    if not cells:
        return
    from distributed import Client, LocalCluster, as_completed

    from ibbench.cell_process import InfrastructureError, registry_tables

    with ExitStack() as stack:
        if scheduler:
            try:
                client = stack.enter_context(Client(scheduler, timeout=connect_timeout))
            except (OSError, TimeoutError) as exc:
                raise ValueError(f"cannot reach the dask scheduler at {scheduler}: {exc}") from exc
        else:
            assert n_workers is not None  # exactly one of scheduler / n_workers, checked above
            cluster = stack.enter_context(
                LocalCluster(
                    n_workers=int(n_workers),
                    threads_per_worker=1,
                    processes=True,
                    dashboard_address=None,
                    silence_logs=logging.ERROR,
                )
            )
            client = stack.enter_context(Client(cluster))
        _check_versions(client)
        token = uuid.uuid4().hex[:8]
        keys = [f"ibbench-cell-{c['key'][:16]}-{token}" for c in cells]
        futures = client.map(
            run_cell_task,
            cells,
            timeout=timeout,
            max_cells_per_process=max_cells_per_process,
            registry=registry_tables(),
            max_memory=max_memory,
            key=keys,
            pure=False,
        )
        by_key = {f.key: cell for f, cell in zip(futures, cells)}
        try:
            for future in as_completed(futures):
                cell = by_key.pop(future.key)
                if future.status == "finished":
                    row = future.result()
                else:  # no row: a worker died repeatedly (KilledWorker), a cell process could not start, cancelled
                    try:
                        error = future.exception()
                        message = f"dask task failed: {type(error).__name__}: {error}"
                    except Exception as cancelled:  # noqa: BLE001 - e.g. CancelledError
                        message = f"dask task failed: {type(cancelled).__name__}"
                    future.release()
                    if on_infra is None:
                        raise InfrastructureError(message)
                    on_infra(cell, message)
                    continue
                future.release()
                on_result(row)
        finally:
            if by_key:
                client.cancel([f for f in futures if f.key in by_key])
