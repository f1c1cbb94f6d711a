"""Study ``info-planes``: exact information planes of quantized networks, and an estimator's plane of the same runs.

The exact plane of a training run is ``(I(X;T), I(T;Y))`` per snapshot and layer
(:func:`ibbench.tasks.qnn.exact_mi.information_plane`); an estimated plane runs a registered
estimator on the same snapshots, with T the dequantized float activations (what the ``qnn-*`` tasks
give an estimator: ``(X, T)`` and ``(T, Y[:, None])``), seeded as the runner seeds a cell of that
repetition. Units stored (``study_rows``, see :mod:`ibbench.studies`):

* ``exact`` — one per ``(TrainConfig, seed)``: snapshot epochs, the exact plane (nats) and the final
  train/test accuracy (trains the network on first use; the run is cached in ``$IBBENCH_CACHE/qnn``);
* ``estimated`` — one per ``(TrainConfig, seed, snapshot epoch, estimator)``: the plane row (nats).

:func:`run_info_planes` computes what is missing (with progress); :func:`load_info_planes` only
reads, and raises a ``ValueError`` naming the ``ibbench study info-planes`` command when results are
missing. :func:`phase_table` condenses planes into the numbers behind the qualitative findings of
Lorenzen et al. (fitting and compression phases per layer).
"""

from __future__ import annotations

import json
import shlex
from collections.abc import Sequence
from dataclasses import dataclass, field
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
    read_units,
    run_identity,
    seeded_estimator,
    unit_key,
)
from ibbench.tasks.qnn import training
from ibbench.tasks.qnn.training import TrainConfig, snapshot_epochs

STUDY = "info-planes"
#: Bumped whenever what a unit of this study computes changes (part of every unit's identity).
VERSION = "1"


@dataclass
class InfoPlanes:
    """The stored planes of one configuration.

    Attributes
    ----------
    config : TrainConfig
    seeds : list of int
        The repetitions kept (final training accuracy at least ``min_accuracy``).
    dropped : list of int
        The repetitions left out (runs that never trained).
    epochs : ndarray of shape (s,)
        Snapshot epochs.
    exact : ndarray of shape (len(seeds), s, n_layers, 2)
        Exact planes in nats; ``[..., 0] = I(X;T)``, ``[..., 1] = I(T;Y)``.
    estimated : ndarray of the same shape, or None
        The estimator's planes in nats (NaN at snapshots without an estimate).
    estimator : str or None
    train_accuracy : dict
        Final training accuracy of every requested repetition.
    """

    config: TrainConfig
    seeds: list[int]
    dropped: list[int]
    epochs: np.ndarray
    exact: np.ndarray
    estimated: np.ndarray | None = None
    estimator: str | None = None
    train_accuracy: dict[int, float] = field(default_factory=dict)

    @property
    def label(self) -> str:
        """``"szt tanh 4-bit"``."""
        return config_label(self.config)


def config_label(config: TrainConfig) -> str:
    """Short description of a configuration: ``"szt tanh 4-bit, 1000 epochs"``."""
    return f"{config.dataset} {config.activation} {config.bits}-bit, {config.epochs} epochs"


def default_activations(dataset: str) -> list[str]:
    """The activations studied by default: tanh and ReLU for SZT, ReLU for digits."""
    return ["relu"] if dataset == "digits" else ["tanh", "relu"]


def exact_identity(config: TrainConfig, seed: int) -> dict[str, Any]:
    """Identity of the exact-plane unit of run ``(config, seed)``."""
    return {"study": STUDY, "version": VERSION, "part": "exact", "run": run_identity(config, seed)}


def estimated_identity(
    config: TrainConfig, seed: int, epoch: int, estimator: str, estimator_params: dict[str, Any] | None
) -> dict[str, Any]:
    """Identity of the estimated-plane unit of run ``(config, seed)`` at snapshot ``epoch``."""
    return {
        "study": STUDY,
        "version": VERSION,
        "part": "estimated",
        "run": run_identity(config, seed),
        "epoch": int(epoch),
        "estimator": estimator_identity(estimator, estimator_params),
    }


def compute_exact(config: TrainConfig, seed: int) -> dict[str, Any]:
    """The exact-plane unit: trains (or loads) the run and counts its exact plane."""
    from ibbench.tasks.qnn.exact_mi import information_plane

    run = training.train(config, int(seed))
    return {
        "epochs": [int(e) for e in run.epochs],
        "plane": information_plane(run).tolist(),
        "train_accuracy": float(run.train_accuracy[-1]),
        "test_accuracy": float(run.test_accuracy[-1]),
    }


def compute_estimated(
    config: TrainConfig, seed: int, epoch: int, estimator: str, estimator_params: dict[str, Any] | None
) -> dict[str, Any]:
    """The estimated-plane unit: ``estimator`` on ``(X, T)`` and ``(T, Y)`` of every layer at snapshot ``epoch``.

    Each estimate uses a fresh estimator seeded as the runner seeds the cell of repetition ``seed``.
    """
    from ibbench.tasks.qnn.data import load_population

    x, y = load_population(config.dataset)
    x, y = x.astype(np.float64), y.astype(np.float64)[:, None]
    run = training.train(config, int(seed))
    s = run.snapshot_index(int(epoch))
    plane = []
    for layer in range(run.n_layers):
        t = run.activations(layer, s)
        xt = seeded_estimator(estimator, estimator_params, seed).estimate(x, t)
        ty = seeded_estimator(estimator, estimator_params, seed).estimate(t, y)
        plane.append([float(xt), float(ty)])
    return {"plane": plane}


def chosen_epochs(config: TrainConfig, every: int = 1) -> list[int]:
    """Snapshot epochs estimated with ``every``: every ``every``-th snapshot, and always the last."""
    epochs = snapshot_epochs(config.epochs, config.n_snapshots)
    chosen = set(range(0, len(epochs), max(int(every), 1))) | {len(epochs) - 1}
    return [int(epochs[i]) for i in sorted(chosen)]


def study_command(
    config: TrainConfig,
    seeds: Sequence[int],
    *,
    store: str | Path | None = None,
    estimator: str | None = None,
    estimator_params: dict[str, Any] | None = None,
    min_accuracy: float | None = None,
) -> str:
    """The ``ibbench study info-planes`` command that computes the planes of ``config`` and ``seeds``."""
    parts = base_command("info-planes", config, seeds, store)
    if min_accuracy is not None:
        parts += ["--min-accuracy", f"{min_accuracy:g}"]
    if estimator:
        parts += ["--estimator", estimator]
        if estimator_params:
            parts += ["--estimator-params", json.dumps(estimator_params, sort_keys=True)]
    return shlex.join(parts)


def _kept(
    config: TrainConfig, seeds: list[int], exact: dict[int, dict[str, Any]], min_accuracy: float | None
) -> tuple[list[int], list[int]]:
    if min_accuracy is None:
        return seeds, []
    kept = [s for s in seeds if exact[s]["train_accuracy"] >= float(min_accuracy)]
    return kept, [s for s in seeds if s not in kept]


def _assemble(
    config: TrainConfig,
    seeds: list[int],
    exact: dict[int, dict[str, Any]],
    estimated: dict[tuple[int, int], dict[str, Any]] | None,
    estimator: str | None,
    min_accuracy: float | None,
) -> InfoPlanes:
    kept, dropped = _kept(config, seeds, exact, min_accuracy)
    if not kept:
        raise ValueError(
            f"no run of {config_label(config)} among repetitions {seeds} reaches min_accuracy="
            f"{min_accuracy} (final training accuracies: "
            f"{ {s: round(exact[s]['train_accuracy'], 3) for s in seeds} })"
        )
    epochs = np.asarray(exact[kept[0]]["epochs"], dtype=np.int64)
    planes = np.stack([np.asarray(exact[s]["plane"], dtype=float) for s in kept])
    est = None
    if estimator is not None:
        est = np.full(planes.shape, np.nan)
        for (seed, epoch), value in (estimated or {}).items():
            if seed in kept and epoch in epochs:
                est[kept.index(seed), int(np.flatnonzero(epochs == epoch)[0])] = np.asarray(value["plane"], float)
    return InfoPlanes(
        config, kept, dropped, epochs, planes, est, estimator, {s: float(exact[s]["train_accuracy"]) for s in seeds}
    )


def run_info_planes(
    store: str | Path | None,
    config: TrainConfig,
    seeds: Sequence[int],
    *,
    estimator: str | None = None,
    estimator_params: dict[str, Any] | None = None,
    every: int = 1,
    min_accuracy: float | None = None,
    progress: ProgressCallback | None = None,
) -> InfoPlanes:
    """Compute and store the missing planes of ``config`` for repetitions ``seeds``; returns all of them.

    Parameters
    ----------
    store : results store (``study_rows`` table); None computes without storing
    config : TrainConfig
    seeds : training repetitions
    estimator, estimator_params : optional registered estimator whose plane is computed too
    every : estimate every ``every``-th snapshot (and always the last)
    min_accuracy : repetitions whose final training accuracy is lower are left out (and not estimated)
    progress : ``progress(description, done, total)`` per unit
    """
    seeds = [int(s) for s in seeds]
    label = config_label(config)
    units = [(exact_identity(config, s), partial(compute_exact, config, s)) for s in seeds]
    values = compute_missing(store, STUDY, units, description=f"train + exact planes: {label}", progress=progress)
    exact = {s: values[unit_key(identity)] for s, (identity, _) in zip(seeds, units, strict=True)}
    estimated: dict[tuple[int, int], dict[str, Any]] = {}
    if estimator is not None:
        kept, _ = _kept(config, seeds, exact, min_accuracy)
        pairs = [(s, e) for s in kept for e in chosen_epochs(config, every)]
        units = [
            (
                estimated_identity(config, s, e, estimator, estimator_params),
                partial(compute_estimated, config, s, e, estimator, estimator_params),
            )
            for s, e in pairs
        ]
        values = compute_missing(store, STUDY, units, description=f"{estimator} planes: {label}", progress=progress)
        estimated = {pair: values[unit_key(identity)] for pair, (identity, _) in zip(pairs, units, strict=True)}
    return _assemble(config, seeds, exact, estimated, estimator, min_accuracy)


def load_info_planes(
    store: str | Path | None,
    config: TrainConfig,
    seeds: Sequence[int],
    *,
    estimator: str | None = None,
    estimator_params: dict[str, Any] | None = None,
    min_accuracy: float | None = None,
) -> InfoPlanes:
    """The stored planes of ``config`` for repetitions ``seeds`` (reads only, never trains or estimates).

    The estimator's plane comes from this study's units and, where they have none, from the store's
    ``qnn-*`` benchmark cells of the same estimator (``ibbench run``). Raises ``ValueError`` naming
    the ``ibbench study info-planes`` command that computes what is missing.
    """
    seeds = [int(s) for s in seeds]
    command = study_command(
        config, seeds, store=store, estimator=estimator, estimator_params=estimator_params, min_accuracy=min_accuracy
    )
    if not store:
        raise ValueError(
            f"information planes are read from a results store; give --store and compute them first with: {command}"
        )
    stored = read_units(store, [exact_identity(config, s) for s in seeds])
    missing = [s for s in seeds if unit_key(exact_identity(config, s)) not in stored]
    if missing:
        raise ValueError(
            f"no stored information planes of {config_label(config)}, repetition(s) {missing}, in "
            f"{store}; compute them with: {command}"
        )
    exact = {s: stored[unit_key(exact_identity(config, s))] for s in seeds}
    estimated: dict[tuple[int, int], dict[str, Any]] = {}
    if estimator is not None:
        kept, _ = _kept(config, seeds, exact, min_accuracy)
        all_epochs = [int(e) for e in exact[seeds[0]]["epochs"]]
        wanted = {
            (s, e): estimated_identity(config, s, e, estimator, estimator_params) for s in kept for e in all_epochs
        }
        stored = read_units(store, wanted.values())
        estimated = {pair: stored[unit_key(ident)] for pair, ident in wanted.items() if unit_key(ident) in stored}
    planes = _assemble(config, seeds, exact, estimated, estimator, min_accuracy)
    if planes.estimated is not None:
        cells = cell_plane(
            store, config, estimator or "", estimator_params, planes.epochs, planes.exact.shape[2], planes.seeds
        )
        if cells is not None:
            planes.estimated = np.where(np.isnan(planes.estimated), cells, planes.estimated)
        empty = [s for i, s in enumerate(planes.seeds) if np.isnan(planes.estimated[i]).all()]
        if empty:
            raise ValueError(
                f"no stored {estimator} planes of {config_label(config)}, repetition(s) {empty}, in "
                f"{store}; compute them with: {command}"
            )
    return planes


def cell_plane(
    store: str | Path,
    config: TrainConfig,
    estimator: str,
    estimator_params: dict[str, Any] | None,
    run_epochs: np.ndarray,
    n_layers: int,
    seeds: list[int],
) -> np.ndarray | None:
    """The estimator's plane from the store's ``qnn-*`` benchmark cells (NaN where a cell is missing), or None."""
    if not store or not Path(store).exists():
        return None
    from ibbench.store import load_results

    df = load_results(store)
    if not len(df) or "task.layer" not in df:
        return None
    df = df[
        (df["estimator"] == estimator)
        & (df["status"] == "ok")
        & df["task"].isin([f"qnn-{config.dataset}-xt", f"qnn-{config.dataset}-ty"])
    ]
    for key, value in (
        ("activation", config.activation),
        ("bits", config.bits),
        ("epochs", config.epochs),
        ("n_snapshots", config.n_snapshots),
    ):
        df = df[df[f"task.{key}"] == value] if f"task.{key}" in df else df.iloc[:0]
    for key, value in (estimator_params or {}).items():
        column = f"est.{key}"
        df = df[df[column] == value] if column in df else df.iloc[:0]
    if not len(df):
        return None
    plane = np.full((len(seeds), len(run_epochs), n_layers, 2), np.nan)
    for _, row in df.iterrows():
        stored_epoch = row.get("task.epoch")
        epoch = run_epochs[-1] if stored_epoch is None or np.isnan(stored_epoch) else int(stored_epoch)
        if int(row["seed"]) not in seeds or epoch not in run_epochs:
            continue
        side = 0 if row["task"].endswith("-xt") else 1
        plane[
            seeds.index(int(row["seed"])), int(np.flatnonzero(run_epochs == epoch)[0]), int(row["task.layer"]) - 1, side
        ] = row["estimate"]
    return plane


def phase_table(epochs: np.ndarray, planes: np.ndarray, *, title: str = "") -> str:
    """Markdown table (bits, mean ± sd over repetitions) of the fitting and compression per layer.

    Columns: ``I(T;Y)`` at epoch 0 and at the end (fitting = its increase); ``I(X;T)`` at epoch 0,
    its maximum over epochs (with the epoch of the mean curve's maximum) and at the end
    (compression = maximum − end). The sd is the sample sd over repetitions (``ddof=1``; NaN for a
    single repetition).
    """
    from ibbench.tasks.qnn.exact_mi import LN2

    bits = planes / LN2
    ixt, ity = bits[..., 0], bits[..., 1]
    rows = []

    def fmt(values: np.ndarray) -> str:
        sd = np.std(values, ddof=1) if len(values) > 1 else np.nan  # sample sd: the runs are a sample
        return f"{np.mean(values):.3f} ± {sd:.3f}"

    for layer in range(bits.shape[2]):
        peak = ixt[:, :, layer].max(axis=1)
        rows.append(
            "| {} | {} | {} | {} | {} | {} | {} | {} |".format(
                layer + 1,
                fmt(ity[:, 0, layer]),
                fmt(ity[:, -1, layer]),
                fmt(ity[:, -1, layer] - ity[:, 0, layer]),
                fmt(ixt[:, 0, layer]),
                f"{fmt(peak)} (ep. {int(epochs[np.argmax(ixt[:, :, layer].mean(axis=0))])})",
                fmt(ixt[:, -1, layer]),
                fmt(peak - ixt[:, -1, layer]),
            )
        )
    head = (
        "| layer | I(T;Y) start | I(T;Y) end | fitting | I(X;T) start | I(X;T) max | I(X;T) end | compression |\n"
        "|---|---|---|---|---|---|---|---|"
    )
    return (f"**{title}**\n\n" if title else "") + head + "\n" + "\n".join(rows) + "\n"


def phases_markdown(results: Sequence[InfoPlanes], *, n_seeds: int, regenerate: str) -> str:
    """The phase tables of ``results`` as one markdown page (title, the command that regenerates it, one table each)."""
    first = results[0].config
    parts = [
        f"# Exact information-plane phases ({first.dataset}, {first.epochs} epochs, mean ± sample sd over "
        f"the runs listed per table, of {n_seeds} repetitions, bits)\n",
        f"Regenerate: `{regenerate}`\n",
    ]
    for r in results:
        parts.append(
            phase_table(
                r.epochs,
                r.exact,
                title=f"{r.config.activation}, {r.config.bits}-bit, runs {r.seeds}"
                + (f" (left out, never trained: {r.dropped})" if r.dropped else ""),
            )
        )
    return "\n".join(parts)


def run_study(
    store: str | Path | None,
    *,
    dataset: str = "szt",
    activations: Sequence[str] | None = None,
    bits: Sequence[int] = (4, 8),
    epochs: int = 1000,
    n_snapshots: int = 40,
    n_seeds: int = 3,
    min_accuracy: float | None = None,
    estimator: str | None = None,
    estimator_params: dict[str, Any] | None = None,
    every: int = 1,
    progress: ProgressCallback | None = None,
) -> str:
    """``ibbench study info-planes``: compute and store the planes of every (activation, bits); returns
    the phase tables as markdown (:func:`phases_markdown`)."""
    activations = list(activations or default_activations(dataset))
    results = []
    for act in activations:
        for b in bits:
            config = TrainConfig(
                dataset=dataset, activation=act, bits=int(b), epochs=int(epochs), n_snapshots=int(n_snapshots)
            )
            results.append(
                run_info_planes(
                    store,
                    config,
                    range(int(n_seeds)),
                    estimator=estimator,
                    estimator_params=estimator_params,
                    every=every,
                    min_accuracy=min_accuracy,
                    progress=progress,
                )
            )
    parts = grid_command("info-planes", dataset, activations, bits, epochs, n_seeds, n_snapshots)
    if min_accuracy is not None:
        parts += ["--min-accuracy", f"{min_accuracy:g}"]
    return phases_markdown(results, n_seeds=int(n_seeds), regenerate=shlex.join(parts))
