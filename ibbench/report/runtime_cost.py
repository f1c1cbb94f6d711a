"""Which runtime a report shows per cell: the cold-cache cost (default) or the warm ``fit`` seconds.

Every row records ``seconds`` (``fit`` as it ran, possibly reading work cached by an earlier cell)
and ``cold_seconds`` (``seconds`` plus the recorded cost of the cached work it reused; see the
runtime accounting in :mod:`ibbench.execution`). ``"cold"`` is what the estimator costs on its own;
``"warm"`` is what the cell took in this run. Rows of stores written before ``cold_seconds``
existed have none: their ``seconds`` stand in.
"""

from __future__ import annotations

import pandas as pd

#: accepted values of a report's ``cost`` option
COSTS = ("cold", "warm")


def check_cost(cost: str) -> str:
    """``cost`` if it is one of :data:`COSTS`, else a ``ValueError`` naming the choices."""
    if cost not in COSTS:
        raise ValueError(f"cost must be one of {COSTS} (e.g. --option cost=warm), got {cost!r}")
    return cost


def cell_seconds(cells: pd.DataFrame, cost: str = "cold") -> pd.Series:
    """Seconds per cell: ``cold_seconds`` where recorded, else ``seconds`` ("cold"); ``seconds`` ("warm")."""
    seconds = pd.to_numeric(cells["seconds"], errors="coerce").astype(float)
    if check_cost(cost) == "warm" or "cold_seconds" not in cells:
        return seconds
    return pd.to_numeric(cells["cold_seconds"], errors="coerce").astype(float).fillna(seconds)


def cost_text(cost: str) -> str:
    """How a figure or table names the runtime it shows."""
    if check_cost(cost) == "cold":
        return "cold-cache seconds per cell (fit + recorded cost of reused cached work)"
    return "fit seconds per cell as run (warm cache: cached work read, not redone)"
