"""Information planes of quantized networks: exact (by counting) and estimated, over repetitions.

The exact plane of a run is ``(I(X;T), I(T;Y))`` per snapshot and layer (:mod:`.exact_mi`); an
estimated plane runs a registered estimator on the same snapshots, with T the dequantized float
activations (what an estimator would see). :func:`phase_table` condenses planes into the numbers
behind the qualitative findings of Lorenzen et al. (fitting and compression phases per layer).
"""

from __future__ import annotations

from typing import Any, Sequence

import numpy as np

from ibbench.tasks.qnn.data import load_population
from ibbench.tasks.qnn.exact_mi import LN2, information_plane
from ibbench.tasks.qnn.training import TrainConfig, train


def exact_planes(config: TrainConfig, seeds: Sequence[int]) -> tuple[np.ndarray, np.ndarray]:
    """Exact planes of repetitions ``seeds`` (trained or loaded from the cache).

    Returns
    -------
    epochs : ndarray of shape (s,)
    planes : ndarray of shape (len(seeds), s, n_layers, 2), nats; ``[..., 0] = I(X;T)``, ``[..., 1] = I(T;Y)``.
    """
    runs = [train(config, int(seed)) for seed in seeds]
    return runs[0].epochs, np.stack([information_plane(run) for run in runs])


def estimated_planes(config: TrainConfig, seeds: Sequence[int], estimator: str,
                     estimator_params: dict[str, Any] | None = None,
                     snapshots: Sequence[int] | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Planes estimated by the registered ``estimator`` on the dequantized activations.

    Parameters
    ----------
    config, seeds : the runs, as in :func:`exact_planes`
    estimator : str
        Registry name (``"binning"``, ``"ksg"``, ...); built with ``estimator_params``. A stochastic
        estimator without ``random_state`` gets the repetition seed.
    snapshots : sequence of int, optional
        Snapshot indices to estimate (default all); the others are NaN.

    Returns
    -------
    epochs, planes : as in :func:`exact_planes` (nats).
    """
    from ibbench.registry import get_estimator

    x, y = load_population(config.dataset)
    x, y = x.astype(np.float64), y.astype(np.float64)
    runs = [train(config, int(seed)) for seed in seeds]
    epochs = runs[0].epochs
    chosen = range(len(epochs)) if snapshots is None else snapshots
    planes = np.full((len(runs), len(epochs), runs[0].n_layers, 2), np.nan)
    for r, run in enumerate(runs):
        params = dict(estimator_params or {})
        est = get_estimator(estimator, **params)
        if "random_state" in est.get_params() and params.get("random_state") is None:
            est.set_params(random_state=run.seed)
        for s in chosen:
            for layer in range(run.n_layers):
                t = run.activations(layer, s)
                planes[r, s, layer] = est.estimate(x, t), est.estimate(t, y)
    return epochs, planes


def phase_table(epochs: np.ndarray, planes: np.ndarray, *, title: str = "") -> str:
    """Markdown table (bits, mean ± sd over repetitions) of the fitting and compression per layer.

    Columns: ``I(T;Y)`` at epoch 0 and at the end (fitting = its increase); ``I(X;T)`` at epoch 0,
    its maximum over epochs (with the epoch of the mean curve's maximum) and at the end
    (compression = maximum − end).
    """
    bits = planes / LN2
    ixt, ity = bits[..., 0], bits[..., 1]
    rows = []

    def fmt(values):
        return f"{np.mean(values):.3f} ± {np.std(values):.3f}"

    for layer in range(bits.shape[2]):
        peak = ixt[:, :, layer].max(axis=1)
        rows.append("| {} | {} | {} | {} | {} | {} | {} | {} |".format(
            layer + 1, fmt(ity[:, 0, layer]), fmt(ity[:, -1, layer]), fmt(ity[:, -1, layer] - ity[:, 0, layer]),
            fmt(ixt[:, 0, layer]), f"{fmt(peak)} (ep. {int(epochs[np.argmax(ixt[:, :, layer].mean(axis=0))])})",
            fmt(ixt[:, -1, layer]), fmt(peak - ixt[:, -1, layer])))
    head = ("| layer | I(T;Y) start | I(T;Y) end | fitting | I(X;T) start | I(X;T) max | I(X;T) end | compression |\n"
            "|---|---|---|---|---|---|---|---|")
    return (f"**{title}**\n\n" if title else "") + head + "\n" + "\n".join(rows) + "\n"
