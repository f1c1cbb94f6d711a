"""Named, versioned benchmark suites: which tasks, sample sizes, seeds and per-estimator overrides."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class Suite:
    """A named list of ``(task name, task params)`` with default sample sizes and seeds.

    ``estimator_overrides`` maps an estimator name to params applied in this suite (e.g. fewer
    training steps for neural estimators in ``quick``); explicit CLI params win over them.
    """

    name: str
    version: str
    description: str
    tasks: tuple[tuple[str, dict[str, Any]], ...]
    n: tuple[int, ...] = (1000,)
    seeds: int = 3
    estimator_overrides: dict[str, dict[str, Any]] = field(default_factory=dict)


def _quick_tasks() -> tuple[tuple[str, dict[str, Any]], ...]:
    tasks: list[tuple[str, dict[str, Any]]] = [("gaussian-independent", {"dim": 2})]
    for mi in (0.5, 2.0):
        tasks.append(("gaussian-dense", {"dim": 1, "mi": mi}))
        tasks.append(("gaussian-dense", {"dim": 3, "mi": mi}))
    tasks.append(("gaussian-sparse", {"dim": 5, "mi": 1.0, "n_interacting": 2}))
    tasks.append(("categorical", {"n_symbols": 4, "flip": 0.2}))
    return tuple(tasks)


def _full_tasks() -> tuple[tuple[str, dict[str, Any]], ...]:
    tasks: list[tuple[str, dict[str, Any]]] = []
    for dim in (1, 2, 5, 10, 20, 50):
        tasks.append(("gaussian-independent", {"dim": dim}))
        for mi in (0.1, 0.5, 1.0, 2.0, 5.0, 10.0):
            tasks.append(("gaussian-dense", {"dim": dim, "mi": mi}))
        if dim >= 2:
            tasks.append(("gaussian-sparse", {"dim": dim, "mi": 1.0, "n_interacting": 1}))
    for k in (2, 4, 16, 64):
        for flip in (0.0, 0.2, 0.5):
            tasks.append(("categorical", {"n_symbols": k, "flip": flip}))
    return tuple(tasks)


SUITES: dict[str, Suite] = {
    "quick": Suite(
        name="quick", version="1",
        description="a representative slice; --estimators all finishes within ~5 minutes on 2 cores",
        tasks=_quick_tasks(), n=(1000,), seeds=2,
    ),
    "full": Suite(
        name="full", version="1",
        description="every task family over dimensions and MI levels",
        tasks=_full_tasks(), n=(1000, 5000), seeds=5,
    ),
}


def list_suites() -> list[str]:
    """Names of the built-in suites."""
    return sorted(SUITES)


def get_suite(name: str) -> Suite:
    """The suite called ``name`` (``ValueError`` if unknown)."""
    if name not in SUITES:
        raise ValueError(f"unknown suite {name!r}; known: {', '.join(list_suites())}")
    return SUITES[name]
