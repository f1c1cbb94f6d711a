"""What the studies share: unit identities and keys, the runner's estimator seeding, progress reports."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Sequence
from dataclasses import asdict
from pathlib import Path
from typing import Any

from ibbench.tasks.qnn.training import TrainConfig

#: ``progress(description, done, total)``: called before the first unit (``done = 0``) and after every unit.
ProgressCallback = Callable[[str, int, int], None]

log = logging.getLogger("ibbench.studies")

#: The seeding rule of :func:`ibbench.execution.execute_cell`, recorded in every unit that runs an estimator.
SEEDING = "random_state=None -> derive_seed(seed, 1)"


def qnn_depends() -> dict[str, str]:
    """Versions of the qnn code that shape a trained run and its exact MI (as the ``qnn-*`` tasks report them)."""
    from ibbench.tasks.qnn.data import DATA_VERSION
    from ibbench.tasks.qnn.exact_mi import EXACT_MI_VERSION
    from ibbench.tasks.qnn.training import TRAINING_VERSION

    return {"qnn_training": TRAINING_VERSION, "qnn_exact_mi": EXACT_MI_VERSION, "qnn_data": DATA_VERSION}


def run_identity(config: TrainConfig, seed: int) -> dict[str, Any]:
    """Identity of the training run ``(config, seed)``: every config field, the seed and the qnn code versions."""
    fields = asdict(config)
    fields["widths"] = list(config.widths or ())
    return {"config": fields, "seed": int(seed), "depends": qnn_depends()}


def estimator_identity(name: str, params: dict[str, Any] | None) -> dict[str, Any]:
    """Identity of the registered estimator ``name`` with ``params`` (version, non-default params,
    nested parts; :mod:`ibbench.identity`) and the seeding rule."""
    from ibbench.identity import registered_estimator_identity

    return {**registered_estimator_identity(name, params), "seeding": SEEDING}


def seeded_estimator(name: str, params: dict[str, Any] | None, seed: int) -> Any:
    """The registered estimator ``name`` built with ``params`` (validated and cast as the runner casts
    them) and seeded as the runner seeds a cell with seed ``seed``: ``random_state`` None →
    ``derive_seed(seed, 1)``."""
    from ibbench.numerics.random import derive_seed
    from ibbench.registry import get_estimator_class

    cls = get_estimator_class(name)
    params = dict(params or {})
    if hasattr(cls, "check_params"):
        params = cls.check_params(params)
    est = cls(**params)
    current = est.get_params(deep=False)
    if "random_state" in current and current["random_state"] is None:
        est.set_params(random_state=derive_seed(int(seed), 1))
    return est


def unit_key(identity: dict[str, Any]) -> str:
    """The stored key of a study unit: sha256 of the canonical JSON of its identity."""
    from ibbench.identity import identity_key

    return identity_key(identity)


def compute_missing(
    store: str | Path | None,
    study: str,
    units: Sequence[tuple[dict[str, Any], Callable[[], Any]]],
    *,
    description: str,
    progress: ProgressCallback | None = None,
) -> dict[str, Any]:
    """Compute and store the units of ``units`` (``(identity, compute)`` pairs) that ``store`` lacks.

    Every unit is written as soon as it is finished, so an interrupted study resumes where it stopped.
    ``store=None`` computes every unit and stores nothing (benchmarks of the computation itself).
    Returns ``{key: value}`` of all units (stored before or computed now).
    """
    from ibbench.store import read_study_rows, write_study_row

    keyed = [(unit_key(identity), identity, compute) for identity, compute in units]
    values = read_study_rows(store, [key for key, _, _ in keyed]) if store else {}
    todo = [(key, identity, compute) for key, identity, compute in keyed if key not in values]
    if len(values):
        log.info("%s: %d of %d unit(s) already stored in %s: skipped", study, len(keyed) - len(todo), len(keyed), store)
    if progress is not None:
        progress(description, 0, len(todo))
    for done, (key, identity, compute) in enumerate(todo, start=1):
        value = compute()
        if store:
            write_study_row(store, key, study, identity, value)
        values[key] = value
        log.info("%s: unit %d/%d stored", study, done, len(todo))
        if progress is not None:
            progress(description, done, len(todo))
    return values


def read_units(store: str | Path | None, identities: Iterable[dict[str, Any]]) -> dict[str, Any]:
    """``{key: value}`` of the stored units among ``identities`` (reads only; ``{}`` without a store)."""
    from ibbench.store import read_study_rows

    if not store:
        return {}
    return read_study_rows(store, [unit_key(identity) for identity in identities])


def base_command(study: str, config: TrainConfig, seeds: Sequence[int], store: str | Path | None) -> list[str]:
    """``ibbench study <study>`` with the store and the training options of ``config`` (argument list)."""
    parts = ["ibbench", "study", study]
    if store:
        parts += ["--store", str(store)]
    parts += ["--dataset", config.dataset, "--activation", config.activation, "--bits", str(config.bits)]
    parts += ["--epochs", str(config.epochs), "--n-snapshots", str(config.n_snapshots)]
    return [*parts, "--seeds", str(max(seeds) + 1 if len(seeds) else 1)]


def grid_command(
    study: str,
    dataset: str,
    activations: Sequence[str],
    bits: Sequence[int],
    epochs: int,
    n_seeds: int,
    n_snapshots: int,
) -> list[str]:
    """``ibbench study <study>`` over a grid of activations and bit widths (argument list); the
    snapshot count only when it is not the default 40."""
    parts = ["ibbench", "study", study, "--dataset", dataset, "--activation", ",".join(activations)]
    parts += ["--bits", ",".join(str(int(b)) for b in bits), "--epochs", str(epochs), "--seeds", str(n_seeds)]
    return parts + (["--n-snapshots", str(n_snapshots)] if int(n_snapshots) != 40 else [])


def option_list(value: Any, cast: Callable[[Any], Any]) -> list[Any]:
    """``"tanh+relu"`` / ``"4,8"`` / a list / a scalar as a list of ``cast`` values."""
    if isinstance(value, (list, tuple)):
        return [cast(v) for v in value]
    text = str(value).replace(",", "+")
    return [cast(v.strip()) for v in text.split("+") if v.strip()]


def write_markdown(text: str, out: str | Path) -> Path:
    """Write ``text`` to the file ``out`` (creating its folder); returns the path."""
    path = Path(out)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path
