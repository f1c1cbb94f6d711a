"""Whether the estimators' own error bars are honest: coverage, interval width and calibration.

A cell's interval comes from what the cell stored (:mod:`ibbench.uncertainty`):

* a resampling interval (``ibbench run --uncertainty METHOD``: ``extra["resampling"]`` with the replicate
  estimates), at any level ``estimate ± q·stderr`` with ``stderr`` from the ``B`` replicates
  (:func:`ibbench.uncertainty.resampled_stderr`) and ``q`` the Student ``t_{B−1}`` quantile
  (:func:`ibbench.uncertainty.resampled_interval`); else
* the estimator's analytic standard error (``extra["stderr_"]``): ``estimate ± z·stderr_``.

Cells with neither (no ``stderr_``, or NaN) have no interval: they are shown as "n/a" and not counted.
A cell is *covered* at level ``L`` when its interval, widened on each side by ``z_L · true_mi_stderr``
(the Monte Carlo error of a truth that is a sample average; 0 for exact truths), contains the true MI.
Per estimator: *coverage* = share of covered cells at 95% (ideal 0.95: lower is over-confident, higher
is conservative), *mean width* of the 95% intervals, and the *calibration* curve, observed coverage
against nominal levels 50%…99% (:data:`LEVELS`), drawn by ``ibbench plot --kind calibration``.
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

if TYPE_CHECKING:
    from ibbench.report.leaderboard import Leaderboard

#: Nominal levels of the calibration curve.
LEVELS = np.round(np.arange(0.50, 0.995, 0.01), 2)

HEADING = "Uncertainty: coverage and calibration"
NOTE = (
    "Per estimator, over its successful cells with an interval: coverage = share of cells whose 95% interval "
    "contains the true MI (widened by 1.96 × the truth's Monte Carlo error where the truth is a sample "
    "average); ideal 0.95, lower = over-confident error bars. Intervals: the resampling interval when the "
    "run asked for one (ibbench run --uncertainty), else the estimator's analytic stderr_ (estimate ± 1.96 "
    "stderr_). Estimators without either show n/a and are not counted. The calibration plot shows observed "
    "against nominal coverage for levels 50–99%."
)
COLUMNS = {
    "estimator_label": "estimator",
    "source": "interval",
    "n_intervals": "cells",
    "n_without": "cells n/a",
    "coverage": "coverage (95%)",
    "mean_width": "mean width",
    "median_stderr": "median stderr",
}


def _cell_interval(extra: Any, estimate: float) -> tuple[float, float, float, str]:
    """``(centre, stderr, degrees of freedom, source)`` of one cell's interval (stderr NaN: none)."""
    from ibbench.uncertainty import resampled_stderr

    try:
        data = json.loads(extra) if isinstance(extra, str) and extra else (extra if isinstance(extra, dict) else {})
    except ValueError:
        data = {}
    resampling = data.get("resampling") or {}
    if resampling.get("replicates"):
        method = str(resampling["method"])
        replicates = resampling["replicates"]
        stderr = resampled_stderr(method, replicates, int(resampling["n"]), int(resampling["subsample_size"]))
        return estimate, stderr, float(len(replicates) - 1), method
    analytic = data.get("stderr_")
    if isinstance(analytic, (int, float)) and math.isfinite(analytic):
        return estimate, float(analytic), math.inf, "analytic"
    return estimate, math.nan, math.inf, "n/a"


def cell_intervals(cells: pd.DataFrame) -> pd.DataFrame:
    """The ``ok`` cells with ``centre``, ``stderr`` (NaN: no interval), ``dof`` and ``source`` columns."""
    ok = cells[cells["status"] == "ok"].copy()
    rows = [_cell_interval(x, float(e)) for x, e in zip(ok.get("extra", [None] * len(ok)), ok["estimate"])]
    frame = pd.DataFrame(rows, columns=["centre", "stderr", "dof", "source"], index=ok.index)
    out = pd.concat([ok, frame], axis=1)
    truth_error = out["true_mi_stderr"] if "true_mi_stderr" in out else pd.Series(0.0, index=out.index)
    out["true_mi_stderr"] = pd.to_numeric(truth_error, errors="coerce").fillna(0.0)
    return out


def _quantile(level: float, dof: np.ndarray) -> np.ndarray:
    from scipy.stats import norm, t

    q = np.full(len(dof), float(norm.ppf(0.5 + level / 2.0)))
    finite = np.isfinite(dof)
    if finite.any():
        q[finite] = t.ppf(0.5 + level / 2.0, dof[finite])
    return q


def covered(intervals: pd.DataFrame, level: float) -> tuple[np.ndarray, np.ndarray]:
    """``(covered, width)`` per cell of :func:`cell_intervals` at ``level`` (NaN where there is no interval)."""
    q = _quantile(level, intervals["dof"].to_numpy(float))
    z = _quantile(level, np.full(len(intervals), math.inf))
    half = q * intervals["stderr"].to_numpy(float)
    slack = z * intervals["true_mi_stderr"].to_numpy(float)
    miss = np.abs(intervals["true_mi"].to_numpy(float) - intervals["centre"].to_numpy(float)) - slack
    hit = np.where(np.isfinite(half), (miss <= half).astype(float), np.nan)
    return hit, 2.0 * half


def coverage_table(cells: pd.DataFrame, level: float = 0.95) -> pd.DataFrame:
    """Per estimator (label): interval source, cells with / without an interval, coverage, mean width and
    median stderr at ``level`` (coverage and width NaN when no cell has an interval); empty without ``ok`` cells."""
    intervals = cell_intervals(cells)
    if not len(intervals):
        return pd.DataFrame(columns=list(COLUMNS))
    hit, width = covered(intervals, level)
    intervals = intervals.assign(hit=hit, width=width)
    rows = []
    for label, g in intervals.groupby("estimator_label", sort=True):
        has = g[np.isfinite(g["stderr"])]
        rows.append(
            {
                "estimator_label": label,
                "source": ", ".join(sorted(set(has["source"]))) or "n/a",
                "n_intervals": len(has),
                "n_without": len(g) - len(has),
                "coverage": float(has["hit"].mean()) if len(has) else math.nan,
                "mean_width": float(has["width"].mean()) if len(has) else math.nan,
                "median_stderr": float(has["stderr"].median()) if len(has) else math.nan,
            }
        )
    return pd.DataFrame(rows, columns=list(COLUMNS))


def calibration_table(cells: pd.DataFrame, levels: Any = LEVELS) -> pd.DataFrame:
    """Observed coverage per estimator at each nominal level: columns ``estimator_label``, ``level``,
    ``coverage``, ``n_intervals`` (estimators without any interval left out)."""
    intervals = cell_intervals(cells)
    intervals = intervals[np.isfinite(intervals["stderr"].to_numpy(float))]
    rows = []
    for level in levels:
        hit, _ = covered(intervals, float(level))
        for label, h in pd.Series(hit, index=intervals.index).groupby(intervals["estimator_label"], sort=True):
            rows.append({"estimator_label": label, "level": float(level), "coverage": h.mean(), "n_intervals": len(h)})
    return pd.DataFrame(rows, columns=["estimator_label", "level", "coverage", "n_intervals"])


def has_intervals(cells: pd.DataFrame) -> bool:
    """Whether any ``ok`` cell has an interval."""
    table = coverage_table(cells)
    return bool(len(table) and (table["n_intervals"] > 0).any())


def coverage_csv(board: Leaderboard) -> list[tuple[str, pd.DataFrame]]:
    """``[("coverage.csv", table), ("calibration.csv", curve)]`` of a leaderboard folder (none without intervals)."""
    if not has_intervals(board.cells):
        return []
    return [("coverage.csv", coverage_table(board.cells)), ("calibration.csv", calibration_table(board.cells))]


def _shown(table: pd.DataFrame) -> pd.DataFrame:
    """The table with "n/a" for estimators without any interval."""
    from ibbench.report.leaderboard import format_number

    out = table.astype(object)
    for column in ("coverage", "mean_width", "median_stderr"):
        out[column] = [format_number(v) if pd.notna(v) else "n/a" for v in table[column]]
    return out


def markdown_section(board: Leaderboard) -> list[str]:
    """The markdown lines of the section (none when no cell has an interval)."""
    from ibbench.report.leaderboard import markdown_table

    if not has_intervals(board.cells):
        return []
    table = coverage_table(board.cells)
    return [
        f"## {HEADING}",
        "",
        NOTE,
        "Plot: plots/calibration.png.",
        "",
        markdown_table(_shown(table), COLUMNS),
        "",
    ]


def html_section(board: Leaderboard, images: list[tuple[str, bytes]]) -> str:
    """The HTML of the section with the ``calibration*`` images of ``images`` ("" without intervals)."""
    import base64

    from ibbench.report.html import html_cell, html_escape, sortable_table

    if not has_intervals(board.cells):
        return ""
    table = coverage_table(board.cells)
    parts = [f'<h2 id="coverage">{html_escape(HEADING)}</h2>', f'<p class="note">{html_escape(NOTE)}</p>']
    for name, data in images:
        b64 = base64.b64encode(data).decode("ascii")
        parts.append(
            f'<figure><img alt="{html_escape(name)}" src="data:image/png;base64,{b64}"><figcaption>Observed vs nominal '
            f"coverage of the estimators' intervals ({html_escape(name)})</figcaption></figure>"
        )
    rows = []
    for _, r in table.iterrows():
        cells = [
            html_cell(r["estimator_label"], cls="name", sort="text"),
            html_cell(r["source"], cls="name", sort="text"),
        ]
        cells += [html_cell(r[c], text=str(int(r[c]))) for c in ("n_intervals", "n_without")]
        cells += [
            html_cell(r[c]) if pd.notna(r[c]) else html_cell(None, text="n/a") for c in ("coverage", "mean_width")
        ]
        cells.append(html_cell(r["median_stderr"]) if pd.notna(r["median_stderr"]) else html_cell(None, text="n/a"))
        rows.append("<tr>" + "".join(cells) + "</tr>")
    headers = [(h, c in ("estimator_label", "source")) for c, h in COLUMNS.items()]
    parts.append(sortable_table("coverage-table", headers, rows))
    return "\n".join(parts)


def plot_calibration(
    *, store: str | None = None, out: Path, cells: pd.DataFrame | None = None, **_ignored: Any
) -> list[Path]:
    """``ibbench plot --kind calibration``: observed against nominal coverage (50–99%), one line per estimator.

    Points under the diagonal are over-confident intervals. ``ValueError`` when no cell has an interval.
    """
    from ibbench.report.plot_curves import legend_below, new_figure, read_cells

    curve = calibration_table(read_cells(store, cells))
    if not len(curve):
        raise ValueError(
            "calibration needs cells with an interval: estimators with an analytic stderr_, or a run with "
            "ibbench run --uncertainty subsampling"
        )
    fig, axes = new_figure(1, panel_size=(5.0, 4.2))
    ax = axes[0]
    ax.plot([0.5, 1.0], [0.5, 1.0], ":", color="0.4", lw=1)
    handles, labels = [], []
    for i, (label, g) in enumerate(curve.groupby("estimator_label", sort=True)):
        (line,) = ax.plot(g["level"], g["coverage"], "-", color=f"C{i % 10}", lw=1.3)
        handles.append(line)
        labels.append(f"{label} ({int(g['n_intervals'].iloc[0])} cells)")
    ax.set_xlim(0.5, 1.0)
    ax.set_ylim(0.0, 1.02)
    ax.set_xlabel("nominal coverage", fontsize=8)
    ax.set_ylabel("observed coverage", fontsize=8)
    ax.set_title("Calibration of the estimators' intervals (dotted: ideal)", fontsize=9)
    ax.tick_params(labelsize=7)
    ax.grid(alpha=0.25)
    legend_below(fig, handles, labels)
    path = Path(out) / "calibration.png"
    fig.savefig(path, dpi=100)
    return [path]
