"""ibbench: a benchmarking suite for mutual-information estimators used in information-bottleneck analysis.

The top level stays light: heavy parts (runner, store, estimators, torch) load on first use.
"""

from typing import Any

from ibbench.base import MIEstimator, validate_pair
from ibbench.registry import get_estimator, get_task, list_estimators, list_tasks, register_estimator, register_task
from ibbench.task import Task

__version__ = "0.1.0"

__all__ = [
    "MIEstimator",
    "Task",
    "validate_pair",
    "get_estimator",
    "get_task",
    "list_estimators",
    "list_tasks",
    "register_estimator",
    "register_task",
    "run",  # noqa: F822 - resolved lazily by __getattr__ (keeps `import ibbench` light)
    "load_results",  # noqa: F822
    "infoplane",  # noqa: F822 - ibbench.information_plane.infoplane, loaded on first use
    "__version__",
]


def __getattr__(name: str) -> Any:
    if name == "run":
        from ibbench.runner import run

        return run
    if name == "load_results":
        from ibbench.store import load_results

        return load_results
    if name == "infoplane":
        from ibbench.information_plane import infoplane

        return infoplane
    raise AttributeError(f"module 'ibbench' has no attribute {name!r}")
