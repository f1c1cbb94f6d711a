"""Executing benchmark cells: one cell → one result row (never raises), plus the rows' environment.

Where cells run is decided elsewhere: :mod:`ibbench.cell_process` (local processes with a
watchdog), :mod:`ibbench.dask_backend` (a cluster) or :func:`run_inline` (this process).
Exceptions and non-finite estimates become rows; the run goes on.

Runtime accounting. A row's ``seconds`` times ``fit`` alone. Work that an estimator reuses from a
cache (e.g. the autoencoder codes of ``compressed-ae``, shared by cells that differ only in the
inner estimator) is cheap to read but was expensive to compute, so warm-cache seconds understate
the estimator's cost. Convention: an estimator that reuses cached work sets the fitted attributes
``cache_hit_`` (True if any cached artefact was reused) and ``cached_seconds_`` (the sum of the
compute costs recorded with the reused artefacts when they were first computed; 0.0 when
everything was computed in this fit). The row then holds ``cache_hit`` (1/0) and ``cold_seconds``
= ``seconds`` + ``cached_seconds_``, the cost of the fit with a cold cache; an estimator without the
attributes counts as computing everything (``cache_hit`` 0, ``cold_seconds`` = ``seconds``). Rows of
cells that produced no result (timeout, crash, skipped) hold None in both.

Task-side caches (the trained networks of the ``qnn-*`` tasks) are data generation, shared by all
estimators of a task, and stay out of the estimator's runtime like all sampling: they never enter
``seconds`` or ``cold_seconds``. A task that reuses cached work may set the same two attributes
in ``sample``; the row's ``extra`` then records ``task_cache_hit`` (1/0) and ``task_cold_seconds``
(``sample_seconds`` + the task's ``cached_seconds_``) beside ``sample_seconds``.

A cell dict may carry ``"use_cache": False`` (``ibbench run --no-cache``): the estimator is then
built and fitted with ``IBBENCH_CACHE=off`` in ``os.environ`` (restored afterwards), so optional
caches (the compression codes) are neither read nor written. Sampling runs outside that window:
task caches cannot be switched off (a qnn task needs its trained network) and must keep their
directory. The flag is not part of the cell's key (it never changes a result) and is not stored.
"""

from __future__ import annotations

import math
import os
import platform
import resource
import socket
import time
import traceback
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any


def now() -> str:
    """UTC timestamp (ISO 8601, seconds)."""
    return datetime.now(UTC).isoformat(timespec="seconds")


def cpu_model() -> str:
    """The CPU model: ``/proc/cpuinfo``'s model name, else ``platform.processor()`` or the machine type."""
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
        "cpu": cpu_model(),
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


def _memory_limit_gib() -> float | None:
    """This process's address-space limit (``RLIMIT_AS``, set in cell processes) in GiB; None if unlimited."""
    soft = resource.getrlimit(resource.RLIMIT_AS)[0]
    return None if soft == resource.RLIM_INFINITY else soft / 2**30


def _out_of_memory(exc: BaseException) -> bool:
    """True for a failed allocation: ``MemoryError`` (numpy's too) or torch's CPU allocator error."""
    return isinstance(exc, MemoryError) or (isinstance(exc, RuntimeError) and "can't allocate memory" in str(exc))


def _fitted_extras(est: object) -> dict[str, Any]:
    """Optional fitted attributes worth keeping (stderr, entropies, saturation, ...)."""
    extras: dict[str, Any] = {}
    for attr in (
        "stderr_",
        "entropy_x_",
        "entropy_y_",
        "entropy_xy_",
        "saturated_",
        "bandwidth_",
        "reconstruction_error_x_",
        "reconstruction_error_y_",
        "compression_seconds_x_",
        "compression_seconds_y_",
    ):
        value = getattr(est, attr, None)
        if isinstance(value, (bool, int, float)) and (not isinstance(value, float) or math.isfinite(value)):
            extras[attr] = value
    ci = getattr(est, "ci_", None)  # the estimator's own 95% interval (ibbench.uncertainty)
    if isinstance(ci, tuple) and len(ci) == 2 and all(isinstance(v, float) and math.isfinite(v) for v in ci):
        extras["ci_low"], extras["ci_high"] = ci
    device = getattr(est, "device_", None)  # torch estimators: the device the fit ran on ("cpu", "cuda:0", ...)
    if isinstance(device, str):
        extras["device"] = device
    return extras


@contextmanager
def _optional_caches(enabled: bool) -> Iterator[None]:
    """``IBBENCH_CACHE=off`` in ``os.environ`` inside the block unless ``enabled``; restored afterwards."""
    if enabled:
        yield
        return
    from ibbench.cache import cache_setting

    with cache_setting("off"):
        yield


def _cache_use(obj: object) -> tuple[bool, float]:
    """``(cache_hit_, cached_seconds_)`` of a fitted estimator or sampled task; (False, 0.0) without them."""
    hit = bool(getattr(obj, "cache_hit_", False))
    seconds = getattr(obj, "cached_seconds_", 0.0)
    return hit, float(seconds) if isinstance(seconds, (int, float)) and math.isfinite(seconds) else 0.0


def _resampling(est: Any, X: Any, Y: Any, method: str, seed: int, estimate: float) -> dict[str, Any]:
    """The resampling interval a cell asked for (:func:`ibbench.uncertainty.resample_interval`, seeded
    by ``derive_seed(seed, 2)``) as stored in the row's ``extra["resampling"]``: stderr, 95% interval,
    the replicate estimates (intervals at any level follow from them) and ``seconds``. A failure of the
    resampling leaves the estimate standing: ``{"method", "error"}``."""
    from ibbench.numerics.random import derive_seed
    from ibbench.uncertainty import resample_interval

    t0 = time.perf_counter()
    try:
        result = resample_interval(est, X, Y, method, random_state=derive_seed(seed, 2), estimate=estimate)
    except Exception as exc:  # noqa: BLE001 - e.g. a subsample too small for the estimator
        return {"method": method, "error": f"{type(exc).__name__}: {exc}"[:1000]}
    return {**result.as_dict(), "seconds": time.perf_counter() - t0}


def execute_cell(cell: dict[str, Any]) -> dict[str, Any]:
    """Run one cell in the current process and return its result row (never raises).

    ``cell`` holds estimator/estimator_params/task/task_params/n/seed (see ``runner.Cell.as_dict``)
    and optionally ``use_cache`` (default True; see the module docstring). The task is sampled with
    ``random_state=seed``; a stochastic estimator whose ``random_state`` is None gets the seed
    ``derive_seed(seed, 1)``. Besides the estimate, the row records ``seconds`` (``fit`` alone),
    ``cache_hit`` and ``cold_seconds`` (the module docstring's runtime accounting). A cell with
    ``uncertainty`` (a resampling method) also stores its interval in ``extra["resampling"]``
    (:func:`_resampling`; its time is not in ``seconds``).
    """
    from ibbench.numerics.random import derive_seed
    from ibbench.registry import get_estimator, get_task

    row = dict(cell)
    use_cache = bool(row.pop("use_cache", True))
    row["started_at"] = now()
    row["status"], row["message"], row["estimate"], row["seconds"] = "error", None, None, None
    row["cache_hit"], row["cold_seconds"] = None, None
    extra: dict[str, Any] = {}
    try:
        task = get_task(cell["task"], **cell["task_params"])
        t0 = time.perf_counter()
        X, Y = task.sample(cell["n"], random_state=cell["seed"])
        extra["sample_seconds"] = time.perf_counter() - t0
        task_hit, task_cached = _cache_use(task)
        extra["task_cache_hit"] = int(task_hit)
        extra["task_cold_seconds"] = extra["sample_seconds"] + task_cached
        row["n"] = len(X)
        with _optional_caches(use_cache):
            est = get_estimator(cell["estimator"], **cell["estimator_params"])
            params = est.get_params(deep=False)
            if "random_state" in params and params["random_state"] is None:
                est.set_params(random_state=derive_seed(cell["seed"], 1))
            t0 = time.perf_counter()
            est.fit(X, Y)
            row["seconds"] = time.perf_counter() - t0
        hit, cached = _cache_use(est)
        row["cache_hit"], row["cold_seconds"] = int(hit), row["seconds"] + cached
        value = float(est.mutual_info_)
        row["estimate"] = value if math.isfinite(value) else None
        extra.update(_fitted_extras(est))
        if cell.get("uncertainty") and math.isfinite(value):
            with _optional_caches(use_cache):
                extra["resampling"] = _resampling(est, X, Y, cell["uncertainty"], cell["seed"], value)
        if math.isfinite(value):
            row["status"] = "ok"
        else:
            row["message"] = f"estimator returned a non-finite estimate ({value})"
    except Exception as exc:  # noqa: BLE001 - every failure becomes a row
        row["message"] = f"{type(exc).__name__}: {exc}\n{traceback.format_exc(limit=3)}"[:4000]
        limit = _memory_limit_gib()
        if limit is not None and _out_of_memory(exc):
            row["message"] = f"exceeded memory limit ({limit:.3g} GiB): {row['message']}"[:4000]
    row["finished_at"] = now()
    row["peak_mem_mb"] = _peak_rss_mb()
    row["extra"] = extra
    return row


def failure_row(
    cell: dict[str, Any], status: str, message: str, started_at: str, seconds: float | None = None
) -> dict[str, Any]:
    """A result row for a cell that produced no result of its own (timeout, crashed worker)."""
    row = dict(cell)
    row.pop("use_cache", None)
    row.update(
        status=status,
        message=message,
        estimate=None,
        seconds=seconds,
        cache_hit=None,
        cold_seconds=None,
        started_at=started_at,
        finished_at=now(),
        extra={},
    )
    return row


def run_inline(
    cells: Iterable[dict[str, Any]],
    *,
    on_result: Callable[[dict[str, Any]], None],
    on_start: Callable[[dict[str, Any]], None] | None = None,
    **_ignored: Any,
) -> None:
    """Run cells one after another in this process (no isolation, no timeout; for debugging)."""
    for cell in cells:
        if on_start:
            on_start(cell)
        on_result(execute_cell(cell))
