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


def trained_seeds(config: TrainConfig, seeds: Sequence[int], min_accuracy: float | None = None) -> list[int]:
    """The repetitions among ``seeds`` whose final training accuracy is at least ``min_accuracy``.

    Narrow ReLU nets sometimes never train (a layer's units all die, the output is constant and the
    accuracy stays at the majority rate); ``min_accuracy`` lets planes leave such runs out.
    """
    seeds = [int(s) for s in seeds]
    if min_accuracy is None:
        return seeds
    return [s for s in seeds if train(config, s).train_accuracy[-1] >= float(min_accuracy)]


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
    (compression = maximum − end). The sd is the sample sd over repetitions (``ddof=1``; NaN for a
    single repetition).
    """
    bits = planes / LN2
    ixt, ity = bits[..., 0], bits[..., 1]
    rows = []

    def fmt(values):
        sd = np.std(values, ddof=1) if len(values) > 1 else np.nan  # sample sd: the runs are a sample
        return f"{np.mean(values):.3f} ± {sd:.3f}"

    for layer in range(bits.shape[2]):
        peak = ixt[:, :, layer].max(axis=1)
        rows.append("| {} | {} | {} | {} | {} | {} | {} | {} |".format(
            layer + 1, fmt(ity[:, 0, layer]), fmt(ity[:, -1, layer]), fmt(ity[:, -1, layer] - ity[:, 0, layer]),
            fmt(ixt[:, 0, layer]), f"{fmt(peak)} (ep. {int(epochs[np.argmax(ixt[:, :, layer].mean(axis=0))])})",
            fmt(ixt[:, -1, layer]), fmt(peak - ixt[:, -1, layer])))
    head = ("| layer | I(T;Y) start | I(T;Y) end | fitting | I(X;T) start | I(X;T) max | I(X;T) end | compression |\n"
            "|---|---|---|---|---|---|---|---|")
    return (f"**{title}**\n\n" if title else "") + head + "\n" + "\n".join(rows) + "\n"


def write_markdown(text: str, out=None) -> str:
    """Write ``text`` to the file ``out`` (creating its folder), or print it when ``out`` is None."""
    if out:
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(text)
    else:
        print(text)
    return text


def main(argv: Sequence[str] | None = None) -> str:
    """Command line: phase tables (fitting / compression per layer) of the chosen configurations."""
    import argparse
    from pathlib import Path

    parser = argparse.ArgumentParser(prog="python -m ibbench.tasks.qnn.planes", description=phase_table.__doc__)
    parser.add_argument("--dataset", default="szt")
    parser.add_argument("--activation", default=None, help="comma list (default tanh,relu; digits: relu)")
    parser.add_argument("--bits", default="4,8")
    parser.add_argument("--epochs", type=int, default=1000)
    parser.add_argument("--n-snapshots", type=int, default=40)
    parser.add_argument("--seeds", type=int, default=3)
    parser.add_argument("--min-accuracy", type=float, default=None,
                        help="leave out runs whose final training accuracy is lower (runs that never trained)")
    parser.add_argument("--out", type=Path, default=None, help="markdown file (default: print)")
    args = parser.parse_args(argv)
    activations = args.activation or ("relu" if args.dataset == "digits" else "tanh,relu")
    parts = [f"# Exact information-plane phases ({args.dataset}, {args.epochs} epochs, mean ± sample sd over "
             f"the runs listed per table, of {args.seeds} repetitions, bits)\n",
             f"Regenerate: `python -m ibbench.tasks.qnn.planes --dataset {args.dataset} --activation {activations} "
             f"--bits {args.bits} --epochs {args.epochs} --seeds {args.seeds}"
             + (f" --min-accuracy {args.min_accuracy}" if args.min_accuracy is not None else "") + "`\n"]
    for act in activations.split(","):
        for bits in args.bits.split(","):
            config = TrainConfig(dataset=args.dataset, activation=act, bits=int(bits), epochs=args.epochs,
                                 n_snapshots=args.n_snapshots)
            kept = trained_seeds(config, range(args.seeds), args.min_accuracy)
            dropped = sorted(set(range(args.seeds)) - set(kept))
            epochs, planes = exact_planes(config, kept)
            parts.append(phase_table(epochs, planes, title=f"{act}, {bits}-bit, runs {kept}"
                                     + (f" (left out, never trained: {dropped})" if dropped else "")))
    return write_markdown("\n".join(parts), args.out)


if __name__ == "__main__":  # pragma: no cover
    main()
