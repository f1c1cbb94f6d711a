"""Executing benchmark cells: one cell → one result row (never raises), plus the rows' environment.

Where cells run is decided elsewhere: :mod:`ibbench.cell_process` (local processes with a
watchdog), :mod:`ibbench.dask_backend` (a cluster) or :func:`run_inline` (this process).
Exceptions and non-finite estimates become rows; the run goes on.
"""

from __future__ import annotations

import math
import os
import platform
import resource
import socket
import time
import traceback
from datetime import datetime, timezone
from typing import Any, Callable, Iterable

def now() -> str:
    """UTC timestamp (ISO 8601, seconds)."""
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


def _cpu_model() -> str:
    try:
        with open("/proc/cpuinfo") as fh:
            for line in fh:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def environment() -> dict[str, Any]:
    """Host, CPU and library versions recorded with every cell."""
    import numpy

    import ibbench

    try:
        from importlib.metadata import version

        torch_version = version("torch")
    except Exception:  # noqa: BLE001 - torch metadata missing
        torch_version = None
    return {
        "host": socket.gethostname(),
        "cpu": _cpu_model(),
        "threads": os.cpu_count(),
        "python": platform.python_version(),
        "numpy": numpy.__version__,
        "torch": torch_version,
        "ibbench": ibbench.__version__,
    }


def _peak_rss_mb() -> float:
    """Peak resident memory of this process in MiB (since the last reset where supported)."""
    try:
        with open("/proc/self/status") as fh:
            for line in fh:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024.0
    except (OSError, ValueError, IndexError):
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


def _fitted_extras(est) -> dict[str, Any]:
    """Optional fitted attributes worth keeping (stderr, entropies, saturation, ...)."""
    extras = {}
    for attr in ("stderr_", "entropy_x_", "entropy_y_", "entropy_xy_", "saturated_", "bandwidth_",
                 "reconstruction_error_x_", "reconstruction_error_y_"):
        value = getattr(est, attr, None)
        if isinstance(value, (bool, int, float)) and (not isinstance(value, float) or math.isfinite(value)):
            extras[attr] = value
    return extras


def execute_cell(cell: dict[str, Any]) -> dict[str, Any]:
    """Run one cell in the current process and return its result row (never raises).

    ``cell`` holds estimator/estimator_params/task/task_params/n/seed (see ``runner.Cell.as_dict``).
    The task is sampled with ``random_state=seed``; a stochastic estimator whose ``random_state`` is
    None gets the seed ``derive_seed(seed, 1)``.
    """
    from ibbench._math.random import derive_seed
    from ibbench.registry import get_estimator, get_task

    row = dict(cell)
    row["started_at"] = now()
    row["status"], row["message"], row["estimate"], row["seconds"] = "error", None, None, None
    extra: dict[str, Any] = {}
    try:
        task = get_task(cell["task"], **cell["task_params"])
        t0 = time.perf_counter()
        X, Y = task.sample(cell["n"], random_state=cell["seed"])
        extra["sample_seconds"] = time.perf_counter() - t0
        row["n"] = len(X)
        est = get_estimator(cell["estimator"], **cell["estimator_params"])
        params = est.get_params(deep=False)
        if "random_state" in params and params["random_state"] is None:
            est.set_params(random_state=derive_seed(cell["seed"], 1))
        t0 = time.perf_counter()
        est.fit(X, Y)
        row["seconds"] = time.perf_counter() - t0
        value = float(est.mutual_info_)
        row["estimate"] = value if math.isfinite(value) else None
        extra.update(_fitted_extras(est))
        if math.isfinite(value):
            row["status"] = "ok"
        else:
            row["message"] = f"estimator returned a non-finite estimate ({value})"
    except Exception as exc:  # noqa: BLE001 - every failure becomes a row
        row["message"] = f"{type(exc).__name__}: {exc}\n{traceback.format_exc(limit=3)}"[:4000]
    row["finished_at"] = now()
    row["peak_mem_mb"] = _peak_rss_mb()
    row["extra"] = extra
    return row


def failure_row(cell: dict[str, Any], status: str, message: str, started_at: str, seconds: float | None = None):
    """A result row for a cell that produced no result of its own (timeout, crashed worker)."""
    row = dict(cell)
    row.update(status=status, message=message, estimate=None, seconds=seconds, started_at=started_at,
               finished_at=now(), extra={})
    return row


def run_inline(cells: Iterable[dict[str, Any]], *, on_result: Callable[[dict[str, Any]], None],
               on_start: Callable[[dict[str, Any]], None] | None = None, **_ignored) -> None:
    """Run cells one after another in this process (no isolation, no timeout; for debugging)."""
    for cell in cells:
        if on_start:
            on_start(cell)
        on_result(execute_cell(cell))
