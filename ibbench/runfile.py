"""Run files (``ibbench run --config run.toml``): the CLI selections in TOML, with parameter grids.

Example::

    suite = "quick"                                  # optional
    tasks = ["gaussian-dense:dim=3;mi=1.0"]          # optional, added to the suite's tasks
    n = [1000, 5000]
    seeds = 3

    [[estimators]]
    name = "ksg"
    grid = { k = [3, 10], algorithm = [1, 2] }       # product of the lists → 4 configurations

    [[estimators]]
    name = "kl"
    params = { k = 5 }                                # fixed params (combined with grid if both)
"""

from __future__ import annotations

import itertools
import tomllib
from pathlib import Path
from typing import Any

_KEYS = {"suite", "tasks", "n", "seeds", "estimators"}


def expand_grid(name: str, params: dict[str, Any], grid: dict[str, list]) -> list[tuple[str, dict[str, Any]]]:
    """``[(name, params ∪ one point of the grid)]`` for every point of the product of ``grid``'s lists."""
    keys = sorted(grid)
    for k in keys:
        if not isinstance(grid[k], list) or not grid[k]:
            raise ValueError(f"grid value of {name}.{k} must be a non-empty list, got {grid[k]!r}")
    return [(name, {**params, **dict(zip(keys, values))}) for values in itertools.product(*(grid[k] for k in keys))]


def load_run_file(path: str | Path) -> dict[str, Any]:
    """Read a TOML run file into keyword arguments of :func:`ibbench.run`."""
    path = Path(path)
    try:
        data = tomllib.loads(path.read_text())
    except tomllib.TOMLDecodeError as exc:
        raise ValueError(f"{path}: invalid TOML: {exc}") from exc
    unknown = set(data) - _KEYS
    if unknown:
        raise ValueError(f"{path}: unknown keys {sorted(unknown)}; allowed: {sorted(_KEYS)}")
    out: dict[str, Any] = {k: data.get(k) for k in ("suite", "tasks", "n", "seeds")}
    if isinstance(out["n"], int):
        out["n"] = [out["n"]]
    if "estimators" in data:
        specs: list[tuple[str, dict[str, Any]]] = []
        for entry in data["estimators"]:
            if isinstance(entry, str):
                specs.append((entry, {}))
                continue
            if "name" not in entry:
                raise ValueError(f"{path}: every [[estimators]] entry needs a name")
            specs += expand_grid(entry["name"], dict(entry.get("params", {})), dict(entry.get("grid", {})))
        out["estimators"] = specs
    return out
