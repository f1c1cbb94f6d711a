"""``ibbench plot --kind info-plane``: exact information planes of quantized networks, per layer.

One PNG per (data set, activation, bits): the exact plane ``(I(X;T), I(T;Y))`` in bits for every
layer, points coloured by epoch (log scale), lines through the mean over training repetitions and
bars of ±1 sample sd (``ddof=1``); with ``estimator=NAME`` the plane estimated by that estimator on
the dequantized activations is drawn beside it.

The plot only reads: the planes are the stored results of ``ibbench study info-planes`` (training
the networks is a run, with progress), the estimator's plane also from the store's ``qnn-*`` cells
where the study has none. Missing results raise a ``ValueError`` naming the command that computes
them. Options (``--option key=value``): ``dataset`` (szt|digits), ``activation`` (``tanh+relu``),
``bits`` (``4+8``), ``epochs``, ``n_snapshots``, ``seeds`` (repetitions), ``estimator``,
``estimator_params`` (JSON), ``min_accuracy`` (leave out runs that never trained); they select
stored results and must match the study's.
"""

from __future__ import annotations

import json
import warnings
from pathlib import Path
from typing import Any

import numpy as np

#: one marker per layer (cycled)
MARKERS = "os^Dvp*hX"


def draw_trajectory(
    ax: Any, x: Any, y: Any, xerr: Any, yerr: Any, epochs: Any, norm: Any, *, index: int, label: str, tag: str
) -> None:
    """One layer's path through the plane: grey error bars, points coloured by epoch (``norm``, viridis),
    the layer's marker (``MARKERS[index]``) and ``tag`` written at the last point."""
    ax.errorbar(x, y, xerr=xerr, yerr=yerr, color="0.75", lw=0.6, zorder=1, elinewidth=0.5, capsize=0)
    ax.scatter(
        x,
        y,
        c=np.maximum(epochs, 1),
        cmap="viridis",
        norm=norm,
        s=16,
        zorder=2,
        marker=MARKERS[index % len(MARKERS)],
        edgecolors="none",
        label=label,
    )
    ax.annotate(tag, (x[-1], y[-1]), textcoords="offset points", xytext=(4, 4), fontsize=8)


def label_plane(ax: Any, title: str, legend_loc: str) -> None:
    """Axis labels in bits, title, grid and legend of an information-plane panel."""
    ax.set_xlabel("I(X;T) [bits]")
    ax.set_ylabel("I(T;Y) [bits]")
    ax.set_title(title, fontsize=10)
    ax.grid(alpha=0.3)
    ax.legend(fontsize=7, loc=legend_loc, markerscale=1.0)


def _draw(ax: Any, epochs: np.ndarray, planes: np.ndarray, title: str) -> Any:
    import matplotlib.pyplot as plt
    from matplotlib.colors import LogNorm

    from ibbench.tasks.qnn.exact_mi import LN2

    bits = planes / LN2
    with np.errstate(invalid="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # snapshots without an estimate stay NaN
        mean, sd = np.nanmean(bits, axis=0), np.nanstd(bits, axis=0, ddof=1)  # sample sd over repetitions
    norm = LogNorm(vmin=1, vmax=max(int(epochs[-1]), 2))
    for layer in range(bits.shape[2]):
        ok = ~np.isnan(mean[:, layer, 0]) & ~np.isnan(mean[:, layer, 1])
        if not ok.any():
            continue
        x, y = mean[ok, layer, 0], mean[ok, layer, 1]
        draw_trajectory(
            ax,
            x,
            y,
            sd[ok, layer, 0],
            sd[ok, layer, 1],
            epochs[ok],
            norm,
            index=layer,
            label=f"layer {layer + 1}",
            tag=str(layer + 1),
        )
    label_plane(ax, title, "lower right")
    return plt.cm.ScalarMappable(norm=norm, cmap="viridis")


def plot_info_plane(
    *,
    store: str | None,
    out: Path,
    dataset: str = "szt",
    activation: str | None = None,
    bits: Any = "4+8",
    epochs: int = 1000,
    n_snapshots: int = 40,
    seeds: int = 3,
    estimator: str | None = None,
    estimator_params: Any = None,
    min_accuracy: float | None = None,
    **_ignored: Any,
) -> list[Path]:
    """Draw stored exact (and optionally estimated) information planes; returns the PNG paths.

    Parameters
    ----------
    store : str or None
        Results store holding the ``ibbench study info-planes`` results (and ``qnn-*`` cells).
    out : Path
        Output directory.
    dataset : {"szt", "digits"}
    activation : str, optional
        ``"tanh+relu"`` style list; default both for SZT, ``relu`` for digits.
    bits : int or str
        ``"4+8"`` style list.
    epochs, n_snapshots : int
        The training runs (as in the qnn tasks' parameters).
    seeds : int
        Number of repetitions (0 … seeds−1) averaged.
    estimator : str, optional
        Registered estimator whose plane is drawn beside the exact one.
    estimator_params : dict or JSON str, optional
    min_accuracy : float, optional
        Leave out repetitions whose final training accuracy is lower (runs that never trained).

    Raises
    ------
    ValueError
        The study results are not in ``store``; the message names the ``ibbench study info-planes``
        command that computes them.

    References
    ----------
    S. S. Lorenzen, C. Igel, M. Nielsen, "Information Bottleneck: Exact Analysis of (Quantized)
    Neural Networks", ICLR 2022, Fig. 2–4 (information planes of quantized networks).
    """
    from ibbench.studies.common import option_list
    from ibbench.studies.info_planes import default_activations, load_info_planes
    from ibbench.tasks.qnn.training import TrainConfig

    activations = option_list(activation, str) if activation else default_activations(dataset)
    if isinstance(estimator_params, str):
        estimator_params = json.loads(estimator_params)
    loaded = []
    for act in activations:  # read everything first: a missing result fails before any file is written
        for b in option_list(bits, int):
            config = TrainConfig(
                dataset=dataset, activation=act, bits=b, epochs=int(epochs), n_snapshots=int(n_snapshots)
            )
            loaded.append(
                load_info_planes(
                    store,
                    config,
                    range(int(seeds)),
                    estimator=estimator,
                    estimator_params=estimator_params,
                    min_accuracy=min_accuracy,
                )
            )

    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    Path(out).mkdir(parents=True, exist_ok=True)
    written = []
    for planes in loaded:
        config = planes.config
        panels = [(planes.exact, f"exact — {dataset} {config.activation} {config.bits}-bit, runs {planes.seeds}")]
        if planes.estimated is not None:
            panels.append((planes.estimated, f"{estimator} — same runs, dequantized T"))
        fig, axes = plt.subplots(1, len(panels), figsize=(5.2 * len(panels), 4.4), squeeze=False)
        for ax, (plane, title) in zip(axes[0], panels, strict=True):
            mappable = _draw(ax, planes.epochs, plane, title)
        fig.colorbar(mappable, ax=list(axes[0]), label="epoch")
        name = (
            f"info-plane-{dataset}-{config.activation}-{config.bits}bit"
            + (f"-{estimator}" if estimator else "")
            + ".png"
        )
        path = Path(out) / name
        fig.savefig(path, dpi=120, bbox_inches="tight")
        plt.close(fig)
        written.append(path)
    return written
