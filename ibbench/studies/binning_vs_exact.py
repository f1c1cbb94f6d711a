"""Study ``binning-vs-exact``: binning baselines against exact MI on quantized networks (Lorenzen et al.).

For a trained quantized network, the *unquantized* activations of every layer (the values just
before their quantization) are binned with 30 / 100 / 256 uniform bins over the layer's global
range (the registered ``binning`` estimator, ``per_dimension=False``, seeded as the runner seeds a
cell of that repetition) and compared with the exact MI of the quantized layer. The two are
different random variables (the quantized layer is a deterministic function of the unquantized
activations), so their difference is not the estimation error of binning on one variable
(:data:`DIFFERENT_VARIABLES`).

One unit per ``(TrainConfig, seed, snapshot epoch, n_bins)`` is stored (``study_rows``, see
:mod:`ibbench.studies`): per layer the exact and binned ``(I(X;T), I(T;Y))`` in nats, and the run's
final training accuracy. Compute with ``ibbench study binning-vs-exact``.
"""

from __future__ import annotations

import shlex
from collections.abc import Sequence
from functools import partial
from pathlib import Path
from typing import Any

import numpy as np

from ibbench.studies.common import (
    ProgressCallback,
    base_command,
    compute_missing,
    estimator_identity,
    grid_command,
    run_identity,
    seeded_estimator,
    unit_key,
)
from ibbench.tasks.qnn import training
from ibbench.tasks.qnn.training import TrainConfig, snapshot_epochs

STUDY = "binning-vs-exact"
#: Bumped whenever what a unit of this study computes changes (part of every unit's identity).
VERSION = "1"

#: Bin counts of the uniform-binning baselines (the paper's).
DEFAULT_N_BINS: tuple[int, ...] = (30, 100, 256)

#: Printed under the title of every comparison table: what "binned − exact" measures.
DIFFERENT_VARIABLES = (
    "*binned* bins the layer's **unquantized** activations (the paper's baseline); *exact* is the MI of the "
    "**quantized** layer, a deterministic function of those activations. These are different random variables, "
    "so *binned − exact* is not the estimation error of binning on one variable: fine bins can exceed the exact "
    "value because they keep distinctions that the quantizer discards."
)


def binning_params(n_bins: int) -> dict[str, Any]:
    """Parameters of the registered ``binning`` estimator for ``n_bins`` uniform bins over the global range."""
    return {"n_bins": int(n_bins), "per_dimension": False}


def resolve_epoch(config: TrainConfig, epoch: int | None) -> int:
    """The snapshot epoch compared: ``epoch`` (checked to be a snapshot epoch) or the last one."""
    epochs = snapshot_epochs(config.epochs, config.n_snapshots)
    if epoch is None:
        return int(epochs[-1])
    if int(epoch) not in epochs:
        raise ValueError(f"epoch {epoch} is not a snapshot epoch of this run; choose one of {epochs.tolist()}")
    return int(epoch)


def unit_identity(config: TrainConfig, seed: int, epoch: int, n_bins: int) -> dict[str, Any]:
    """Identity of the unit of run ``(config, seed)`` at snapshot ``epoch`` with ``n_bins`` bins."""
    return {
        "study": STUDY,
        "version": VERSION,
        "run": run_identity(config, seed),
        "epoch": int(epoch),
        "estimator": estimator_identity("binning", binning_params(n_bins)),
    }


def compute_unit(config: TrainConfig, seed: int, epoch: int, n_bins: int) -> dict[str, Any]:
    """Exact ``(I(X;T), I(T;Y))`` of each quantized layer and the binned values of its unquantized
    activations (nats)."""
    from ibbench.tasks.qnn.data import load_population
    from ibbench.tasks.qnn.exact_mi import layer_information

    x, y = load_population(config.dataset)
    labels = y
    x, y = x.astype(np.float64), y.astype(np.float64)[:, None]
    run = training.train(config, int(seed))
    s = run.snapshot_index(int(epoch))
    floats = run.float_activations(s)
    exact, binned = [], []
    for layer, a in enumerate(floats):
        exact.append([float(v) for v in layer_information(run.codes[layer][s], labels, config.bits)])
        xt = seeded_estimator("binning", binning_params(n_bins), seed).estimate(x, a)
        ty = seeded_estimator("binning", binning_params(n_bins), seed).estimate(a, y)
        binned.append([float(xt), float(ty)])
    return {"exact": exact, "binned": binned, "train_accuracy": float(run.train_accuracy[-1])}


def summarise(units: dict[tuple[int, int], dict[str, Any]], seeds: Sequence[int], n_bins: Sequence[int]) -> list[dict]:
    """Rows (bits) averaged over ``seeds`` from units ``{(seed, n_bins): unit}``.

    One row per (layer, n_bins): ``layer``, ``n_bins``, and for ``xt`` / ``ty`` the exact value,
    the binned value and the difference ``*_error`` = binned − exact (of two different variables,
    see :data:`DIFFERENT_VARIABLES`), averaged over ``seeds`` (with ``*_error_sd`` the sample sd
    over seeds, ``ddof=1``; NaN for a single seed).
    """
    from ibbench.tasks.qnn.exact_mi import LN2

    # (seed, layer, n_bins) -> (exact_xt, exact_ty, bin_xt, bin_ty), bits
    v = (
        np.stack(
            [
                np.stack(
                    [np.column_stack([units[(s, int(k))]["exact"], units[(s, int(k))]["binned"]]) for k in n_bins],
                    axis=1,
                )
                for s in seeds
            ]
        )
        / LN2
    )

    def sd(values: np.ndarray) -> float:  # sample sd: the seeds are a sample of training runs
        return float(np.std(values, ddof=1)) if len(values) > 1 else float("nan")

    rows = []
    for layer in range(v.shape[1]):
        for j, k in enumerate(n_bins):
            cell = v[:, layer, j]
            rows.append(
                {
                    "layer": layer + 1,
                    "n_bins": int(k),
                    "xt_exact": cell[:, 0].mean(),
                    "xt_binned": cell[:, 2].mean(),
                    "xt_error": (cell[:, 2] - cell[:, 0]).mean(),
                    "xt_error_sd": sd(cell[:, 2] - cell[:, 0]),
                    "ty_exact": cell[:, 1].mean(),
                    "ty_binned": cell[:, 3].mean(),
                    "ty_error": (cell[:, 3] - cell[:, 1]).mean(),
                    "ty_error_sd": sd(cell[:, 3] - cell[:, 1]),
                }
            )
    return rows


def _kept(
    units: dict[tuple[int, int], dict[str, Any]], seeds: list[int], n_bins: Sequence[int], min_accuracy: float | None
) -> tuple[list[int], list[int]]:
    if min_accuracy is None:
        return seeds, []
    kept = [s for s in seeds if units[(s, int(n_bins[0]))]["train_accuracy"] >= float(min_accuracy)]
    return kept, [s for s in seeds if s not in kept]


def run_binning_vs_exact(
    store: str | Path | None,
    config: TrainConfig,
    seeds: Sequence[int] = (0, 1, 2),
    n_bins: Sequence[int] = DEFAULT_N_BINS,
    epoch: int | None = None,
    *,
    min_accuracy: float | None = None,
    progress: ProgressCallback | None = None,
) -> tuple[list[dict], list[int], list[int]]:
    """Compute and store the missing units; returns ``(rows, kept seeds, dropped seeds)``.

    ``store=None`` computes without storing. ``min_accuracy`` leaves out repetitions whose final
    training accuracy is lower (runs that never trained). Rows: see :func:`summarise`.

    References
    ----------
    S. S. Lorenzen, C. Igel, M. Nielsen, "Information Bottleneck: Exact Analysis of (Quantized)
    Neural Networks", ICLR 2022, Sec. 2 and App. A (binning estimators disagree with the exact MI).
    """
    seeds, n_bins = [int(s) for s in seeds], [int(k) for k in n_bins]
    epoch = resolve_epoch(config, epoch)
    pairs = [(s, k) for s in seeds for k in n_bins]
    units = [(unit_identity(config, s, epoch, k), partial(compute_unit, config, s, epoch, k)) for s, k in pairs]
    values = compute_missing(
        store,
        STUDY,
        units,
        progress=progress,
        description=f"binning vs exact: {config.dataset} {config.activation} {config.bits}-bit",
    )
    by_pair = {pair: values[unit_key(identity)] for pair, (identity, _) in zip(pairs, units, strict=True)}
    return _result(config, by_pair, seeds, n_bins, min_accuracy)


def load_binning_vs_exact(
    store: str | Path | None,
    config: TrainConfig,
    seeds: Sequence[int] = (0, 1, 2),
    n_bins: Sequence[int] = DEFAULT_N_BINS,
    epoch: int | None = None,
    *,
    min_accuracy: float | None = None,
) -> tuple[list[dict], list[int], list[int]]:
    """The stored comparison (reads only); ``ValueError`` naming the command if units are missing."""
    from ibbench.studies.common import read_units

    seeds, n_bins = [int(s) for s in seeds], [int(k) for k in n_bins]
    epoch = resolve_epoch(config, epoch)
    command = study_command(config, seeds, n_bins, epoch, store=store, min_accuracy=min_accuracy)
    identities = {(s, k): unit_identity(config, s, epoch, k) for s in seeds for k in n_bins}
    stored = read_units(store, identities.values())
    missing = sorted({s for (s, k), ident in identities.items() if unit_key(ident) not in stored})
    if missing:
        raise ValueError(
            f"no stored binning-vs-exact results of {config.dataset} {config.activation} "
            f"{config.bits}-bit, repetition(s) {missing}, in {store}; compute them with: {command}"
        )
    return _result(
        config, {pair: stored[unit_key(ident)] for pair, ident in identities.items()}, seeds, n_bins, min_accuracy
    )


def _result(
    config: TrainConfig,
    units: dict[tuple[int, int], dict[str, Any]],
    seeds: list[int],
    n_bins: list[int],
    min_accuracy: float | None,
) -> tuple[list[dict], list[int], list[int]]:
    kept, dropped = _kept(units, seeds, n_bins, min_accuracy)
    if not kept:
        raise ValueError(
            f"no run of {config.dataset} {config.activation} {config.bits}-bit among repetitions "
            f"{seeds} reaches min_accuracy={min_accuracy}"
        )
    return summarise(units, kept, n_bins), kept, dropped


def study_command(
    config: TrainConfig,
    seeds: Sequence[int],
    n_bins: Sequence[int] = DEFAULT_N_BINS,
    epoch: int | None = None,
    *,
    store: str | Path | None = None,
    min_accuracy: float | None = None,
) -> str:
    """The ``ibbench study binning-vs-exact`` command that computes these results."""
    parts = base_command("binning-vs-exact", config, seeds, store)
    if tuple(int(k) for k in n_bins) != DEFAULT_N_BINS:
        parts += ["--n-bins", ",".join(str(int(k)) for k in n_bins)]
    if epoch is not None and epoch != resolve_epoch(config, None):
        parts += ["--epoch", str(epoch)]
    if min_accuracy is not None:
        parts += ["--min-accuracy", f"{min_accuracy:g}"]
    return shlex.join(parts)


def markdown_table(rows: list[dict], title: str = "") -> str:
    """The rows of :func:`summarise` as a markdown table (bits)."""
    lines = [
        f"**{title}**\n" if title else "",
        (
            "| layer | bins | I(X;T) exact | I(X;T) binned | binned − exact | I(T;Y) exact | I(T;Y) binned "
            "| binned − exact |"
        ),
        "|---|---|---|---|---|---|---|---|",
    ]
    for r in rows:
        lines.append(
            f"| {r['layer']} | {r['n_bins']} | {r['xt_exact']:.3f} | {r['xt_binned']:.3f} | "
            f"{r['xt_error']:+.3f} ± {r['xt_error_sd']:.3f} | {r['ty_exact']:.3f} | {r['ty_binned']:.3f} | "
            f"{r['ty_error']:+.3f} ± {r['ty_error_sd']:.3f} |"
        )
    return "\n".join(line for line in lines if line) + "\n"


def comparison_markdown(
    tables: Sequence[tuple[TrainConfig, list[dict], list[int]]], *, n_seeds: int, epoch: int | None, regenerate: str
) -> str:
    """The comparison tables ``(config, rows, kept seeds)`` as one markdown page."""
    first = tables[0][0]
    parts = [
        f"# Binning of unquantized activations vs exact MI ({first.dataset}, {first.epochs} epochs, "
        f"{'last epoch' if epoch is None else f'epoch {epoch}'}, mean ± sample sd over the runs listed "
        f"per table, of {n_seeds} repetitions, bits)\n",
        f"Regenerate: `{regenerate}`\n",
        DIFFERENT_VARIABLES + "\n",
    ]
    for config, rows, kept in tables:
        parts.append(markdown_table(rows, f"{config.activation}, {config.bits}-bit, runs {kept}"))
    return "\n".join(parts)


def run_study(
    store: str | Path | None,
    *,
    dataset: str = "szt",
    activations: Sequence[str] = ("tanh", "relu"),
    bits: Sequence[int] = (4, 8),
    epochs: int = 1000,
    n_snapshots: int = 40,
    n_seeds: int = 3,
    n_bins: Sequence[int] = DEFAULT_N_BINS,
    epoch: int | None = None,
    min_accuracy: float | None = None,
    progress: ProgressCallback | None = None,
) -> str:
    """``ibbench study binning-vs-exact``: compute and store every (activation, bits); returns the
    comparison tables as markdown (:func:`comparison_markdown`)."""
    tables = []
    for act in activations:
        for b in bits:
            config = TrainConfig(
                dataset=dataset, activation=act, bits=int(b), epochs=int(epochs), n_snapshots=int(n_snapshots)
            )
            rows, kept, _ = run_binning_vs_exact(
                store, config, range(int(n_seeds)), n_bins, epoch, min_accuracy=min_accuracy, progress=progress
            )
            tables.append((config, rows, kept))
    parts = grid_command("binning-vs-exact", dataset, activations, bits, epochs, n_seeds, n_snapshots)
    if tuple(int(k) for k in n_bins) != DEFAULT_N_BINS:
        parts += ["--n-bins", ",".join(str(int(k)) for k in n_bins)]
    if epoch is not None:
        parts += ["--epoch", str(epoch)]
    if min_accuracy is not None:
        parts += ["--min-accuracy", f"{min_accuracy:g}"]
    return comparison_markdown(tables, n_seeds=int(n_seeds), epoch=epoch, regenerate=shlex.join(parts))
