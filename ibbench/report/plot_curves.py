"""Result plots from a results store: estimate-vs-true curves and runtime scaling.

``ibbench plot --kind curves``: per task family, one panel per estimator with the estimate
against the true MI (mean over seeds, 95% bootstrap CI band), the truth on the diagonal — the
layout of Butakov et al. (2024), Fig. 3/4. A *series* is one task at fixed parameters apart from its
MI level (the ``mi`` parameter), so e.g. ``gaussian-dense(dim=3)`` becomes one line over MI.
``--kind runtime``: median seconds per cell against n for each estimator (a bar chart
when the store holds a single n): by default the cold-cache cost (``fit`` plus the recorded cost of
cached work it reused, e.g. ``compressed-ae``'s autoencoders), ``--option cost=warm`` for the ``fit``
seconds as run (:mod:`ibbench.report.runtime_cost`). ``--kind convergence`` (RMSE, bias and sd
against n with fitted rates) is drawn by :mod:`ibbench.report.plot_convergence`.

Every function takes ``store`` (a path) or ``cells`` (a DataFrame as from
:func:`ibbench.load_results`), draws with matplotlib's object API (no global pyplot state, Agg
canvas) and returns the PNG files it wrote.

References
----------
Butakov, Tolmachev, Malanchuk, Neopryatnaya, Frolov & Andreev (2024). Information bottleneck
analysis of deep neural networks via lossy compression. ICLR. (Fig. 3/4: estimate vs true MI.)
"""

from __future__ import annotations

import json
import math
import re
import textwrap
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, SupportsInt, cast

import numpy as np
import pandas as pd

from ibbench.report.runtime_cost import cell_seconds, check_cost, cost_text
from ibbench.scoring import bootstrap_ci

if TYPE_CHECKING:
    from matplotlib.artist import Artist
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

#: task parameters that set the MI level; the remaining parameters identify a curve's series
MI_PARAMS = ("mi",)

_N_BOOT = 500


def read_cells(store: str | None, cells: pd.DataFrame | None) -> pd.DataFrame:
    if cells is None:
        if store is None:
            raise ValueError("give a results store (--store PATH)")
        from ibbench.scoring import drop_superseded
        from ibbench.store import load_results

        cells = drop_superseded(load_results(store, expand_params=False))[0]  # newest version of each cell
    if not len(cells):
        raise ValueError(f"the store {store} holds no results yet")
    return cells


def ok_rows(cells: pd.DataFrame) -> pd.DataFrame:
    ok = cells[cells["status"] == "ok"].copy()
    ok["estimate"] = ok["estimate"].astype(float)
    ok["true_mi"] = ok["true_mi"].astype(float)
    return ok


def params_dict(value: Any) -> dict[str, Any]:
    if isinstance(value, dict):
        return value
    return json.loads(value) if isinstance(value, str) and value else {}


def series_label(task: str, params: Any, keep: Any = None) -> str:
    """The curve a task configuration belongs to: its name and parameters except the MI level.

    ``keep`` (optional) restricts the parameters shown to those names.
    """
    rest = {k: v for k, v in sorted(params_dict(params).items()) if k not in MI_PARAMS and (keep is None or k in keep)}
    if not rest:
        return task
    return f"{task}(" + ", ".join(f"{k}={v}" for k, v in rest.items()) + ")"


def _series(ok: pd.DataFrame) -> list[str]:
    """Series labels showing, per task, only the parameters that vary between its configurations."""
    params = [params_dict(p) for p in ok["task_params"]]
    varying: dict[str, set[str]] = {}
    for task in set(ok["task"]):
        distinct = {json.dumps(p, sort_keys=True) for t, p in zip(ok["task"], params) if t == task}
        configs = [json.loads(c) for c in distinct]
        names = {k for c in configs for k in c if k not in MI_PARAMS}
        varying[task] = {k for k in names if len({json.dumps(c.get(k)) for c in configs}) > 1}
    return [series_label(t, p, varying[t]) for t, p in zip(ok["task"], params)]


def slug(text: object) -> str:
    return re.sub(r"[^A-Za-z0-9_.-]+", "-", str(text)).strip("-") or "all"


def new_figure(
    n_panels: int, panel_size: tuple[float, float] = (3.3, 2.9), max_cols: int = 4
) -> tuple[Figure, list[Axes]]:
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    cols = max(1, min(max_cols, n_panels))
    rows = math.ceil(n_panels / cols)
    fig = Figure(figsize=(panel_size[0] * cols, panel_size[1] * rows + 0.9), layout="constrained")
    FigureCanvasAgg(fig)
    axes = fig.subplots(rows, cols, squeeze=False)
    for ax in axes.flat[n_panels:]:
        ax.set_visible(False)
    return fig, list(axes.flat[:n_panels])


def wrap_label(label: object, width: int = 34) -> str:
    """A long estimator label broken over lines at parameter boundaries."""
    return textwrap.fill(str(label), width, break_on_hyphens=False)


def legend_below(fig: Figure, handles: Sequence[Artist], labels: Sequence[object]) -> None:
    """A figure legend under the axes with as many columns as fit the figure's width."""
    wrapped = [wrap_label(label, 40) for label in labels]
    longest = max(max(len(line) for line in label.splitlines()) for label in wrapped)
    ncol = int(max(1, min(len(wrapped), fig.get_figwidth() * 15 // (longest + 6))))
    fig.legend(handles, wrapped, loc="outside lower center", ncol=ncol, fontsize=7, frameon=False)


def _fixed_population(task: str) -> bool:
    """True for tasks whose n is their population size, not a chosen sample size (qnn, digits)."""
    from ibbench.registry import get_task_class

    try:
        return bool(getattr(get_task_class(task), "fixed_population", False))
    except (ValueError, ImportError):
        return False


def sampled_cells(cells: pd.DataFrame) -> pd.DataFrame:
    """Cells of tasks whose n was chosen (scaling plots leave fixed populations out)."""
    fixed = {t for t in cells["task"].unique() if _fixed_population(t)}
    return cells[~cells["task"].isin(fixed)]


def n_axis(ax: Axes, ns: Iterable[Any]) -> None:
    """Log x axis labelled with the sample sizes themselves (no crowded minor labels)."""
    from matplotlib.ticker import NullFormatter

    ax.set_xscale("log")
    ns = sorted({int(v) for v in ns})
    ax.set_xticks(ns, [str(v) for v in ns], fontsize=8)
    ax.xaxis.set_minor_formatter(NullFormatter())


def mean_ci(values: np.ndarray) -> tuple[float, float, float]:
    values = np.asarray(values, dtype=float)
    lo, hi = bootstrap_ci(values, n_boot=_N_BOOT)
    mean = float(values.mean())
    if np.isnan(lo):  # a single seed: no interval
        lo = hi = mean
    return mean, lo, hi


def curve_points(cells: pd.DataFrame, n: int | None = None) -> pd.DataFrame:
    """Per (family, estimator, series, task configuration): true MI, mean estimate and its 95% CI.

    ``n`` selects the sample size; by default the largest n of each family. Only ``ok`` cells count.
    """
    ok = ok_rows(cells)
    if not len(ok):
        return pd.DataFrame()
    rows = []
    for family, fam in ok.groupby("task_family", sort=True):
        fam = fam.assign(series=_series(fam))
        chosen = n if n is not None else fam["n"].max()
        fam = fam[fam["n"] == chosen]
        for (est, series, task_label), g in fam.groupby(["estimator_label", "series", "task_label"], sort=True):
            mean, lo, hi = mean_ci(g["estimate"].to_numpy())
            rows.append(
                {
                    "task_family": family,
                    "estimator_label": est,
                    "series": series,
                    "task_label": task_label,
                    "n": int(chosen),
                    "true_mi": float(g["true_mi"].mean()),
                    "estimate": mean,
                    "ci_low": lo,
                    "ci_high": hi,
                    "seeds": len(g),
                }
            )
    return pd.DataFrame(rows)


def plot_curves(
    *,
    store: str | None = None,
    out: Path,
    cells: pd.DataFrame | None = None,
    n: int | None = None,
    family: str | None = None,
    **_ignored: Any,
) -> list[Path]:
    """Estimate vs true MI per task family, one panel per estimator (``curves_<family>.png``).

    Parameters
    ----------
    store : path of the results store (or pass ``cells``)
    out : output directory
    cells : DataFrame of stored cells, instead of ``store``
    n : sample size to show (default: the largest of each family)
    family : draw only this family
    """
    points = curve_points(read_cells(store, cells), n=n)
    if family is not None and len(points):
        points = points[points["task_family"] == family]
    if not len(points):
        raise ValueError("no successful cells to plot" + (f" in family {family!r}" if family else ""))
    out = Path(out)
    written = []
    for fam, pts in points.groupby("task_family", sort=True):
        estimators = sorted(pts["estimator_label"].unique())
        series = sorted(pts["series"].unique())
        colors = {s: f"C{i % 10}" for i, s in enumerate(series)}
        top = max(float(pts["true_mi"].max()), 0.5)
        lo_lim, hi_lim = -0.25 * top - 0.1, 1.35 * top + 0.1
        fig, axes = new_figure(len(estimators))
        for ax, est in zip(axes, estimators):
            ax.plot([0, top], [0, top], color="0.55", lw=1, ls="--", zorder=1)
            mine = pts[pts["estimator_label"] == est]
            for s, g in mine.groupby("series", sort=True):
                g = g.sort_values("true_mi")
                if len(g) > 1:
                    ax.fill_between(g["true_mi"], g["ci_low"], g["ci_high"], color=colors[s], alpha=0.2, lw=0)
                ax.errorbar(
                    g["true_mi"],
                    g["estimate"],
                    yerr=[g["estimate"] - g["ci_low"], g["ci_high"] - g["estimate"]],
                    fmt="o-" if len(g) > 1 else "o",
                    color=colors[s],
                    ms=3.5,
                    lw=1.4,
                    elinewidth=0.8,
                    capsize=2,
                    label=s,
                    zorder=2,
                )
            outside = int(((mine["estimate"] < lo_lim) | (mine["estimate"] > hi_lim)).sum())
            if outside:
                ax.text(
                    0.02,
                    0.97,
                    f"{outside} point(s) off scale",
                    transform=ax.transAxes,
                    va="top",
                    fontsize=7,
                    color="firebrick",
                )
            ax.set_xlim(-0.05 * top, 1.05 * top)
            ax.set_ylim(lo_lim, hi_lim)
            ax.set_title(wrap_label(est), fontsize=8)
            ax.set_xlabel("true MI (nats)", fontsize=8)
            ax.set_ylabel("estimate (nats)", fontsize=8)
            ax.tick_params(labelsize=7)
            ax.grid(alpha=0.25)
        handles = [axes[0].plot([], [], "o-", color=colors[s], ms=3.5)[0] for s in series]
        legend_below(fig, handles, series)
        n_text = ", ".join(str(v) for v in sorted(pts["n"].unique()))
        fig.suptitle(
            f"{fam}: estimate vs true MI (n={n_text}; mean over seeds, 95% bootstrap CI; dashed = truth)", fontsize=10
        )
        path = out / f"curves_{slug(fam)}.png"
        fig.savefig(path, dpi=100)
        written.append(path)
    return written


def runtime_points(cells: pd.DataFrame, cost: str = "cold") -> pd.DataFrame:
    """Per (estimator, n): median, 25% and 75% quantiles of seconds per cell over ok cells (all families).

    ``cost="cold"`` counts the cold-cache cost (``cold_seconds``, else ``seconds``), ``"warm"`` the
    ``fit`` seconds as run. Fixed-population tasks (whose n is not a chosen sample size) are left out.
    """
    ok = sampled_cells(cells)
    ok = ok[ok["status"] == "ok"].assign(_cost=lambda d: cell_seconds(d, cost))
    ok = ok[ok["_cost"].notna()]
    rows = []
    for (est, n), g in ok.groupby(["estimator_label", "n"], sort=True):
        s = g["_cost"]
        rows.append(
            {
                "estimator_label": est,
                "n": int(cast(SupportsInt, n)),
                "median": float(s.median()),
                "q25": float(s.quantile(0.25)),
                "q75": float(s.quantile(0.75)),
                "cells": len(g),
            }
        )
    return pd.DataFrame(rows)


def plot_runtime(
    *, store: str | None = None, out: Path, cells: pd.DataFrame | None = None, cost: str = "cold", **_ignored: Any
) -> list[Path]:
    """Runtime per cell and estimator against n, log-log (``runtime.png``); bars for a single n.

    ``cost``: ``"cold"`` (default) plots the cold-cache cost, ``"warm"`` the ``fit`` seconds as run.
    """
    check_cost(cost)
    pts = runtime_points(read_cells(store, cells), cost)
    if not len(pts):
        raise ValueError("no successful cells with a runtime to plot")
    floor = 1e-5  # seconds; log axes cannot show 0
    if pts["n"].nunique() >= 2:
        fig, (ax,) = new_figure(1, panel_size=(7.0, 4.4))
        handles = []
        for i, (est, e) in enumerate(pts.groupby("estimator_label", sort=True)):
            e = e.sort_values("n")
            color, marker = f"C{i % 10}", "os^vD<>p*h"[(i // 10) % 10]
            ax.fill_between(
                e["n"], e["q25"].clip(lower=floor), e["q75"].clip(lower=floor), color=color, alpha=0.15, lw=0
            )
            ax.plot(e["n"], e["median"].clip(lower=floor), marker + "-", color=color, ms=4, lw=1.4, label=est)
            handles.append(ax.lines[-1])
        n_axis(ax, pts["n"])
        ax.set_yscale("log")
        ax.set_xlabel("sample size n")
        ax.set_ylabel(wrap_label(cost_text(cost) + ": median, IQR band", 48), fontsize=8)
        ax.set_title("runtime scaling (all sampled tasks pooled)", fontsize=10)
        ax.grid(alpha=0.25, which="both")
        legend_below(fig, handles, [h.get_label() for h in handles])
    else:
        pts = pts.sort_values("median")
        lines = sum(wrap_label(label, 40).count("\n") + 1 for label in pts["estimator_label"])
        fig, (ax,) = new_figure(1, panel_size=(7.0, 0.8 + 0.2 * lines + 0.1 * len(pts)))
        y = np.arange(len(pts))
        med = pts["median"].clip(lower=floor).to_numpy()
        err = np.vstack(
            [med - pts["q25"].clip(lower=floor).to_numpy(), pts["q75"].clip(lower=floor).to_numpy() - med]
        ).clip(min=0)
        ax.barh(y, med, xerr=err, color="C0", alpha=0.8, error_kw={"lw": 0.8})
        ax.set_yticks(y, [wrap_label(label, 40) for label in pts["estimator_label"]], fontsize=7)
        ax.set_xscale("log")
        ax.set_xlabel(wrap_label(cost_text(cost) + ": median, IQR", 60), fontsize=8)
        ax.set_title(f"runtime at n={int(pts['n'].iloc[0])} (all sampled tasks pooled)", fontsize=10)
        ax.grid(alpha=0.25, axis="x", which="both")
    path = Path(out) / "runtime.png"
    fig.savefig(path, dpi=100)
    return [path]
