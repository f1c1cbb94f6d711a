"""The information plane of an :class:`~ibbench.information_plane.api.InfoPlaneResult` as a PNG.

Drawn in the style of ``ibbench plot --kind info-plane`` (:mod:`ibbench.report.plot_info_plane`):
``(I(X;T), I(T;Y))`` in bits per layer, points coloured by epoch (log scale), one marker per layer,
error bars of the 95% intervals. Estimates flagged near an estimator's ceiling are ringed in red;
when a layer was injective on the inputs, a dashed line marks ``H(X)``, the value every injective
layer's ``I(X;T)`` has (item 3 of :mod:`ibbench.information_plane.measure`).
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import numpy as np

from ibbench.report.plot_info_plane import draw_trajectory, label_plane

LN2 = math.log(2.0)


def draw(ax: Any, frame: Any, layers: list[str], *, h_x: float | None = None, title: str = "") -> Any:
    """Draw the plane of ``frame`` (tidy rows of :class:`InfoPlaneResult`) on ``ax``; returns the colour mappable."""
    import matplotlib.pyplot as plt
    from matplotlib.colors import LogNorm

    epochs = np.sort(frame["epoch"].unique())
    norm = LogNorm(vmin=1, vmax=max(int(epochs[-1]), 2))
    for i, layer in enumerate(layers):
        rows = frame[frame["layer"] == layer]
        xt = rows[rows["side"] == "xt"].set_index("epoch").sort_index()
        ty = rows[rows["side"] == "ty"].set_index("epoch").sort_index()
        x, y = xt["mi"].to_numpy() / LN2, ty["mi"].to_numpy() / LN2
        xerr = np.abs(np.vstack([xt["mi"] - xt["ci_low"], xt["ci_high"] - xt["mi"]]) / LN2)
        yerr = np.abs(np.vstack([ty["mi"] - ty["ci_low"], ty["ci_high"] - ty["mi"]]) / LN2)
        draw_trajectory(
            ax,
            x,
            y,
            np.nan_to_num(xerr),
            np.nan_to_num(yerr),
            xt.index.to_numpy(),
            norm,
            index=i,
            label=str(layer),
            tag=str(layer),
        )
        flagged = xt["near_ceiling"].to_numpy(bool) | ty["near_ceiling"].to_numpy(bool)
        if flagged.any():
            ax.scatter(x[flagged], y[flagged], s=60, facecolors="none", edgecolors="tab:red", lw=0.6, zorder=3)
    if h_x is not None:
        ax.axvline(h_x / LN2, color="tab:red", ls="--", lw=0.8, zorder=0)
        ax.annotate(
            "H(X): I(X;T) of any\ninjective layer",
            (h_x / LN2, 0.98),
            xycoords=("data", "axes fraction"),
            fontsize=7,
            color="tab:red",
            ha="right",
            va="top",
            xytext=(-3, 0),
            textcoords="offset points",
        )
    label_plane(ax, title, "best")
    return plt.cm.ScalarMappable(norm=norm, cmap="viridis")


def plot_result(result: Any, path: str | Path, *, title: str | None = None, dpi: int = 110) -> Path:
    """Write the plane of ``result`` to ``path`` (PNG); returns the path."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    if title is None:
        title = "information plane — " + ", ".join(sorted({c.label for c in result.choices}))
    fig, ax = plt.subplots(figsize=(5.6, 4.4))
    h_x = result.input_entropy if result.injective_layers else None
    mappable = draw(ax, result.frame, result.layers, h_x=h_x, title=title)
    fig.colorbar(mappable, ax=ax, label="epoch")
    fig.savefig(path, dpi=dpi, bbox_inches="tight")
    plt.close(fig)
    return path
