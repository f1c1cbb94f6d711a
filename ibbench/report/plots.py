"""``ibbench plot`` kinds: name -> "module:function" (loaded lazily, matplotlib only when plotting).

Each function has the signature ``fn(*, store: str | None, out: pathlib.Path, **options) -> list[Path]``
and returns the PNG files it wrote. Add one line per new kind.
"""

from __future__ import annotations

import importlib
from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import pandas as pd

PLOT_KINDS: dict[str, str] = {
    "calibration": "ibbench.report.coverage:plot_calibration",
    "compression": "ibbench.report.plot_compression:plot_compression",
    "info-plane": "ibbench.report.plot_info_plane:plot_info_plane",
    "convergence": "ibbench.report.plot_convergence:plot_convergence",
    "curves": "ibbench.report.plot_curves:plot_curves",
    "runtime": "ibbench.report.plot_curves:plot_runtime",
    "tasks": "ibbench.report.plot_tasks:plot_tasks",
}


def list_plot_kinds() -> list[str]:
    """Names accepted by ``ibbench plot --kind``."""
    return sorted(PLOT_KINDS)


def make_plot(kind: str, *, store: str | None, out: Path, **options: Any) -> list[Path]:
    """Draw plot ``kind`` into directory ``out``; returns the written files.

    Plots only read stored results (``store``, or the tasks for ``tasks``); they never run estimators
    or train networks. A plot whose results are missing raises ``ValueError`` naming the command
    (``ibbench run`` / ``ibbench study``) that computes them.
    """
    if kind not in PLOT_KINDS:
        raise ValueError(f"unknown plot kind {kind!r}; known: {', '.join(list_plot_kinds())}")
    module, _, attr = PLOT_KINDS[kind].partition(":")
    fn = getattr(importlib.import_module(module), attr)
    out = Path(out)
    if out.exists() and not out.is_dir():
        raise ValueError(f"plot output {out} is an existing file; --out takes a directory")
    out.mkdir(parents=True, exist_ok=True)
    return fn(store=store, out=out, **options)


def draw_plots(kinds: Iterable[str], *, cells: pd.DataFrame, out: Path) -> list[Path]:
    """Draw plot ``kinds`` from ``cells`` into directory ``out``; returns the written files.

    The files an earlier draw of these kinds left in ``out`` (``<kind>.png``, ``<kind>_*.png``) are removed
    first, so a family that is gone leaves no stale plot. A kind with nothing to draw (``ValueError``, e.g.
    convergence with a single sample size) is skipped.
    """
    out, kinds = Path(out), list(kinds)
    unknown = [kind for kind in kinds if kind not in PLOT_KINDS]
    if unknown:
        raise ValueError(f"unknown plot kind(s) {unknown}; known: {', '.join(list_plot_kinds())}")
    if out.exists() and not out.is_dir():
        raise ValueError(f"plot output {out} is an existing file; plots go into a directory")
    written: list[Path] = []
    for kind in kinds:
        if out.is_dir():
            for old in [*out.glob(f"{kind}.png"), *out.glob(f"{kind}_*.png")]:
                old.unlink()
        try:
            written += make_plot(kind, store=None, out=out, cells=cells)
        except ValueError:
            continue
    return written
