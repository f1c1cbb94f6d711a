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

Which cells (:func:`scored_intervals`): successful cells of benchmark tasks with a sampled ``n``; reference
tasks, fixed-population tasks (their ``n`` is the whole population) and bound estimators (CLUB's upper
bound does not aim at the MI) are left out. An estimator that fails on hard tasks would be scored on easy
ones only, so the main columns and the calibration curve use the *common cells*: the ``(task_label, n,
seed)`` cells where every estimator with any interval has one. Each estimator's coverage over all its own
cells is kept as secondary columns. With fewer than :data:`MIN_COMMON_CELLS` common cells no common-cell
coverage is reported and the calibration curve falls back to the own cells, which the section says.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable
from dataclasses import dataclass
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
    "Coverage = share of cells whose 95% interval contains the true MI (widened by 1.96 × the truth's Monte Carlo "
    "error where the truth is a sample average); ideal 0.95, lower = over-confident error bars. Intervals: the "
    "resampling interval when the run asked for one (ibbench run --uncertainty), else the estimator's analytic "
    "stderr_ (estimate ± 1.96 stderr_); estimators without either show n/a and are not counted. Scored on the "
    "successful cells of benchmark tasks with a sampled n: reference tasks (oracle inputs), fixed-population tasks "
    "(quantized networks, whose n is the whole population) and bound estimators (they do not aim at the MI) are "
    "left out. The calibration plot shows observed against nominal coverage for levels 50–99%."
)
#: fewest common cells for the common-cell columns and a calibration curve on them
MIN_COMMON_CELLS = 10
#: share of the most covered estimator's cells an estimator needs to be compared on the common cells
COMPARED_SHARE = 0.5
#: the columns identifying one cell across estimators
CELL_KEY = ["task_label", "n", "seed"]
COLUMNS = {
    "estimator_label": "estimator",
    "source": "interval",
    "n_common": "common cells",
    "coverage_common": "coverage (95%), common cells",
    "mean_width_common": "mean width, common cells",
    "n_intervals": "own cells",
    "n_without": "own cells n/a",
    "coverage_own": "coverage (95%), own cells",
    "mean_width_own": "mean width, own cells",
    "median_stderr": "median stderr, own cells",
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


def scored_intervals(cells: pd.DataFrame) -> tuple[pd.DataFrame, list[str]]:
    """The cells coverage is scored on (:func:`cell_intervals` rows) and the bound estimators left out.

    Left out: reference tasks (``task_role`` ``"none"``, as in the rankings of :mod:`ibbench.scoring`),
    fixed-population tasks (no ``n``, or a task with ``fixed_population``: their ``n`` is the whole
    population, as in :mod:`ibbench.report.convergence`) and estimators whose estimate is a bound
    (``MIEstimator.bound_for`` not ``"estimate"``, :func:`ibbench.scoring.resolve_bounds`): they do not aim at
    the MI. Returns ``(intervals, bound estimator labels)``; ``ValueError`` when a needed column is missing.
    """
    from ibbench.report.plot_curves import sampled_cells
    from ibbench.scoring import resolve_bounds, resolve_roles

    missing = {"estimator_label", "status", "estimate", "true_mi", *CELL_KEY} - set(cells.columns)
    if missing:
        raise ValueError(f"coverage needs the cell columns {sorted(missing)}")
    intervals = cell_intervals(cells)
    if "task" in intervals:
        intervals = resolve_roles(intervals)
    if "task_role" in intervals:
        intervals = intervals[intervals["task_role"] != "none"]
    intervals = intervals[intervals["n"].notna()]
    if "task" in intervals:
        intervals = sampled_cells(intervals)
    intervals = resolve_bounds(intervals)
    bound = intervals["estimator_bound"] != "estimate"
    return intervals[~bound], sorted({str(label) for label in intervals.loc[bound, "estimator_label"]})


def common_cells(intervals: pd.DataFrame) -> tuple[np.ndarray, int]:
    """``(mask, count)``: which rows of ``intervals`` lie on a common cell, and the number of common cells.

    The compared estimators are those with an interval on at least :data:`COMPARED_SHARE` of as many
    ``(task_label, n, seed)`` cells as the most covered estimator (as rankings set apart partial
    coverage: e.g. discrete-only estimators on a suite of mostly continuous tasks); a common cell is one
    where every compared estimator has an interval. Rows of other estimators are never common (their
    common-cell columns are n/a), and estimators without any interval do not restrict the set.
    """
    has = np.isfinite(intervals["stderr"].to_numpy(float))
    with_interval = intervals[has].drop_duplicates(["estimator_label", *CELL_KEY])
    if not len(with_interval):
        return np.zeros(len(intervals), dtype=bool), 0
    counts = with_interval["estimator_label"].value_counts()
    compared = counts[counts >= COMPARED_SHARE * counts.max()].index
    per_cell = with_interval[with_interval["estimator_label"].isin(compared)].groupby(CELL_KEY).size()
    common = per_cell[per_cell == len(compared)].index
    in_compared = intervals["estimator_label"].isin(compared).to_numpy()
    return has & in_compared & pd.MultiIndex.from_frame(intervals[CELL_KEY]).isin(common), len(common)


@dataclass
class CoverageSummary:
    """The coverage table and the cells it was scored on.

    ``table`` has one row per estimator (:data:`COLUMNS`); ``common_cells`` is the number of common
    ``(task_label, n, seed)`` cells, ``bounds`` the bound estimators left out. The common-cell columns are
    NaN unless ``comparable`` (at least :data:`MIN_COMMON_CELLS` common cells).
    """

    table: pd.DataFrame
    common_cells: int
    bounds: list[str]

    @property
    def comparable(self) -> bool:
        return self.common_cells >= MIN_COMMON_CELLS

    @property
    def has_intervals(self) -> bool:
        return bool(len(self.table) and (self.table["n_intervals"] > 0).any())


def _rates(hit: pd.Series, width: pd.Series) -> tuple[float, float]:
    return (float(hit.mean()), float(width.mean())) if len(hit) else (math.nan, math.nan)


def coverage_summary(cells: pd.DataFrame, level: float = 0.95) -> CoverageSummary:
    """Per estimator (label), on the cells of :func:`scored_intervals`: the interval source, coverage and mean
    width at ``level`` on the common cells (main columns), and on the estimator's own cells with an interval
    (``n_intervals``; ``n_without`` cells have none) with their median stderr."""
    intervals, bounds = scored_intervals(cells)
    if not len(intervals):
        return CoverageSummary(pd.DataFrame(columns=list(COLUMNS)), 0, bounds)
    hit, width = covered(intervals, level)
    common, n_common = common_cells(intervals)
    intervals = intervals.assign(hit=hit, width=width, common=common)
    comparable = n_common >= MIN_COMMON_CELLS
    rows = []
    for label, g in intervals.groupby("estimator_label", sort=True):
        has = g[np.isfinite(g["stderr"])]
        shared = has[has["common"]] if comparable else has.iloc[:0]
        coverage_common, width_common = _rates(shared["hit"], shared["width"])
        coverage_own, width_own = _rates(has["hit"], has["width"])
        rows.append(
            {
                "estimator_label": label,
                "source": ", ".join(sorted(set(has["source"]))) or "n/a",
                "n_common": len(has[has["common"]]),
                "coverage_common": coverage_common,
                "mean_width_common": width_common,
                "n_intervals": len(has),
                "n_without": len(g) - len(has),
                "coverage_own": coverage_own,
                "mean_width_own": width_own,
                "median_stderr": float(has["stderr"].median()) if len(has) else math.nan,
            }
        )
    return CoverageSummary(pd.DataFrame(rows, columns=list(COLUMNS)), n_common, bounds)


def coverage_table(cells: pd.DataFrame, level: float = 0.95) -> pd.DataFrame:
    """The table of :func:`coverage_summary` (empty without scored cells)."""
    return coverage_summary(cells, level).table


def calibration_table(cells: pd.DataFrame, levels: Any = LEVELS) -> pd.DataFrame:
    """Observed coverage per estimator at each nominal level, on the cells of the main coverage columns: the
    common cells when there are at least :data:`MIN_COMMON_CELLS`, else each estimator's own cells with an
    interval. Columns ``estimator_label``, ``level``, ``coverage``, ``n_intervals`` and ``cells`` (``"common"``
    or ``"own"``); estimators without any interval left out."""
    intervals, _ = scored_intervals(cells)
    common, n_common = common_cells(intervals)
    on_common = n_common >= MIN_COMMON_CELLS
    intervals = intervals[common] if on_common else intervals[np.isfinite(intervals["stderr"].to_numpy(float))]
    rows = []
    for level in levels:
        hit, _ = covered(intervals, float(level))
        for label, h in pd.Series(hit, index=intervals.index).groupby(intervals["estimator_label"], sort=True):
            rows.append(
                {
                    "estimator_label": label,
                    "level": float(level),
                    "coverage": h.mean(),
                    "n_intervals": len(h),
                    "cells": "common" if on_common else "own",
                }
            )
    return pd.DataFrame(rows, columns=["estimator_label", "level", "coverage", "n_intervals", "cells"])


def cells_note(summary: CoverageSummary) -> str:
    """Which cells the section's numbers come from (plain text)."""
    if summary.comparable:
        text = (
            f"Common cells: the {summary.common_cells} (task, n, seed) cells where every compared estimator has an "
            "interval; the main columns and the calibration plot score every compared estimator on these same cells. "
            f"Compared: the estimators with an interval on at least {COMPARED_SHARE:.0%} as many cells as the most "
            "covered one; the others (e.g. discrete-only estimators) show n/a in the common-cell columns. "
        )
    else:
        text = (
            f"Only {summary.common_cells} (task, n, seed) cells have an interval from every compared estimator "
            f"(fewer than {MIN_COMMON_CELLS}): no common-cell coverage is reported (n/a), and the calibration "
            "plot shows each estimator on its own cells. "
        )
    return text + (
        "Own cells: each estimator over all its cells with an interval (secondary columns, with their number); "
        "these cell sets differ between estimators (one that fails or has no interval on hard tasks is scored on "
        "easier ones), so own-cell coverage is not comparable across estimators."
    )


def has_intervals(cells: pd.DataFrame) -> bool:
    """Whether any scored cell (:func:`scored_intervals`) has an interval."""
    return coverage_summary(cells).has_intervals


def coverage_csv(board: Leaderboard) -> list[tuple[str, pd.DataFrame]]:
    """``[("coverage.csv", table), ("calibration.csv", curve)]`` of a leaderboard folder (none without intervals)."""
    summary = coverage_summary(board.cells)
    if not summary.has_intervals:
        return []
    return [("coverage.csv", summary.table), ("calibration.csv", calibration_table(board.cells))]


NUMBER_COLUMNS = ("coverage_common", "mean_width_common", "coverage_own", "mean_width_own", "median_stderr")


def _shown(table: pd.DataFrame) -> pd.DataFrame:
    """The table with "n/a" where a number could not be computed."""
    from ibbench.report.leaderboard import format_number

    out = table.astype(object)
    for column in NUMBER_COLUMNS:
        out[column] = [format_number(v) if pd.notna(v) else "n/a" for v in table[column]]
    return out


def _bounds_note(bounds: list[str], escape: Callable[[Any], str]) -> str:
    return f"Bound estimators left out: {', '.join(escape(b) for b in bounds)}." if bounds else ""


def markdown_section(board: Leaderboard) -> list[str]:
    """The markdown lines of the section (none when no scored cell has an interval)."""
    from ibbench.report.leaderboard import inline_text, markdown_table

    summary = coverage_summary(board.cells)
    if not summary.has_intervals:
        return []
    note = " ".join(filter(None, [cells_note(summary), _bounds_note(summary.bounds, inline_text)]))
    return [
        f"## {HEADING}",
        "",
        NOTE,
        "",
        note,
        "Plot: plots/calibration.png.",
        "",
        markdown_table(_shown(summary.table), COLUMNS),
        "",
    ]


def html_section(board: Leaderboard, images: list[tuple[str, bytes]]) -> str:
    """The HTML of the section with the ``calibration*`` images of ``images`` ("" without intervals)."""
    import base64

    from ibbench.report.html import html_cell, html_escape, sortable_table

    summary = coverage_summary(board.cells)
    if not summary.has_intervals:
        return ""
    parts = [
        f'<h2 id="coverage">{html_escape(HEADING)}</h2>',
        f'<p class="note">{html_escape(NOTE)}</p>',
        f'<p class="note">{html_escape(cells_note(summary))} {_bounds_note(summary.bounds, html_escape)}</p>',
    ]
    for name, data in images:
        b64 = base64.b64encode(data).decode("ascii")
        parts.append(
            f'<figure><img alt="{html_escape(name)}" src="data:image/png;base64,{b64}"><figcaption>Observed vs nominal '
            f"coverage of the estimators' intervals ({html_escape(name)})</figcaption></figure>"
        )
    rows = []
    for _, r in summary.table.iterrows():
        cells = [
            html_cell(r["estimator_label"], cls="name", sort="text"),
            html_cell(r["source"], cls="name", sort="text"),
        ]
        for column in COLUMNS:
            if column in ("estimator_label", "source"):
                continue
            if column in NUMBER_COLUMNS:
                cells.append(html_cell(r[column]) if pd.notna(r[column]) else html_cell(None, text="n/a"))
            else:
                cells.append(html_cell(r[column], text=str(int(r[column]))))
        rows.append("<tr>" + "".join(cells) + "</tr>")
    headers = [(h, c in ("estimator_label", "source")) for c, h in COLUMNS.items()]
    parts.append(sortable_table("coverage-table", headers, rows))
    return "\n".join(parts)


def plot_calibration(
    *, store: str | None = None, out: Path, cells: pd.DataFrame | None = None, **_ignored: Any
) -> list[Path]:
    """``ibbench plot --kind calibration``: observed against nominal coverage (50–99%), one line per estimator.

    Points under the diagonal are over-confident intervals. The cells are those of the section's main columns
    (:func:`calibration_table`: the common cells, or each estimator's own cells when too few are common), named
    in the title. ``ValueError`` when no scored cell has an interval.
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
    if curve["cells"].iloc[0] == "common":
        title = f"Calibration on the {int(curve['n_intervals'].iloc[0])} common cells (dotted: ideal)"
    else:  # too few common cells: not comparable across estimators
        title = "Calibration, each estimator on its own cells (too few common; dotted: ideal)"
    ax.set_title(title, fontsize=9)
    ax.tick_params(labelsize=7)
    ax.grid(alpha=0.25)
    legend_below(fig, handles, labels)
    path = Path(out) / "calibration.png"
    fig.savefig(path, dpi=100)
    return [path]
