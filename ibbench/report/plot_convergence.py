"""``ibbench plot --kind convergence``: RMSE, |bias| and seed-to-seed sd against n, log–log, with the fitted rates.

One figure per task family (``convergence_<family>.png``; a family with more than :data:`TASKS_PER_FIGURE`
tasks continues in ``convergence_<family>-2.png``, ...), one row per task and three panels per row: the RMSE
over seeds with each estimator's fitted rate (dashed line; the legend gives the slope ± its standard error,
:func:`ibbench.report.convergence.fit_rate`) and an ``n^-1/2`` guide, then ``|bias|`` (filled markers where
the mean estimate is above the truth, open where below) and the sd. ``--option task=LABEL`` draws one task
(``convergence_<task>.png``). Definitions: :mod:`ibbench.report.convergence`.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from ibbench.report.convergence import convergence_fits, error_decomposition, rate_text
from ibbench.report.plot_curves import legend_below, n_axis, new_figure, read_cells, slug, wrap_label

if TYPE_CHECKING:
    from matplotlib.axes import Axes

#: rows (tasks) per figure; more tasks continue in further files
TASKS_PER_FIGURE = 6
_PANELS = (("rmse", "RMSE"), ("bias", "|bias| (filled: above the truth, open: below)"), ("sd", "seed-to-seed sd"))


def _positive(values: Any) -> np.ndarray:
    """Values for a log axis: non-positive ones become NaN (a gap in the line)."""
    v = np.abs(np.asarray(values, dtype=float))
    return np.where(v > 0, v, np.nan)


def _draw_task(axes: list[Axes], points: pd.DataFrame, fits: pd.DataFrame, colors: dict[str, str], task: str) -> None:
    """The three panels (RMSE with fits, |bias|, sd) of one task."""
    rate_handles, rate_labels = [], []
    for estimator, e in points.groupby("estimator_label", sort=True):
        e = e.sort_values("n")
        color = colors[str(estimator)]
        n = e["n"].to_numpy(float)
        for ax, (column, _) in zip(axes, _PANELS):
            ax.plot(n, _positive(e[column]), "-", color=color, lw=1.3)
        axes[0].plot(n, _positive(e["rmse"]), "o", color=color, ms=3.5)
        above = e["bias"].to_numpy(float) > 0
        axes[1].plot(n[above], _positive(e["bias"])[above], "o", color=color, ms=3.5)
        axes[1].plot(n[~above], _positive(e["bias"])[~above], "o", mfc="none", color=color, ms=3.5)
        axes[2].plot(n, _positive(e["sd"]), "o", color=color, ms=3.5)
        fit = fits[fits["estimator_label"] == estimator]
        if len(fit):
            r = fit.iloc[0]
            grid = np.geomspace(r["n_min"], r["n_max"], 20)
            # the fitted line through the RMSE points it was fitted to: log rmse = a + r log n
            used = e[(e["n"] >= r["n_min"]) & (e["n"] <= r["n_max"]) & (e["rmse"] > 0)]
            a = float(np.mean(np.log(used["rmse"]) - r["rate"] * np.log(used["n"])))
            (line,) = axes[0].plot(grid, np.exp(a) * grid ** r["rate"], "--", color=color, lw=0.9)
            rate_handles.append(line)
            rate_labels.append(f"{estimator}: r = {rate_text(r['rate'], r['rate_stderr'])}")
    ns = points["n"].to_numpy(float)
    start = points[points["n"] == ns.min()]["rmse"]
    if len(start) and np.isfinite(_positive(start)).any():
        grid = np.geomspace(ns.min(), ns.max(), 20)
        anchor = float(np.exp(np.nanmean(np.log(_positive(start)))))
        (guide,) = axes[0].plot(grid, anchor * (grid / ns.min()) ** -0.5, ":", color="0.5", lw=1)
        rate_handles.append(guide)
        rate_labels.append("n^-1/2 guide")
    for ax, (_, label) in zip(axes, _PANELS):
        n_axis(ax, ns)
        ax.set_yscale("log")
        ax.set_title(wrap_label(f"{task}: {label}", 44) if ax is axes[0] else label, fontsize=8)
        ax.set_xlabel("sample size n", fontsize=8)
        ax.set_ylabel("nats", fontsize=8)
        ax.tick_params(labelsize=7)
        ax.grid(alpha=0.25, which="both")
    axes[0].legend(rate_handles, rate_labels, fontsize=6, loc="best", framealpha=0.8)


def plot_convergence(
    *,
    store: str | None = None,
    out: Path,
    cells: pd.DataFrame | None = None,
    family: str | None = None,
    task: str | None = None,
    **_ignored: Any,
) -> list[Path]:
    """RMSE, |bias| and sd against n per task, one line per estimator, log–log (module docstring).

    Parameters
    ----------
    store : path of the results store (or pass ``cells``)
    out : output directory
    cells : DataFrame of stored cells, instead of ``store``
    family : draw only this task family
    task : draw only this task (its label, e.g. ``gaussian-dense(dim=1, mi=0.5)``, or its name)

    Tasks measured at a single n are left out; ``ValueError`` if none has two or more.
    """
    cells = read_cells(store, cells)
    if family is not None:
        cells = cells[cells["task_family"] == family]
    if task is not None:
        cells = cells[(cells["task_label"] == task) | (cells["task"] == task)]
    points = error_decomposition(cells)
    sizes = points.groupby("task_label")["n"].nunique() if len(points) else pd.Series(dtype=int)
    points = points[points["task_label"].isin(sizes[sizes >= 2].index)]
    if not len(points):
        raise ValueError(
            "convergence needs cells at two or more sample sizes (e.g. ibbench run --n 500,2000,8000)"
            + (f" of family {family!r}" if family else "")
            + (f" of task {task!r}" if task else "")
        )
    fits = convergence_fits(points)
    estimators = sorted(points["estimator_label"].unique())
    colors = {e: f"C{i % 10}" for i, e in enumerate(estimators)}
    out = Path(out)
    written = []
    groups = [(slug(task), points)] if task is not None else list(points.groupby("task_family", sort=True))
    for name, fam in groups:
        tasks = sorted(fam["task_label"].unique())
        for page, start in enumerate(range(0, len(tasks), TASKS_PER_FIGURE)):
            shown = tasks[start : start + TASKS_PER_FIGURE]
            fig, axes = new_figure(3 * len(shown), panel_size=(3.6, 2.8), max_cols=3)
            for row, label in enumerate(shown):
                _draw_task(
                    axes[3 * row : 3 * row + 3],
                    fam[fam["task_label"] == label],
                    fits[fits["task_label"] == label],
                    colors,
                    label,
                )
            drawn = sorted(fam.loc[fam["task_label"].isin(shown), "estimator_label"].unique())
            handles = [axes[0].plot([], [], "o-", color=colors[e], ms=3.5)[0] for e in drawn]
            legend_below(fig, handles, drawn)
            fig.suptitle(
                f"{name}: error vs n over seeds (RMSE with fitted rate r ± s.e., |bias|, sd; log–log)", fontsize=10
            )
            path = out / f"convergence_{slug(name)}{f'-{page + 1}' if page else ''}.png"
            fig.savefig(path, dpi=100)
            written.append(path)
    return written
