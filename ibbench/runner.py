"""Benchmark runs: selections → grid of cells → execution → SQLite store (resumable).

A *cell* is (estimator identity, task identity, n, seed); its key is the sha256 of the canonical
JSON of that identity (:mod:`ibbench.identity`: non-default params, nested parts and code versions).
Re-running a command skips every key already stored; ``rerun_failed=True`` retries the
error/timeout ones.
"""

from __future__ import annotations

import logging
import numbers
import sys
import time
import uuid
import warnings
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, NamedTuple

from ibbench.base import accepts
from ibbench.identity import cell_identity, estimator_identity, identity_key, task_identity
from ibbench.migrate import migrate_keys
from ibbench.registry import (
    PluginWarning,
    available_estimators,
    get_estimator_class,
    get_task,
    list_tasks,
    parse_spec,
    user_class_payloads,
)
from ibbench.serial import jsonable
from ibbench.specs import Selection, parse_item, selection
from ibbench.store import CLAIM_POLL, DEFAULT_STORE, FAILED, Store
from ibbench.uncertainty import COST_FACTOR, uncertainty_identity

if TYPE_CHECKING:
    from ibbench.progress import RunProgress
    from ibbench.suites import Suite

Spec = tuple[str, dict[str, Any]]


@dataclass(frozen=True, eq=False)
class Cell:
    """One unit of benchmark work. ``key`` identifies it across runs."""

    estimator: str
    estimator_params: dict[str, Any]
    estimator_version: str
    estimator_label: str
    task: str
    task_params: dict[str, Any]
    task_version: str
    task_label: str
    task_family: str
    n: int | None
    seed: int
    true_mi: float
    identity: dict[str, Any]
    task_role: str = "overall"
    skip_reason: str | None = field(default=None, compare=False)
    #: Monte Carlo standard error of ``true_mi`` (0 for an exact truth; see ``ibbench.tasks.mixtures``)
    true_mi_stderr: float = 0.0
    #: resampling interval requested for the cell (``ibbench.uncertainty.METHODS``; part of its identity) or None
    uncertainty: str | None = None

    @property
    def key(self) -> str:
        return identity_key(self.identity)

    def as_dict(self) -> dict[str, Any]:
        d = {k: getattr(self, k) for k in self.__dataclass_fields__ if k != "skip_reason"}
        d["key"] = self.key
        return d


def split_specs(text: str | Sequence[str]) -> list[Spec]:
    """Parse ``"ksg:k=3,ksg:k=10,kl"`` (or a list of specs) into ``[(name, params), ...]``.

    A comma-separated item of the form ``key=value`` continues the previous spec's params, so
    ``"ksg:k=3,algorithm=2"`` is one spec. ``"mymod:MyEst:k=3"`` is the class ``MyEst`` of module
    ``mymod`` with ``k=3`` (its name stays ``"mymod:MyEst"`` here; :func:`ibbench.specs.selection` loads it).
    """
    items = [text] if isinstance(text, str) else list(text)
    specs: list[Spec] = []
    for chunk in items:
        for token in chunk.split(","):
            token = token.strip()
            if not token:
                continue
            if "=" in token and ":" not in token and specs:
                name, params = specs[-1]
                specs[-1] = (name, {**params, **parse_spec("x:" + token)[1]})
            else:
                specs.append(parse_item(token))
    return specs


def params_label(name: str, params: dict[str, Any], defaults: dict[str, Any]) -> str:
    changed = {k: v for k, v in params.items() if defaults.get(k, object()) != v}
    if not changed:
        return name
    return f"{name}(" + ", ".join(f"{k}={v}" for k, v in sorted(changed.items())) + ")"


def _checked(cls: type, params: dict[str, Any], owner: str) -> dict[str, Any]:
    """``cls.check_params(params)`` (validated, cast); classes without one (plain plug-ins) only get
    the NaN / inf check, since a cell's identity is JSON."""
    check = getattr(cls, "check_params", None)
    if check is not None:
        return check(params)
    from ibbench.params import check_parameters

    return check_parameters({}, params, owner)


def _all_estimators() -> list[str]:
    """``available_estimators()``; each estimator that cannot be loaded is left out with a :class:`PluginWarning`."""
    broken: dict[str, str] = {}
    names = available_estimators(broken)
    for reason in broken.values():
        warnings.warn(f"left out of 'all': {reason}", PluginWarning, stacklevel=3)
    return names


def resolve_estimators(estimators: Selection, overrides: dict[str, dict] | None = None) -> list[Spec]:
    """Expand ``"all"`` / spec strings / the user's objects (:func:`ibbench.specs.selection`) into
    ``[(name, params)]`` with suite overrides applied."""
    overrides = overrides or {}
    if isinstance(estimators, str) and estimators.strip() == "all":
        specs: list[Spec] = [(name, {}) for name in _all_estimators()]
    else:
        specs = selection("estimator", estimators)
        if any(name == "all" for name, _ in specs):
            specs = [(n, {}) for n in _all_estimators()] + [(n, p) for n, p in specs if n != "all"]
    return [(name, {**overrides.get(name, {}), **params}) for name, params in specs]


def build_grid(
    estimators: Iterable[Spec],
    tasks: Iterable[Spec],
    ns: Sequence[int],
    seeds: Sequence[int],
    uncertainty: str | None = None,
) -> list[Cell]:
    """The product of the selections as cells (fixed-population tasks ignore ``ns``).

    ``uncertainty``: a resampling method (:data:`ibbench.uncertainty.METHODS`) every cell computes an
    interval with, part of the cells' identity; None (default) = the estimators' own ``stderr_`` only.

    Parameters are validated and cast to their declared types (``check_params``, see
    :mod:`ibbench.params`) before anything is built, so a cell's label, stored params and key all
    use the cast values (``ksg:k=5.0`` is the cell ``ksg(k=5)``; ``ksg:k=1.9`` is a ``ValueError``).
    """
    uncertainty_ident = uncertainty_identity(uncertainty)  # validates the method
    est_info = []
    for name, params in estimators:
        cls = get_estimator_class(name)
        params = _checked(cls, params, f"estimator {name!r}")
        try:
            est = cls(**params)  # validates parameter names early
        except TypeError as exc:  # unknown parameter name: say which estimator and spec
            raise ValueError(f"bad parameters {params} for estimator {name!r}: {exc}") from exc
        full = jsonable(est.get_params(deep=False))
        defaults = jsonable(cls().get_params(deep=False))
        tags = cls.get_tags() if hasattr(cls, "get_tags") else {}
        est_info.append(
            (
                name,
                full,
                str(getattr(cls, "version", "0")),
                params_label(name.removeprefix("__main__:"), full, defaults),
                tags,
                estimator_identity(name, est),
            )
        )
    cells: list[Cell] = []
    for tname, tparams in tasks:
        try:
            task = get_task(tname, **tparams)  # get_task validates and casts (Task.check_params)
        except TypeError as exc:  # unknown parameter name or a value of the wrong type
            raise ValueError(f"bad parameters {tparams} for task {tname!r}: {exc}") from exc
        ident = task.identity()
        task_ident = task_identity(task)
        scope = task.rank_scope if hasattr(task, "rank_scope") else "overall"
        tlabel = params_label(tname.removeprefix("__main__:"), ident["params"], {})
        task_ns = [None] if getattr(task, "fixed_population", False) else list(ns)
        # fixed-population tasks (qnn): the seed selects a training repetition with its own exact truth
        truth = getattr(task, "true_mi_for", lambda seed, task=task: task.true_mi)
        true_mi = {int(s): float(truth(int(s))) for s in seeds}
        true_mi_stderr = float(getattr(task, "true_mi_stderr", 0.0) or 0.0)  # Monte Carlo truths only
        for name, full, version, label, tags, est_ident in est_info:
            skip = None
            for side in ("x", "y"):
                kind = getattr(task, f"{side}_kind")
                if not accepts(tags.get(f"accepts_{side}", "any"), kind):
                    skip = f"{name} does not accept {kind} {side.upper()} ({tlabel})"
            max_dim = tags.get("max_dim")
            if max_dim is not None and task.dim_x + task.dim_y > max_dim:
                skip = f"{name} is meant for dim_x + dim_y <= {max_dim}, task has {task.dim_x + task.dim_y}"
            for n in task_ns:
                for seed in seeds:
                    cells.append(
                        Cell(
                            name,
                            full,
                            version,
                            label,
                            tname,
                            ident["params"],
                            ident["version"],
                            tlabel,
                            getattr(task, "family", "other"),
                            n,
                            int(seed),
                            true_mi[int(seed)],
                            cell_identity(est_ident, task_ident, n, int(seed), uncertainty_ident),
                            scope,
                            skip,
                            true_mi_stderr,
                            uncertainty,
                        )
                    )
    return cells


class Segment(NamedTuple):
    """One homogeneous block of a grid: tasks × estimators × sample sizes × seeds."""

    tasks: list[Spec]
    estimators: list[Spec]
    n: list[int]
    seeds: list[int]
    label: str | None  # "part vX" for a part of a composite suite


def _seed_list(seeds: int | Sequence[int]) -> list[int]:
    return list(range(seeds)) if isinstance(seeds, int) else [int(s) for s in seeds]


def suite_segments(
    suite: Suite,
    estimators: Selection | None = None,
    n: Sequence[int] | None = None,
    seeds: int | Sequence[int] | None = None,
) -> list[Segment]:
    """The grid blocks of a suite: one for a plain suite, one per part for a composite suite.

    Each block takes its suite's (or part's) tasks, estimator overrides, sample sizes and seeds;
    ``estimators`` / ``n`` / ``seeds``, when given, replace the suite's own choices in every block
    (``estimators=None`` = the suite's own selection, else all).
    """
    from ibbench.suites import get_suite

    parts = [get_suite(p) for p in suite.parts] if suite.parts else [suite]
    return [
        Segment(
            list(part.tasks),
            resolve_estimators(_chosen_estimators(estimators, part), part.estimator_overrides),
            list(n) if n else list(part.n),
            _seed_list(part.seeds if seeds is None else seeds),
            f"{part.name} v{part.version}" if suite.parts else None,
        )
        for part in parts
    ]


def _chosen_estimators(estimators: Selection | None, suite: Suite | None) -> Selection:
    """The caller's selection, else the suite's own estimators, else all."""
    if estimators is not None:
        return estimators
    return list(suite.estimators) if suite is not None and suite.estimators else "all"


def _segments_config(segments: list[Segment]) -> dict[str, Any]:
    """The selections for the ``runs`` table: flat for one segment, a list for a composite suite."""
    parts = [
        {
            "estimators": seg.estimators,
            "tasks": seg.tasks,
            "n": seg.n,
            "seeds": seg.seeds,
            **({"suite": seg.label} if seg.label else {}),
        }
        for seg in segments
        if seg.tasks
    ]
    return parts[0] if len(parts) == 1 else {"segments": parts}


@dataclass
class RunSummary:
    """What a run did: its id, how many cells the grid had, how many ran, and their statuses."""

    run_id: str
    store: str
    n_cells: int
    n_skipped_existing: int
    statuses: dict[str, int]
    n_claimed_elsewhere: int = 0  # cells another live run was computing when this one started (waited for)
    #: cells that could not be run for reasons outside the estimator (no row stored; retried first), and why
    infra_failures: list[str] = field(default_factory=list)

    @property
    def n_failed(self) -> int:
        """Cells of this run stored as ``error`` or ``timeout``."""
        return sum(self.statuses.get(status, 0) for status in FAILED)

    def problems(self, strict: bool = False) -> list[str]:
        """Why the run did not do its job (empty if it did); ``ibbench run`` exits 1 if there are any.

        Infrastructure failures, or every cell it attempted failed (a run whose every cell was
        skipped or already stored attempted none); with ``strict``, any failed cell.
        """
        found = [f"infrastructure failure: {message}" for message in self.infra_failures]
        attempted = sum(count for status, count in self.statuses.items() if status != "skipped")
        if self.n_failed and (strict or self.n_failed == attempted):
            found.append(f"{self.n_failed} of the {attempted} cell(s) run failed (error or timeout)")
        return found


#: Largest finite per-cell timeout (seconds, ~11.6 days): longer waits overflow the OS timers.
MAX_TIMEOUT = 1e6


def check_timeout(timeout: float | None) -> float | None:
    """A per-cell ``timeout`` validated: None or inf = no limit (None), else seconds in (0, MAX_TIMEOUT]."""
    if timeout is None or (isinstance(timeout, (int, float)) and timeout == float("inf")):
        return None
    if isinstance(timeout, bool) or not isinstance(timeout, (int, float)) or not 0 < timeout <= MAX_TIMEOUT:
        raise ValueError(
            f"timeout must be a number of seconds in (0, {MAX_TIMEOUT:.0e}], or None / inf for no "
            f"limit; got {timeout!r}"
        )
    return float(timeout)


def _progress_callbacks(
    progress: bool | Callable[[dict[str, Any], int, int], None] | None,
    on_plan: Callable[[int, int], None] | None,
    store: str | Path,
) -> tuple[Callable[[dict[str, Any], int, int], None] | None, Callable[[int, int], None] | None, RunProgress | None]:
    """``run``'s ``progress`` argument as (per-cell callback, plan callback, display to stop or None)."""
    if callable(progress):
        return progress, on_plan, None
    from ibbench.progress import RunProgress, progress_wanted

    if not progress_wanted(progress):
        return None, on_plan, None
    display = RunProgress(store=store)
    if on_plan is None:
        return display.on_cell, display.on_plan, display
    user_plan = on_plan

    def both(todo: int, existing: int) -> None:
        display.on_plan(todo, existing)
        user_plan(todo, existing)

    return display.on_cell, both, display


def estimator_major(cells: list[Cell]) -> list[Cell]:
    """The cells grouped by estimator configuration (in order of first appearance), grid order within.

    Scheduling only: results do not depend on the order. Grouping keeps the cells that share cached
    work (the codes of a ``compressed-*`` configuration are per task and seed, shared by its inner
    estimators) from waiting on each other's cache lock: the first configuration computes each
    task's and seed's codes once, one after another, and the later ones find them cached. In grid
    order (task, estimator, seed) the third seed's codes of every task were still being computed
    when the next inner estimator needed them; simulated on the recorded seconds of the ``paper``
    suite, a cold-cache run on 2 workers drops from ~180 to ~146 min (its lower bound, total work / 2);
    with the codes cached both orders are at the bound (docs/performance.md).
    """
    first: dict[str, int] = {}
    for cell in cells:
        first.setdefault(cell.estimator_label, len(first))
    return sorted(cells, key=lambda cell: first[cell.estimator_label])


def run(
    estimators: Selection | None = None,
    suite: str | None = None,
    tasks: Selection | None = None,
    n: int | Sequence[int] | None = None,
    seeds: int | Sequence[int] | None = None,
    store: str | Path = DEFAULT_STORE,
    jobs: int = 1,
    timeout: float | None = 600.0,
    rerun_failed: bool = False,
    backend: str = "local",
    scheduler: str | None = None,
    dask_local: int | None = None,
    progress: bool | Callable[[dict[str, Any], int, int], None] | None = None,
    on_plan: Callable[[int, int], None] | None = None,
    command: str | None = None,
    config: dict[str, Any] | None = None,
    cache: bool = True,
    max_memory: float | str | None = "auto",
    uncertainty: str | None = None,
) -> RunSummary:
    """Run a benchmark grid and store every cell's result (the Python twin of ``ibbench run``).

    Parameters
    ----------
    estimators : str, list or None
        ``"all"``, a spec string like ``"ksg:k=3,kl"`` or a list of specs; None = the suite's own
        selection (``Suite.estimators``, e.g. a paper's configurations), else all. Your own estimators
        (docs/own-estimators.md): an ``MIEstimator`` instance (its ``get_params()`` are the cell's params),
        a subclass (its defaults), ``"module:Class[:key=value;...]"``, or a name given to
        :func:`ibbench.register_estimator`; lists may mix all of these. Classes defined in the script
        or notebook reach the cell processes by value (cloudpickle); their cell keys hold a hash of
        their source (:func:`ibbench.identity.code_identity`).
    suite : str or None
        Name of a suite in ``ibbench.suites`` (tasks, default n, seeds, overrides); a
        composite suite (``Suite.parts``) runs the union of its parts, each with its own settings.
    tasks : str, list or None
        Task specs (``"gaussian-dense:dim=3;mi=1.0"``, or ``[(name, params)]``) instead of / in addition
        to a suite; like ``estimators``, also ``Task`` instances and subclasses and ``"module:Class"``.
    n : int, list of int or None
        Sample size(s); defaults to the suite's, else 1000.
    seeds : int, list of int or None
        Number of seeds (0..seeds-1) or an explicit list; defaults to the suite's, else 3.
    store : str or Path
        SQLite path.
    jobs : int
        Concurrent cell processes (local backend).
    timeout : float or None
        Seconds per cell before its process is killed, at most :data:`MAX_TIMEOUT`
        (None or inf = no limit). With ``uncertainty`` the cell also runs the resampling refits, so
        its budget is ``timeout · (1 + COST_FACTOR)`` (6× by default).
    rerun_failed : bool
        Retry cells stored as error/timeout.
    backend : {"local", "inline", "dask"}
        "local" (separate killable cell processes), "inline" (this process, no timeout) or "dask".
    scheduler : str or None
        Dask scheduler address (``tcp://host:8786``) for backend "dask".
    dask_local : int or None
        Start a local dask cluster of this many workers for backend "dask".
    progress : bool, callable or None
        A progress bar over the cells on stderr (rich; in a notebook, its output area): None (default) =
        shown when stderr is a terminal or in a Jupyter/IPython kernel, True = always, False = never. Or a
        callback ``(row, done, total)`` called after each cell instead of the bar (``ibbench run`` passes its own).
    on_plan : callable or None
        Callback ``(to_run, already_done)`` once the grid is known. Cells that another live run
        on the same store is computing are in neither count: they are logged (logger ``ibbench``),
        counted in ``RunSummary.n_claimed_elsewhere``, and waited for before ``run`` returns (taken
        over if that run dies), so that every cell of the grid has a row at the end.
    command : str or None
        The command line recorded in the store's ``runs`` table (default: ``sys.argv``).
    config : dict or None
        Extra settings recorded with the run's configuration in the ``runs`` table.
    cache : bool
        False computes every cell's optional cached work afresh (the compression codes) and writes
        none of it (``ibbench run --no-cache``): only the runtimes change, never a result or a key.
        Task caches (the qnn tasks' trained networks) stay on. Recorded as ``no_cache`` in the run's config.
    max_memory : float, "auto" or None
        Address-space limit of each cell process in GiB (``RLIMIT_AS``; local and dask
        backends): "auto" = 75% of the memory of the machine running the cell (its cgroup limit if
        lower), None or 0 = no limit. A cell that exceeds it fails with "exceeded memory limit".
    uncertainty : str or None
        A resampling method (``"subsampling"``, ``"jackknife"``;
        :func:`ibbench.uncertainty.resample_interval`) every cell also computes an interval with
        (``ibbench run --uncertainty``), bounded by ~5 plain fits for an n log n estimator; part of the
        cells' identity (cells run without it are not reused). None (default): the estimators' own
        ``stderr_`` / ``ci_`` only.

    Returns
    -------
    RunSummary
        Its ``infra_failures`` lists cells that could not be run for reasons outside the estimator
        (a cell process that could not start or died before starting the cell, a lost dask worker;
        retried first, never stored, logged as errors), e.g. a script that calls ``ibbench.run``
        without an ``if __name__ == "__main__":`` guard. ``RunSummary.problems()`` says whether the run
        did its job.
    """
    from ibbench.cell_process import InfrastructureError, exit_if_reimporting_main, memory_limit, run_local
    from ibbench.execution import environment, failure_row, now, run_inline
    from ibbench.suites import get_suite

    exit_if_reimporting_main()  # a cell process re-importing an unguarded script: leave the store alone
    from ibbench.numerics.knn import available_cpus

    available_cpus()  # a malformed $IBBENCH_CPUS: a clear error now, not an error row per cell
    on_cell, on_plan, display = _progress_callbacks(progress, on_plan, store)

    suite_obj = get_suite(suite) if suite else None
    extra_tasks: list[Spec] = []
    if tasks == "all":
        extra_tasks += [(t, {}) for t in list_tasks()]
    elif tasks:
        extra_tasks += selection("task", tasks)  # specs, (name, params) pairs (run files), the user's objects
    ns_arg = [n] if isinstance(n, int) else list(n) if n else None
    if ns_arg is not None and any(isinstance(v, bool) or not isinstance(v, numbers.Integral) or v < 1 for v in ns_arg):
        raise ValueError(f"n must be positive integers, got {ns_arg}")
    if isinstance(seeds, int) and seeds < 1:
        raise ValueError(f"seeds must be a positive number of seeds (0..seeds-1), got {seeds}")
    timeout = check_timeout(timeout)
    if uncertainty and timeout is not None:
        # the cell also runs the resampling refits (at most ~COST_FACTOR plain fits): scale its budget
        # so that a cell whose plain fit fits the timeout is not killed in its resampling
        timeout = min(timeout * (1.0 + COST_FACTOR), MAX_TIMEOUT)
    memory_limit(max_memory)  # validates

    # one segment per (part of the) suite: its tasks with its estimators, sample sizes and seeds
    segments = suite_segments(suite_obj, estimators, ns_arg, seeds) if suite_obj else []
    if extra_tasks:
        plain = suite_obj if suite_obj is not None and not suite_obj.parts else None  # extra tasks take its settings
        segments.append(
            Segment(
                extra_tasks,
                resolve_estimators(
                    _chosen_estimators(estimators, suite_obj), suite_obj.estimator_overrides if suite_obj else None
                ),
                ns_arg or list(plain.n if plain is not None else (1000,)),
                _seed_list(seeds if seeds is not None else plain.seeds if plain is not None else 3),
                None,
            )
        )
    if not any(seg.tasks for seg in segments):
        raise ValueError("nothing to run: give a suite or tasks")
    grid = [
        cell
        for seg in segments
        if seg.tasks
        for cell in build_grid(seg.estimators, seg.tasks, seg.n, seg.seeds, uncertainty)
    ]
    if backend != "inline":
        user_class_payloads()  # a class of the user's that cannot be sent to cell processes: ValueError now

    st = Store(store)
    env = environment()
    migrate_keys(st)  # a store written under key scheme 1 is re-keyed once, so its cells are reused
    retry = FAILED if rerun_failed else ()
    unique = {c.key: c for c in grid}
    run_id = uuid.uuid4().hex[:12]
    counts: dict[str, int] = {}
    finished = total = 0
    try:
        # Claim every cell to compute in one transaction (Store.claim). Cells claimed by another live
        # run are left to it and waited for below; they are taken over if that run dies.
        plan = st.claim(unique, run_id, retry=retry)
        st.keep_claims(run_id)
        todo = estimator_major([unique[k] for k in plan.claimed])
        total, n_existing, waiting = len(todo), len(plan.done), plan.elsewhere
        n_elsewhere = len(waiting)
        if waiting:
            logging.getLogger("ibbench").warning(
                "%d cell(s) are being computed by another run on %s (run %s): left to it; this run waits for them",
                len(waiting),
                store,
                ", ".join(sorted(set(waiting.values()))),
            )
        if on_plan:
            on_plan(len(todo), n_existing)
        st.start_run(
            {
                "id": run_id,
                "command": command or " ".join(sys.argv),
                "suite": suite,
                "suite_version": suite_obj.version if suite_obj else None,
                "config": {
                    **_segments_config(segments),
                    "jobs": jobs,
                    "timeout": timeout,
                    "backend": backend,
                    "no_cache": not cache,
                    "max_memory": max_memory,
                    **({"uncertainty": uncertainty} if uncertainty else {}),
                    **(config or {}),
                },
                "versions": env,
                "started_at": now(),
                "n_cells": len(grid),
            }
        )

        def record(row: dict[str, Any]) -> None:
            nonlocal finished
            for k, v in env.items():  # a dask row already carries its worker's host and versions
                row.setdefault(k, v)
            row["run_id"] = run_id
            st.write_cell(row)  # also releases the cell's claim
            finished += 1
            counts[row["status"]] = counts.get(row["status"], 0) + 1
            if on_cell is not None:
                on_cell(row, finished, total)

        infra: list[str] = []  # cells not run for reasons outside the estimator (no row), and why
        aborted = False

        def infra_failed(cell: dict[str, Any] | None, message: str) -> None:
            if cell is not None:
                message = (
                    f"{cell['estimator_label']} on {cell['task_label']} n={cell['n']} seed={cell['seed']}: {message}"
                )
            infra.append(message)
            logging.getLogger("ibbench").error("not run (infrastructure failure): %s", message)

        def execute(cells: list[Cell]) -> None:
            nonlocal aborted
            runnable = []
            for cell in cells:
                if cell.skip_reason:
                    record(failure_row(cell.as_dict(), "skipped", cell.skip_reason, now()))
                else:
                    runnable.append(cell.as_dict() if cache else {**cell.as_dict(), "use_cache": False})
            try:
                if backend == "local":
                    run_local(
                        runnable,
                        jobs=jobs,
                        timeout=timeout,
                        on_result=record,
                        max_memory=max_memory,
                        on_infra=infra_failed,
                    )
                elif backend == "inline":
                    run_inline(runnable, on_result=record)
                elif backend == "dask":
                    from ibbench.dask_backend import run_dask

                    run_dask(
                        runnable,
                        scheduler=scheduler,
                        n_workers=dask_local,
                        timeout=timeout,
                        on_result=record,
                        max_memory=max_memory,
                        on_infra=infra_failed,
                    )
                else:
                    raise ValueError(f"unknown backend {backend!r}; use local, inline or dask")
            except InfrastructureError as exc:  # the run cannot go on (e.g. an unguarded main module)
                aborted = True
                infra_failed(None, str(exc))

        execute(todo)
        owners = set(waiting.values())
        # the other runs' cells: done when their rows appear; taken over when a claim lapses
        while waiting and not aborted:
            time.sleep(CLAIM_POLL)
            plan = st.claim(waiting, run_id, retry=retry, final_runs=owners)
            owners |= set(plan.elsewhere.values())
            if plan.claimed:
                total += len(plan.claimed)
                execute([unique[k] for k in plan.claimed])
            waiting = plan.elsewhere
    finally:
        if display is not None:
            display.stop()
        st.release_claims(run_id)
        st.finish_run(run_id, now(), finished)
        st.close()
    return RunSummary(run_id, str(store), len(grid), n_existing, counts, n_elsewhere, infra)
