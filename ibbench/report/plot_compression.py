"""Compression figures of Butakov et al. (ICLR 2024), Figs. 3/4: estimate vs true MI on image tasks.

``ibbench plot --kind compression`` reads a store holding the ``paper`` suite's image parts and
draws, for each image family and size, one panel per inner estimator (KDE-ML, KDE-LSE, KL, WKL,
MINE) with three curves — the estimator on the true latents (``images-*-latents``: the ideal
compressor, the paper's reference), after the autoencoder (``compressed-ae``) and after PCA
(``compressed-pca``) — each the mean over seeds with a 95% bootstrap CI, the truth dashed. A second
figure per family shows plain estimators on the raw pixels. ``compression-summary.md`` tabulates
the same points (mean estimate per true MI) and the median runtime per cell: by default the
cold-cache cost, which charges every compressed cell its autoencoder training or PCA even when it
read the codes from the cache; ``--option cost=warm`` tabulates the ``fit`` seconds as run.

References
----------
Butakov, Tolmachev, Malanchuk, Neopryatnaya, Frolov & Andreev (2024). Information bottleneck
analysis of deep neural networks via lossy compression. ICLR. (Figs. 3/4.)
"""

from __future__ import annotations

import textwrap
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any, SupportsFloat, SupportsInt, cast

import numpy as np
import pandas as pd

from ibbench.report.plot_curves import legend_below, mean_ci, new_figure, ok_rows, params_dict, read_cells, slug
from ibbench.report.runtime_cost import cell_seconds, check_cost
from ibbench.runner import params_label

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure
    from matplotlib.text import Text

IMAGE_TASKS = ("images-bumps", "images-rectangles")
#: Curve order and colours: ideal reference first (black), then the two compressors, then raw pixels.
METHODS = {"true latents (ideal)": "k", "autoencoder": "C0", "PCA": "C1", "raw pixels": "C3"}
_COMPRESSORS = {"compressed-ae": "autoencoder", "compressed-pca": "PCA"}


def classify(cells: pd.DataFrame) -> pd.DataFrame:
    """Image-task cells with the columns ``family``, ``size``, ``method`` and ``inner`` added.

    ``method`` is ``true latents (ideal)`` for the ``images-*-latents`` tasks (``size`` is then NaN:
    the latents serve every image size), ``autoencoder`` / ``PCA`` for the compression wrappers
    (``inner`` = the wrapped estimator and its params) and ``raw pixels`` for any other estimator
    run on the images. Cells of other tasks are dropped.
    """
    rows = []
    for idx, row in cells.iterrows():
        task = row["task"]
        family = task.removesuffix("-latents")
        if family not in IMAGE_TASKS:
            continue
        tparams, eparams = params_dict(row["task_params"]), params_dict(row["estimator_params"])
        if task.endswith("-latents"):
            method, size = "true latents (ideal)", np.nan
        else:
            size = int(tparams["size"])
            method = _COMPRESSORS.get(row["estimator"], "raw pixels")
        # the same label for an estimator whether it ran inside a wrapper or on its own: name plus the
        # parameters that differ from its defaults
        name, params = (
            (eparams.get("estimator", "ksg"), eparams.get("estimator_params") or {})
            if method in ("autoencoder", "PCA")
            else (row["estimator"], eparams)
        )
        inner = params_label(name, {k: v for k, v in params.items() if k != "random_state"}, _defaults(name))
        extra = params_dict(row.get("extra"))
        errors = [extra[k] for k in ("reconstruction_error_x_", "reconstruction_error_y_") if k in extra]
        rows.append(
            {
                "index": idx,
                "family": family,
                "size": size,
                "method": method,
                "inner": inner,
                "reconstruction_error": float(np.mean(errors)) if errors else np.nan,
            }
        )
    if not rows:
        return cells.iloc[:0].assign(family=[], size=[], method=[], inner=[], reconstruction_error=[])
    added = pd.DataFrame(rows).set_index("index")
    return cells.loc[added.index].join(added)


@cache
def _defaults(name: str) -> dict[str, Any]:
    """The registered estimator's default params (read-only; cached, looked up once per name)."""
    from ibbench.registry import get_estimator_class
    from ibbench.serial import jsonable

    try:
        return jsonable(get_estimator_class(name)().get_params(deep=False))
    except (ValueError, ImportError):
        return {}


def compression_points(cells: pd.DataFrame, cost: str = "cold") -> pd.DataFrame:
    """Per (family, size, method, inner, true MI): mean estimate, 95% bootstrap CI, seeds, median seconds.

    ``seconds`` is the median cold-cache cost per cell (``cost="cold"``: ``cold_seconds``, else
    ``seconds``) or the median ``fit`` seconds as run (``"warm"``). The ideal-compressor points (no
    size) are repeated for every image size of their family present in the store (size 0 when the
    family has no image cells yet).
    """
    ok = ok_rows(cells)
    ok = classify(ok.assign(seconds=cell_seconds(ok, cost)))
    if not len(ok):
        return pd.DataFrame()
    parts = [ok[ok["size"].notna()]]
    for fam, latents in ok[ok["size"].isna()].groupby("family"):
        sizes = sorted({int(s) for s in ok.loc[(ok["family"] == fam), "size"].dropna()}) or [0]
        parts += [latents.assign(size=s) for s in sizes]
    ok = pd.concat(parts, ignore_index=True)
    rows = []
    for (family, size, method, inner, mi), g in ok.groupby(["family", "size", "method", "inner", "true_mi"], sort=True):
        mean, lo, hi = mean_ci(g["estimate"].to_numpy())
        rows.append(
            {
                "family": family,
                "size": int(cast(SupportsInt, size)),
                "method": method,
                "inner": inner,
                "true_mi": float(cast(SupportsFloat, mi)),
                "estimate": mean,
                "ci_low": lo,
                "ci_high": hi,
                "seeds": len(g),
                "seconds": float(g["seconds"].median()),
                "reconstruction_error": float(g["reconstruction_error"].mean()),
            }
        )
    return pd.DataFrame(rows)


def _panel(ax: Axes, pts: pd.DataFrame, top: float) -> None:
    ax.plot([0, top], [0, top], color="0.55", lw=1, ls="--", zorder=1)
    for method, color in METHODS.items():
        g = pts[pts["method"] == method].sort_values("true_mi")
        if not len(g):
            continue
        ax.fill_between(g["true_mi"], g["ci_low"], g["ci_high"], color=color, alpha=0.18, lw=0)
        ax.plot(g["true_mi"], g["estimate"], "o-", color=color, ms=3, lw=1.3, label=method, zorder=2)
    ax.set_xlabel("true MI (nats)", fontsize=8)
    ax.set_ylabel("estimate (nats)", fontsize=8)
    ax.tick_params(labelsize=7)
    ax.grid(alpha=0.25)


def plot_compression(
    *, store: str | None = None, out: Path, cells: pd.DataFrame | None = None, cost: str = "cold", **_ignored: Any
) -> list[Path]:
    """Butakov et al. Figs. 3/4 from a store (``compression_<family>_<size>.png``, raw-pixel figures
    ``compression_<family>_raw.png`` and the tables ``compression-summary.md``).

    Parameters
    ----------
    store : path of the results store (or pass ``cells``)
    out : output directory
    cells : DataFrame of stored cells, instead of ``store``
    cost : "cold" (default) or "warm": the runtime in the tables' ``s/cell`` column
    """
    check_cost(cost)
    points = compression_points(read_cells(store, cells), cost)
    if not len(points):
        raise ValueError(
            "no successful image-task cells to plot (run the paper-latents / paper-bumps / "
            "paper-rectangles suites first)"
        )
    out = Path(out)
    written: list[Path] = []
    n_text = _n_text(read_cells(store, cells))
    for (family, size), pts in points.groupby(["family", "size"], sort=True):
        compressed = pts[pts["method"] != "raw pixels"]
        inners = [i for i in _inner_order(compressed["inner"]) if (compressed["inner"] == i).any()]
        if not inners or set(compressed["method"]) <= {"true latents (ideal)"}:
            continue  # nothing compressed at this size yet (e.g. only raw-pixel cells)
        top = float(pts["true_mi"].max())
        fig, axes = new_figure(len(inners), panel_size=(3.2, 3.0), max_cols=5)
        for ax, inner in zip(axes, inners):
            _panel(ax, compressed[compressed["inner"] == inner], top)
            mine = compressed[compressed["inner"] == inner]
            lo = max(min(-0.5, float(mine["ci_low"].min()) - 0.3), -3.0)
            ax.set_ylim(lo, top * 1.25)
            below = mine[mine["estimate"] < lo]
            if len(below):  # e.g. KDE-LSE on PCA codes: say so instead of stretching the axis
                ax.text(
                    0.03,
                    0.97,
                    "\n".join(
                        f"{m}: {len(g)} point(s) below, min {g['estimate'].min():.1f}"
                        for m, g in below.groupby("method")
                    ),
                    transform=ax.transAxes,
                    va="top",
                    fontsize=7,
                    color="firebrick",
                )
            ax.set_title(inner, fontsize=9)
        methods = [m for m in METHODS if m != "raw pixels" and (compressed["method"] == m).any()]
        legend_below(fig, [axes[0].plot([], [], "o-", color=METHODS[m])[0] for m in methods], methods)
        fitted_suptitle(
            fig, f"{family} {size}x{size}: estimate vs true MI ({n_text}; mean over seeds, 95% CI; dashed = truth)"
        )
        path = out / f"compression_{slug(family)}_{size}.png"
        fig.savefig(path, dpi=100)
        written.append(path)
    raw = points[points["method"] == "raw pixels"]
    for family, pts in raw.groupby("family", sort=True):
        panels = [
            (size, inner)
            for size in sorted(pts["size"].unique())
            for inner in _inner_order(pts["inner"])
            if ((pts["size"] == size) & (pts["inner"] == inner)).any()
        ]
        fig, axes = new_figure(len(panels), panel_size=(3.2, 3.0), max_cols=4)
        top = float(pts["true_mi"].max())
        for ax, (size, inner) in zip(axes, panels):
            g = pts[(pts["size"] == size) & (pts["inner"] == inner)]
            _panel(ax, g, top)
            ax.set_title(f"{inner} on {size}x{size} pixels", fontsize=9)
        fitted_suptitle(
            fig, f"{family!s}: plain estimators on the raw pixels\n({n_text}; mean over seeds, 95% CI; dashed = truth)"
        )
        path = out / f"compression_{slug(family)}_raw.png"
        fig.savefig(path, dpi=100)
        written.append(path)
    summary = out / "compression-summary.md"
    summary.write_text(compression_tables(points, cost))
    written.append(summary)
    return written


def fitted_suptitle(fig: Figure, text: str, fontsize: float = 10) -> Text:
    """``fig.suptitle(text)`` wrapped at word boundaries to the figure's width, so that a narrow
    (one-panel) figure shows its whole title; the constrained layout then makes room for its lines."""
    limit = 0.96 * fig.get_figwidth() * fig.dpi  # pixels
    width = max(12, int(fig.get_figwidth() * 72 / (0.55 * fontsize)))  # characters, from ~0.55 em per character
    renderer = fig.canvas.get_renderer()  # type: ignore[attr-defined]  # the Agg canvas of new_figure
    while True:
        wrapped = "\n".join(textwrap.fill(line, width, break_on_hyphens=False) for line in text.splitlines())
        title = fig.suptitle(wrapped, fontsize=fontsize)
        if title.get_window_extent(renderer).width <= limit or width <= 12:
            return title
        width -= 3


def _inner_order(inners: pd.Series) -> list[str]:
    order = ("kde-ml", "kde-lse", "kl", "wkl", "mine", "ksg")
    return sorted(set(inners), key=lambda s: (next((i for i, p in enumerate(order) if s.split("(")[0] == p), 99), s))


def _n_text(cells: pd.DataFrame) -> str:
    ns = sorted({int(v) for v in cells.loc[cells["task"].str.startswith("images-"), "n"].dropna()})
    return "n=" + ", ".join(str(v) for v in ns)


def compression_tables(points: pd.DataFrame, cost: str = "cold") -> str:
    """Markdown: per family and size, mean estimate per (method, inner estimator) and true MI, plus runtime.

    ``cost`` names the runtime in ``points["seconds"]`` (see :func:`compression_points`).
    """
    seconds = {
        "cold": "`s/cell` = median cold-cache seconds per cell: `fit` plus the recorded cost of the compression "
        "codes it read from the cache, so every compressed cell counts its autoencoder training or PCA "
        "(cells of stores without that record count their `fit` seconds).",
        "warm": "`s/cell` = median `fit` seconds per cell as run (warm cache). Compression codes are cached per "
        "sample, so the first compressed cell of a sample (in grid order, e.g. kde-ml) pays for training "
        "the autoencoder or fitting PCA and the others only read the codes.",
    }[check_cost(cost)]
    lines = [
        "# Compression experiments: mean estimates (nats) per true MI",
        "",
        "Mean over seeds (number of seeds in the last column); " + seconds,
        "",
    ]
    for (family, size), pts in points.groupby(["family", "size"], sort=True):
        mis = sorted(pts["true_mi"].unique())
        title = f"{family}, {size}x{size}" if size else f"{family}, true latents only (no image cells yet)"
        lines += [
            f"## {title}",
            "",
            "| method | estimator | " + " | ".join(f"{m:g}" for m in mis) + " | s/cell | seeds |",
            "|---|---|" + "---:|" * len(mis) + "---:|---:|",
        ]
        for method in METHODS:
            sub = pts[pts["method"] == method]
            for inner in _inner_order(sub["inner"]):
                g = sub[sub["inner"] == inner].set_index("true_mi")
                vals = " | ".join(f"{g.loc[m, 'estimate']:.2f}" if m in g.index else "—" for m in mis)
                lines.append(f"| {method} | {inner} | {vals} | {g['seconds'].median():.2f} | {int(g['seeds'].min())} |")
        recon = (
            pts[pts["method"].isin(["autoencoder", "PCA"])].groupby("method")["reconstruction_error"].mean().dropna()
        )
        if len(recon):
            lines += [
                "",
                "Mean reconstruction error (pixel MAE, pixels in [0, 1]) over all cells: "
                + ", ".join(f"{m} {v:.4f}" for m, v in recon.items())
                + ".",
            ]
        lines.append("")
    return "\n".join(lines)
