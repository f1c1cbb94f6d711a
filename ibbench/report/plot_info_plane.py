"""``ibbench plot --kind info-plane``: exact information planes of quantized networks, per layer.

One PNG per (data set, activation, bits): the exact plane ``(I(X;T), I(T;Y))`` in bits for every
layer, points coloured by epoch (log scale), lines through the mean over training repetitions and
bars of ±1 sample sd (``ddof=1``); with ``estimator=NAME`` the plane estimated by that estimator on the dequantized
activations is drawn beside it (from the results store's ``qnn-*`` cells when it has them, else
computed on the spot). Options (``--option key=value``): ``dataset`` (szt|digits), ``activation``
(``tanh+relu``), ``bits`` (``4+8``), ``epochs``, ``n_snapshots``, ``seeds`` (repetitions),
``estimator``, ``estimator_params`` (JSON), ``every`` (estimate every k-th snapshot),
``min_accuracy`` (leave out runs that never trained).
Runs are trained on first use and cached (see :mod:`ibbench.tasks.qnn.training`).
"""

from __future__ import annotations

import json
import warnings
from pathlib import Path
from typing import Any

import numpy as np


def _split(value, cast):
    if isinstance(value, (list, tuple)):
        return [cast(v) for v in value]
    return [cast(v) for v in str(value).split("+") if str(v).strip()]


def _store_plane(store, dataset, activation, bits, epochs, n_snapshots, estimator, estimator_params, run_epochs,
                 n_layers, seeds):
    """The estimator's plane from stored qnn cells (NaN where a cell is missing), or None."""
    if not store or not Path(store).exists():
        return None
    from ibbench.store import load_results

    df = load_results(store)
    if not len(df) or "task.layer" not in df:
        return None
    df = df[(df["estimator"] == estimator) & (df["status"] == "ok") & df["task"].isin(
        [f"qnn-{dataset}-xt", f"qnn-{dataset}-ty"])]
    for key, value in (("activation", activation), ("bits", bits), ("epochs", epochs), ("n_snapshots", n_snapshots)):
        df = df[df[f"task.{key}"] == value]
    for key, value in (estimator_params or {}).items():
        column = f"est.{key}"
        df = df[df[column] == value] if column in df else df.iloc[:0]
    if not len(df):
        return None
    plane = np.full((len(seeds), len(run_epochs), n_layers, 2), np.nan)
    for _, row in df.iterrows():
        epoch = run_epochs[-1] if row["task.epoch"] is None or np.isnan(row["task.epoch"]) else int(row["task.epoch"])
        if int(row["seed"]) not in seeds or epoch not in run_epochs:
            continue
        side = 0 if row["task"].endswith("-xt") else 1
        plane[seeds.index(int(row["seed"])), int(np.flatnonzero(run_epochs == epoch)[0]),
              int(row["task.layer"]) - 1, side] = row["estimate"]
    return plane


def _draw(ax, epochs, planes, title):
    import matplotlib.pyplot as plt
    from matplotlib.colors import LogNorm

    from ibbench.tasks.qnn.exact_mi import LN2

    bits = planes / LN2
    with np.errstate(invalid="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # snapshots without an estimate stay NaN
        mean, sd = np.nanmean(bits, axis=0), np.nanstd(bits, axis=0, ddof=1)  # sample sd over repetitions
    norm = LogNorm(vmin=1, vmax=max(int(epochs[-1]), 2))
    colour_epochs = np.maximum(epochs, 1)
    n_layers = bits.shape[2]
    markers = "os^Dvp*hX"
    for layer in range(n_layers):
        ok = ~np.isnan(mean[:, layer, 0]) & ~np.isnan(mean[:, layer, 1])
        if not ok.any():
            continue
        x, y = mean[ok, layer, 0], mean[ok, layer, 1]
        ax.errorbar(x, y, xerr=sd[ok, layer, 0], yerr=sd[ok, layer, 1], color="0.75", lw=0.6, zorder=1,
                    elinewidth=0.5, capsize=0)
        sc = ax.scatter(x, y, c=colour_epochs[ok], cmap="viridis", norm=norm, s=16, zorder=2,
                        marker=markers[layer % len(markers)], edgecolors="none", label=f"layer {layer + 1}")
        ax.annotate(str(layer + 1), (x[-1], y[-1]), textcoords="offset points", xytext=(4, 4), fontsize=8)
    ax.set_xlabel("I(X;T) [bits]")
    ax.set_ylabel("I(T;Y) [bits]")
    ax.set_title(title, fontsize=10)
    ax.grid(alpha=0.3)
    ax.legend(fontsize=7, loc="lower right", markerscale=1.0)
    return plt.cm.ScalarMappable(norm=norm, cmap="viridis")


def plot_info_plane(*, store: str | None, out: Path, dataset: str = "szt", activation: str | None = None,
                    bits: Any = "4+8", epochs: int = 1000, n_snapshots: int = 40, seeds: int = 3,
                    estimator: str | None = None, estimator_params: Any = None, every: int = 1,
                    min_accuracy: float | None = None, **_ignored) -> list[Path]:
    """Draw exact (and optionally estimated) information planes; returns the PNG paths.

    Parameters
    ----------
    store : str or None
        Results store to read the estimator's ``qnn-*`` cells from (optional).
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
    every : int
        When computing the estimated plane on the spot, use every ``every``-th snapshot.
    min_accuracy : float, optional
        Leave out repetitions whose final training accuracy is lower (runs that never trained).

    References
    ----------
    S. S. Lorenzen, C. Igel, M. Nielsen, "Information Bottleneck: Exact Analysis of (Quantized)
    Neural Networks", ICLR 2022, Fig. 2–4 (information planes of quantized networks).
    """
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from ibbench.tasks.qnn.planes import estimated_planes, exact_planes, trained_seeds
    from ibbench.tasks.qnn.training import TrainConfig

    activations = _split(activation or ("relu" if dataset == "digits" else "tanh+relu"), str)
    if isinstance(estimator_params, str):
        estimator_params = json.loads(estimator_params)
    Path(out).mkdir(parents=True, exist_ok=True)
    written = []
    for act in activations:
        for b in _split(bits, int):
            config = TrainConfig(dataset=dataset, activation=act, bits=b, epochs=int(epochs),
                                 n_snapshots=int(n_snapshots))
            seed_list = trained_seeds(config, range(int(seeds)), min_accuracy)
            run_epochs, exact = exact_planes(config, seed_list)
            panels = [(exact, f"exact — {dataset} {act} {b}-bit, runs {seed_list}")]
            if estimator:
                est = _store_plane(store, dataset, act, b, int(epochs), int(n_snapshots), estimator, estimator_params,
                                   run_epochs, exact.shape[2], seed_list)
                if est is None:
                    chosen = list(range(0, len(run_epochs), max(int(every), 1)))
                    chosen = sorted(set(chosen) | {len(run_epochs) - 1})
                    _, est = estimated_planes(config, seed_list, estimator, estimator_params, chosen)
                panels.append((est, f"{estimator} — same runs, dequantized T"))
            fig, axes = plt.subplots(1, len(panels), figsize=(5.2 * len(panels), 4.4), squeeze=False)
            for ax, (plane, title) in zip(axes[0], panels):
                mappable = _draw(ax, run_epochs, plane, title)
            fig.colorbar(mappable, ax=list(axes[0]), label="epoch")
            name = f"info-plane-{dataset}-{act}-{b}bit" + (f"-{estimator}" if estimator else "") + ".png"
            path = Path(out) / name
            fig.savefig(path, dpi=120, bbox_inches="tight")
            plt.close(fig)
            written.append(path)
    return written
