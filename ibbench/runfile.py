"""Run files (``ibbench run --config run.toml``): the CLI selections in TOML, with parameter grids.

Example::

    suite = "quick"                                  # optional
    n = [1000, 5000]
    seeds = 3
    store = "results.sqlite"                         # optional: also jobs = 2, timeout = 600

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
import json
import math
import tomllib
from pathlib import Path
from typing import Any

_KEYS = {"suite", "tasks", "n", "seeds", "estimators", "store", "jobs", "timeout"}


def expand_grid(name: str, params: dict[str, Any], grid: dict[str, list]) -> list[tuple[str, dict[str, Any]]]:
    """``[(name, params ∪ one point of the grid)]`` for every point of the product of ``grid``'s lists."""
    keys = sorted(grid)
    for k in keys:
        if not isinstance(grid[k], list) or not grid[k]:
            raise ValueError(f"grid value of {name}.{k} must be a non-empty list, got {grid[k]!r}")
    return [(name, {**params, **dict(zip(keys, values))}) for values in itertools.product(*(grid[k] for k in keys))]


def load_run_file(path: str | Path) -> dict[str, Any]:
    """Read a TOML run file into keyword arguments of :func:`ibbench.run`.

    The file is checked against the schema below at every level; any violation is a ``ValueError``
    naming the file and the key (``run.toml: seeds must be a positive integer, got "10"``).

    ==============  ==================================================================================
    key             value
    ==============  ==================================================================================
    ``suite``       a suite name (string)
    ``n``           a positive integer or a non-empty list of them
    ``seeds``       a positive integer S (seeds 0..S-1) or a non-empty list of distinct integers >= 0
    ``tasks``       a spec string, a list of spec strings, or ``[[tasks]]`` tables
    ``estimators``  the same, ``[[estimators]]``
    ``store``       the results store (a path string)
    ``jobs``        cells run concurrently (a positive integer)
    ``timeout``     seconds per cell (a number > 0; 0 or ``inf`` = no limit, returned as None)
    ==============  ==================================================================================

    ``store``, ``jobs`` and ``timeout`` are returned only when the file has them. ``ibbench run``
    uses the file's value of a key unless that option is given on the command line (a given flag wins).

    A ``[[tasks]]`` / ``[[estimators]]`` table has ``name`` (string, required), ``params`` (a table)
    and ``grid`` (a table of non-empty lists); no other keys. Parameter values must be strings,
    numbers, booleans, arrays or tables (no dates); their types and ranges are checked when the
    grid is built (each estimator's and task's declared parameters).
    """
    path = Path(path)
    try:
        data = tomllib.loads(path.read_text())
    except tomllib.TOMLDecodeError as exc:
        raise ValueError(f"{path}: invalid TOML: {exc}") from exc
    unknown = set(data) - _KEYS
    if unknown:
        raise ValueError(f"{path}: unknown keys {sorted(unknown)}; allowed: {sorted(_KEYS)}")
    out: dict[str, Any] = {k: None for k in ("suite", "tasks", "n", "seeds")}
    if "suite" in data:
        if not isinstance(data["suite"], str) or not data["suite"].strip():
            _bad(path, "suite", "a suite name (string)", data["suite"])
        out["suite"] = data["suite"]
    if "n" in data:
        out["n"] = _positive_ints(path, "n", data["n"])
    if "seeds" in data:
        out["seeds"] = _seeds(path, data["seeds"])
    for key in ("estimators", "tasks"):
        if key in data:
            out[key] = _specs(path, key, data[key])
    if "store" in data:
        if not isinstance(data["store"], str) or not data["store"].strip():
            _bad(path, "store", "a path (string)", data["store"])
        out["store"] = data["store"]
    if "jobs" in data:
        if not _is_int(data["jobs"]) or data["jobs"] < 1:
            _bad(path, "jobs", "a positive integer", data["jobs"])
        out["jobs"] = data["jobs"]
    if "timeout" in data:
        out["timeout"] = _timeout(path, data["timeout"])
    return out


def _timeout(path: Path, value: Any) -> float | None:
    """``timeout``: seconds in (0, MAX_TIMEOUT], or 0 / inf for no limit (None)."""
    from ibbench.runner import MAX_TIMEOUT

    expected = f"a number of seconds in (0, {MAX_TIMEOUT:.0e}], or 0 / inf for no limit"
    if isinstance(value, bool) or not isinstance(value, (int, float)) or math.isnan(value) or value < 0:
        _bad(path, "timeout", expected, value)
    if value == 0 or value == math.inf:
        return None
    if value > MAX_TIMEOUT:
        _bad(path, "timeout", expected, value)
    return float(value)


def _show(value: Any) -> str:
    """``value`` spelled as in the file (JSON spelling: strings in double quotes, true/false)."""
    try:
        return json.dumps(value, default=str)
    except ValueError:  # nan / inf
        return repr(value)


def _bad(path: Path, key: str, expected: str, value: Any) -> None:
    raise ValueError(f"{path}: {key} must be {expected}, got {_show(value)}")


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _positive_ints(path: Path, key: str, value: Any) -> list[int]:
    """``n``: a positive integer or a non-empty list of positive integers, as a list."""
    expected = "a positive integer or a non-empty list of positive integers"
    values = value if isinstance(value, list) else [value]
    if not values or not all(_is_int(v) and v >= 1 for v in values):
        _bad(path, key, expected, value)
    return list(values)


def _seeds(path: Path, value: Any) -> int | list[int]:
    """``seeds``: a number of seeds (0..S-1) or an explicit list of distinct seeds >= 0."""
    if isinstance(value, list):
        if not value or not all(_is_int(v) and v >= 0 for v in value) or len(set(value)) != len(value):
            _bad(path, "seeds", "a positive integer or a non-empty list of distinct integers >= 0", value)
        return list(value)
    if not _is_int(value) or value < 1:
        _bad(path, "seeds", "a positive integer", value)
    return value


def _check_values(path: Path, where: str, value: Any) -> None:
    """Parameter values: strings, finite numbers, booleans, arrays and tables of them (no TOML dates)."""
    if isinstance(value, dict):
        for k, v in value.items():
            _check_values(path, f"{where}.{k}", v)
    elif isinstance(value, list):
        for i, v in enumerate(value):
            _check_values(path, f"{where}[{i}]", v)
    elif isinstance(value, float) and not math.isfinite(value):
        _bad(path, where, "a finite number", value)
    elif not isinstance(value, (str, int, float, bool)):
        _bad(path, where, "a string, number, boolean, array or table", value)


def _specs(path: Path, key: str, entries: Any) -> list[tuple[str, dict[str, Any]]]:
    """``[(name, params)]`` from a list of spec strings and/or ``{name, params, grid}`` tables."""
    from ibbench.runner import split_specs

    if isinstance(entries, str):
        entries = [entries]
    if not isinstance(entries, list):
        _bad(path, key, f"a spec string, a list of specs or [[{key}]] tables", entries)
    specs: list[tuple[str, dict[str, Any]]] = []
    for i, entry in enumerate(entries):
        where = f"{key}[{i}]"
        if isinstance(entry, str):
            try:
                specs += split_specs(entry)
            except ValueError as exc:
                raise ValueError(f"{path}: {where}: {exc}") from exc
            continue
        if not isinstance(entry, dict) or "name" not in entry:
            raise ValueError(f"{path}: every [[{key}]] entry needs a name, got {_show(entry)}")
        extra = set(entry) - {"name", "params", "grid"}
        if extra:
            raise ValueError(
                f"{path}: unknown keys {sorted(extra)} in [[{key}]] {entry['name']!r}; allowed: name, params, grid"
            )
        name = entry["name"]
        if not isinstance(name, str) or not name.strip():
            _bad(path, f"{where}.name", "a name (string)", name)
        where = f"{key}[{i}] ({name})"
        params, grid = entry.get("params", {}), entry.get("grid", {})
        if not isinstance(params, dict):
            _bad(path, f"{where}.params", "a table such as { k = 3 }", params)
        if not isinstance(grid, dict):
            _bad(path, f"{where}.grid", "a table of lists such as { k = [3, 10] }", grid)
        for k, values in grid.items():
            if not isinstance(values, list) or not values:
                _bad(path, f"{where}.grid.{k}", "a non-empty list", values)
        _check_values(path, f"{where}.params", params)
        _check_values(path, f"{where}.grid", grid)
        specs += expand_grid(name, dict(params), dict(grid))
    return specs
