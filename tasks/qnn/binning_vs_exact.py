"""Binning baselines against exact MI on quantized networks (the central point of Lorenzen et al.).

For a trained quantized network, the *unquantized* activations of every layer (the values just
before their quantization) are binned with 30 / 100 / 256 uniform bins over the layer's global
range (the registered ``binning`` estimator, ``per_dimension=False``) and compared with the exact
MI of the quantized layer. The two are different random variables (the quantized layer is a
deterministic function of the unquantized activations), so their difference is not the estimation
error of binning on one variable (:data:`DIFFERENT_VARIABLES`). Run
``python -m ibbench.tasks.qnn.binning_vs_exact --help``.
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Sequence

import numpy as np

from ibbench.tasks.qnn.data import load_population
from ibbench.tasks.qnn.exact_mi import LN2, information_plane
from ibbench.tasks.qnn.planes import trained_seeds, write_markdown
from ibbench.tasks.qnn.training import TrainConfig, train

#: Printed under the title of every comparison table: what "binned − exact" measures.
DIFFERENT_VARIABLES = (
    "*binned* bins the layer's **unquantized** activations (the paper's baseline); *exact* is the MI of the "
    "**quantized** layer, a deterministic function of those activations. These are different random variables, "
    "so *binned − exact* is not the estimation error of binning on one variable: fine bins can exceed the exact "
    "value because they keep distinctions that the quantizer discards.")


def binning_vs_exact(config: TrainConfig, seeds: Sequence[int] = (0, 1, 2), n_bins: Sequence[int] = (30, 100, 256),
                     epoch: int | None = None) -> list[dict]:
    """Exact MI of each quantized layer and the binning estimates of its unquantized activations.

    Parameters
    ----------
    config : TrainConfig
    seeds : repetitions averaged
    n_bins : bin counts of the uniform-binning baselines
    epoch : snapshot epoch (default the last)

    Returns
    -------
    list of dict
        One row per (layer, n_bins): ``layer``, ``n_bins``, and for ``xt`` / ``ty`` the exact value,
        the binned value and the difference ``*_error`` = binned − exact (of two different variables,
        see :data:`DIFFERENT_VARIABLES`), in bits, averaged over ``seeds`` (with
        ``*_error_sd`` the sample sd over seeds, ``ddof=1``; NaN for a single seed).

    References
    ----------
    S. S. Lorenzen, C. Igel, M. Nielsen, "Information Bottleneck: Exact Analysis of (Quantized)
    Neural Networks", ICLR 2022, Sec. 2 and App. A (binning estimators disagree with the exact MI).
    """
    from ibbench.registry import get_estimator

    x, y = load_population(config.dataset)
    x, y = x.astype(np.float64), y.astype(np.float64)
    per_seed = []  # (seed, layer, n_bins) -> (exact_xt, exact_ty, bin_xt, bin_ty)
    for seed in seeds:
        run = train(config, int(seed))
        s = len(run.epochs) - 1 if epoch is None else run.snapshot_index(epoch)
        exact = information_plane(run)[s]
        floats = run.float_activations(s)
        values = np.empty((run.n_layers, len(n_bins), 4))
        for layer, a in enumerate(floats):
            for j, k in enumerate(n_bins):
                est = get_estimator("binning", n_bins=int(k), per_dimension=False)
                values[layer, j] = (*exact[layer], est.estimate(x, a), est.estimate(a, y))
        per_seed.append(values / LN2)
    v = np.stack(per_seed)

    def sd(values):  # sample sd: the seeds are a sample of training runs
        return np.std(values, ddof=1) if len(values) > 1 else np.nan

    rows = []
    for layer in range(v.shape[1]):
        for j, k in enumerate(n_bins):
            cell = v[:, layer, j]
            rows.append({
                "layer": layer + 1, "n_bins": int(k),
                "xt_exact": cell[:, 0].mean(), "xt_binned": cell[:, 2].mean(),
                "xt_error": (cell[:, 2] - cell[:, 0]).mean(), "xt_error_sd": sd(cell[:, 2] - cell[:, 0]),
                "ty_exact": cell[:, 1].mean(), "ty_binned": cell[:, 3].mean(),
                "ty_error": (cell[:, 3] - cell[:, 1]).mean(), "ty_error_sd": sd(cell[:, 3] - cell[:, 1]),
            })
    return rows


def markdown_table(rows: list[dict], title: str = "") -> str:
    """The rows of :func:`binning_vs_exact` as a markdown table (bits)."""
    lines = [f"**{title}**\n" if title else "",
             ("| layer | bins | I(X;T) exact | I(X;T) binned | binned − exact | I(T;Y) exact | I(T;Y) binned "
              "| binned − exact |"),
             "|---|---|---|---|---|---|---|---|"]
    for r in rows:
        lines.append(f"| {r['layer']} | {r['n_bins']} | {r['xt_exact']:.3f} | {r['xt_binned']:.3f} | "
                     f"{r['xt_error']:+.3f} ± {r['xt_error_sd']:.3f} | {r['ty_exact']:.3f} | {r['ty_binned']:.3f} | "
                     f"{r['ty_error']:+.3f} ± {r['ty_error_sd']:.3f} |")
    return "\n".join(line for line in lines if line) + "\n"


def main(argv: Sequence[str] | None = None) -> str:
    """Command line: write the comparison tables for the chosen configurations as markdown."""
    parser = argparse.ArgumentParser(prog="python -m ibbench.tasks.qnn.binning_vs_exact", description=__doc__)
    parser.add_argument("--dataset", default="szt")
    parser.add_argument("--activation", default="tanh,relu")
    parser.add_argument("--bits", default="4,8")
    parser.add_argument("--epochs", type=int, default=1000)
    parser.add_argument("--n-snapshots", type=int, default=40)
    parser.add_argument("--seeds", type=int, default=3)
    parser.add_argument("--epoch", type=int, default=None, help="snapshot epoch (default: the last)")
    parser.add_argument("--min-accuracy", type=float, default=None,
                        help="leave out runs whose final training accuracy is lower (runs that never trained)")
    parser.add_argument("--out", type=Path, default=None, help="markdown file (default: print)")
    args = parser.parse_args(argv)
    parts = [f"# Binning of unquantized activations vs exact MI ({args.dataset}, {args.epochs} epochs, "
             f"{'last epoch' if args.epoch is None else f'epoch {args.epoch}'}, mean ± sample sd over the runs listed "
             f"per table, of {args.seeds} repetitions, bits)\n",
             f"Regenerate: `python -m ibbench.tasks.qnn.binning_vs_exact --dataset {args.dataset} "
             f"--activation {args.activation} --bits {args.bits} --epochs {args.epochs} --seeds {args.seeds}"
             + (f" --epoch {args.epoch}" if args.epoch is not None else "")
             + (f" --min-accuracy {args.min_accuracy}" if args.min_accuracy is not None else "") + "`\n",
             DIFFERENT_VARIABLES + "\n"]
    for act in args.activation.split(","):
        for bits in args.bits.split(","):
            config = TrainConfig(dataset=args.dataset, activation=act, bits=int(bits), epochs=args.epochs,
                                 n_snapshots=args.n_snapshots)
            kept = trained_seeds(config, range(args.seeds), args.min_accuracy)
            rows = binning_vs_exact(config, kept, epoch=args.epoch)
            parts.append(markdown_table(rows, f"{act}, {bits}-bit, runs {kept}"))
    return write_markdown("\n".join(parts), args.out)


if __name__ == "__main__":  # pragma: no cover
    main()
