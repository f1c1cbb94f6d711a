"""Run files (``ibbench run --config run.toml``): the CLI selections in TOML, with parameter grids.

Example::

    suite = "quick"                                  # optional
    n = [1000, 5000]
    seeds = 3

    # optional tasks, added to the suite's: a list of specs, e.g. tasks = ["gaussian-dense:dim=3;mi=1.0"],
    # or (not both: TOML forbids it) tables with params and grids
    [[tasks]]
    name = "gaussian-dense"
    params = { dim = 2 }
    grid = { mi = [0.5, 1.0, 2.0, 4.0] }             # → 4 task configurations (a curve over MI)

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
    for key in ("estimators", "tasks"):
        if key in data:
            out[key] = _specs(path, key, data[key])
    return out


def _specs(path: Path, key: str, entries: Any) -> list[tuple[str, dict[str, Any]]]:
    """``[(name, params)]`` from a list of spec strings and/or ``{name, params, grid}`` tables."""
    from ibbench.runner import split_specs

    if isinstance(entries, str):
        entries = [entries]
    if not isinstance(entries, list):
        raise ValueError(f"{path}: {key} must be a list of specs or [[{key}]] tables, got {entries!r}")
    specs: list[tuple[str, dict[str, Any]]] = []
    for entry in entries:
        if isinstance(entry, str):
            specs += split_specs(entry)
            continue
        if not isinstance(entry, dict) or "name" not in entry:
            raise ValueError(f"{path}: every [[{key}]] entry needs a name, got {entry!r}")
        extra = set(entry) - {"name", "params", "grid"}
        if extra:
            raise ValueError(f"{path}: unknown keys {sorted(extra)} in [[{key}]] {entry['name']!r}; "
                             "allowed: name, params, grid")
        specs += expand_grid(entry["name"], dict(entry.get("params", {})), dict(entry.get("grid", {})))
    return specs
