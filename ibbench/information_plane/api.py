"""``ibbench.infoplane``: the information plane of your own torch model, measured as the benchmark recommends.

See :func:`infoplane`. The pieces: :mod:`.capture` (forward hooks, capture epochs, checkpoints),
:mod:`.choose` (``estimator="auto"``), :mod:`.measure` (exact counts, estimates with uncertainty,
remedies, ceilings, the injective-layer warning), :mod:`.plot` and :mod:`.store`.
"""

from __future__ import annotations

import math
import numbers
import time
import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from ibbench.information_plane.capture import TrainFn, capture_epochs, check_layers, snapshots
from ibbench.information_plane.choose import Choice, choose, is_codes
from ibbench.information_plane.measure import (
    ceiling_of,
    entropy,
    estimate,
    exact_information,
    injective,
    injective_warning,
    point_seeds,
)
from ibbench.information_plane.measure import quantize as quantize_layer

#: Bumped whenever what an analysis computes changes (part of the stored rows' identity).
VERSION = "1"


class InfoPlaneWarning(UserWarning):
    """What an information plane measures is not what it seems (injective layers, ceilings)."""


@dataclass
class InfoPlaneResult:
    """The measured information plane.

    Attributes
    ----------
    frame : pandas.DataFrame
        Tidy rows, one per (layer, epoch, side): ``layer``, ``layer_index``, ``epoch``, ``side``
        (``"xt"`` = I(X;T), ``"ty"`` = I(T;Y)), ``mi`` (nats), ``stderr``, ``ci_low``, ``ci_high``
        (95%), ``uncertainty`` (``exact``, ``estimator``, ``subsampling``, ``jackknife``, ``repeats`` or
        ``none``), ``estimator``,
        ``params``, ``exact``, ``seconds`` (per fit), ``ceiling`` (nats, NaN if none is known),
        ``near_ceiling``, ``injective`` (T injective on the inputs; None where not checked),
        ``quantize``, ``noise``, ``n``, ``dim_t``, ``reconstruction_error_x/y`` (compression wrappers).
    choices : list of Choice
        The estimator of every (layer, side), with the reason.
    warnings : list of str
        Injective layers (``I(X;T)`` then measures estimator bias) and estimates near a ceiling.
    layers : list of str
    epochs : ndarray
    input_entropy : float
        ``H(X)`` in nats over the inputs (``log N`` for ``N`` distinct rows).
    injective_layers : list of str
        Layers injective on the inputs at some epoch (continuous T, no remedy).
    seconds : dict
        ``{"capture": ..., "measure": ..., "total": ...}`` wall-clock seconds (capture includes training).
    analysis_id : str
        sha256 identifying the analysis: the model's class and initial parameters, the data, the options
        (an estimator object by its cell identity) and the activations captured at every epoch (so
        different training gives a different id); with ``store`` the rows' identity.
    store_keys : list of str
        Keys of the rows written to the results store (empty without ``store``).
    """

    frame: Any
    choices: list[Choice]
    warnings: list[str]
    layers: list[str]
    epochs: np.ndarray
    input_entropy: float
    injective_layers: list[str] = field(default_factory=list)
    seconds: dict[str, float] = field(default_factory=dict)
    analysis_id: str = ""
    store_keys: list[str] = field(default_factory=list)

    def plane(self) -> np.ndarray:
        """The plane as an array of shape ``(n_epochs, n_layers, 2)`` in nats (``[..., 0] = I(X;T)``)."""
        out = np.full((len(self.epochs), len(self.layers), 2), np.nan)
        epoch_index = {int(e): i for i, e in enumerate(self.epochs)}
        for row in self.frame.itertuples():
            out[epoch_index[int(row.epoch)], int(row.layer_index), 0 if row.side == "xt" else 1] = row.mi
        return out

    def plot(self, path: str | Path, *, title: str | None = None) -> Path:
        """Draw the plane to a PNG (see :mod:`ibbench.information_plane.plot`); returns the path."""
        from ibbench.information_plane.plot import plot_result

        return plot_result(self, path, title=title)

    def summary(self) -> str:
        """The choices, the warnings and the time, as text."""
        lines = [f"choice: {c}" for c in self.choices]
        lines += [f"warning: {w}" for w in self.warnings]
        lines.append(
            "time: {total:.1f} s ({capture:.1f} s capture and training, {measure:.1f} s measuring)".format(
                **self.seconds
            )
        )
        return "\n".join(lines)


#: Values of ``uncertainty``: the estimator's own ``stderr_`` / ``ci_`` (``auto``: else subsampling), or a
#: resampling interval.
UNCERTAINTY = ("auto", "estimator", "subsampling", "jackknife")


def _check_options(quantize: Any, noise: Any, repeats: Any, time_budget: Any, uncertainty: Any) -> None:
    if uncertainty not in UNCERTAINTY:
        raise ValueError(f"uncertainty must be one of {UNCERTAINTY}, got {uncertainty!r}")
    if uncertainty in ("subsampling", "jackknife") and repeats != 1:
        raise ValueError(f"uncertainty={uncertainty!r} and repeats={repeats!r}: choose one source of uncertainty")
    if quantize is not None and noise is not None:
        raise ValueError("give quantize or noise, not both (they are alternative remedies)")
    if quantize is not None and (
        isinstance(quantize, bool) or not isinstance(quantize, numbers.Integral) or not 1 <= int(quantize) <= 16
    ):
        raise ValueError(f"quantize must be a number of bits in 1..16, got {quantize!r}")
    if noise is not None and (
        isinstance(noise, bool) or not isinstance(noise, numbers.Real) or not 0 < float(noise) < math.inf
    ):
        raise ValueError(f"noise must be a standard deviation > 0, got {noise!r}")
    if isinstance(repeats, bool) or not isinstance(repeats, numbers.Integral) or repeats < 1:
        raise ValueError(f"repeats must be an int >= 1, got {repeats!r}")
    if time_budget is not None and (
        isinstance(time_budget, bool) or not isinstance(time_budget, numbers.Real) or not float(time_budget) > 0
    ):
        raise ValueError(f"time_budget must be None or seconds per fit > 0, got {time_budget!r}")


def _as_numpy(name: str, values: Any) -> np.ndarray:
    if hasattr(values, "detach"):
        values = values.detach().cpu().numpy()
    arr = np.asarray(values)
    if arr.dtype.kind not in "iufb" or arr.ndim == 0:
        raise ValueError(
            f"{name} must be a numeric array with one row per input, got dtype {arr.dtype}, shape {arr.shape}"
        )
    if arr.dtype.kind == "f" and not np.isfinite(arr).all():
        raise ValueError(f"{name} contains NaN or inf")
    return arr


def _base_seed(random_state: Any) -> int:
    from ibbench.numerics.random import as_generator

    if isinstance(random_state, numbers.Integral) and not isinstance(random_state, bool):
        return int(random_state)
    return int(as_generator(random_state).integers(0, 2**31 - 1))


def _state_digest(checkpoint: Any) -> str:
    """sha256 of a state_dict's tensors, or the path of a saved one."""
    import hashlib

    if not isinstance(checkpoint, Mapping):
        return str(checkpoint)
    h = hashlib.sha256()
    for name, tensor in checkpoint.items():
        h.update(str(name).encode())
        h.update(np.ascontiguousarray(tensor.detach().cpu().numpy()).tobytes())
    return h.hexdigest()


def _update_arrays(h: Any, arrays: Sequence[tuple[str, np.ndarray]]) -> None:
    """Feed named arrays (name, shape, dtype and bytes) to the hash ``h``."""
    for name, arr in arrays:
        h.update(str((name, arr.shape, arr.dtype.str)).encode())
        h.update(np.ascontiguousarray(arr).tobytes())


def _fingerprint(model: Any, X: np.ndarray, Y: np.ndarray, options: dict[str, Any]) -> Any:
    """sha256 (a hash object, to be fed the captured activations) of the model's class and initial
    parameters, the data and the options."""
    import hashlib
    import json

    h = hashlib.sha256()
    h.update(type(model).__qualname__.encode())
    h.update(_state_digest(model.state_dict()).encode())
    _update_arrays(h, [("X", X), ("Y", Y)])
    h.update(json.dumps(options, sort_keys=True, default=str).encode())
    return h


def _estimator_key(estimator: Any) -> Any:
    """What identifies ``estimator`` in the analysis id: a name as given; an estimator object's cell
    identity (:func:`ibbench.identity.estimator_identity`: name, version, changed params, nested parts)
    with the hash of its source for a class that is not registered or registered at run time."""
    from ibbench.base import MIEstimator

    if not isinstance(estimator, MIEstimator):
        return estimator if isinstance(estimator, str) else repr(estimator)
    from ibbench.identity import code_identity, estimator_identity
    from ibbench.specs import class_path, registered_name

    cls = type(estimator)
    name = registered_name("estimator", cls)
    try:
        ident = estimator_identity(name or class_path(cls), estimator)
    except TypeError:  # params that are not JSON values: allowed here (the object is cloned, not rebuilt)
        ident = {"name": name or class_path(cls), "version": str(getattr(cls, "version", "0")), "repr": repr(estimator)}
    if name is None and "code" not in ident:
        ident["code"] = code_identity(cls)
    return ident


def infoplane(
    model: Any,
    X: Any,
    Y: Any,
    layers: str | Sequence[str] | None = None,
    *,
    estimator: Any = "auto",
    estimator_params: dict[str, Any] | None = None,
    epochs: int | Sequence[int] | None = None,
    n_points: int = 30,
    train_fn: TrainFn | None = None,
    checkpoints: Mapping[int, Any] | None = None,
    quantize: int | None = None,
    noise: float | None = None,
    repeats: int = 1,
    uncertainty: str = "auto",
    time_budget: float | None = 1.0,
    random_state: Any = None,
    store: str | Path | None = None,
    batch_size: int | None = None,
    verbose: bool = True,
) -> InfoPlaneResult:
    """Information plane ``(I(X;T), I(T;Y))`` of chosen layers of a torch model, per capture epoch.

    Parameters
    ----------
    model : torch.nn.Module
        Called as ``model(X_tensor)``; ``X`` is converted to the dtype of its first floating parameter.
    X : array-like of shape (N, ...)
        All inputs (X is taken uniform over them); images may keep their shape (flattened for the
        estimators).
    Y : array-like of shape (N,) or (N, d)
        Labels (integers: class labels) or targets, row ``i`` paired with input ``i``.
    layers : str or sequence of str
        Names of modules (``model.named_modules()``) whose outputs are the layers T (flattened).
    estimator : "auto", str or MIEstimator, default "auto"
        ``"auto"``: exact MI for integer codes (quantized layers, ``quantize``), else the estimator
        the recommendation table ranks best (:mod:`ibbench.information_plane.choose`); or a registered name
        (with ``estimator_params``) or an estimator object (cloned for every fit).
    epochs : int or sequence of int, optional
        An int ``E``: train ``E`` epochs and capture at ``n_points`` log-spaced epochs (0 and ``E``
        included); a sequence: the capture epochs (strictly increasing). None: capture the model as
        it is (or each of ``checkpoints``).
    n_points : int, default 30
        Capture epochs of an int ``epochs``.
    train_fn : callable, optional
        ``train_fn(model, epoch)`` trains the model in place for one epoch (epoch = 1, 2, …).
    checkpoints : mapping, optional
        ``{epoch: state_dict or path of a saved state_dict}`` instead of ``train_fn``.
    quantize : int, optional
        Remedy: bin every layer into ``2**quantize`` levels over its range and count the MI exactly.
    noise : float, optional
        Remedy: measure ``T + N(0, noise²)`` (a seeded draw per layer and epoch), so that ``I(X;T)``
        is finite and defined by the noise scale.
    repeats : int, default 1
        Fits per point with derived seeds (and fresh noise); with ``repeats > 1`` the uncertainty is
        the standard error of their mean, otherwise the estimator's ``stderr_`` / ``ci_``.
    uncertainty : {"auto", "estimator", "subsampling", "jackknife"}, default "auto"
        Where an estimate's interval comes from (with ``repeats > 1``: the repeats). ``"auto"``: the
        estimator's ``stderr_`` / ``ci_``, or when it has none a subsampling interval from 5
        half-samples (about 2.5 more fits); ``"estimator"``: its own only (NaN when it has none);
        ``"subsampling"`` / ``"jackknife"``: :func:`ibbench.uncertainty.resample_interval` with its
        defaults (about 5 more fits). Exact counts have none (``stderr = 0``).
    time_budget : float or None, default 1.0
        Seconds per fit the ``"auto"`` recommendation must fit in (None = no limit).
    random_state : None, int or numpy Generator
        Seeds every estimator fit and noise draw (derived per layer, epoch, side and repeat). Seed
        the training yourself in ``train_fn``.
    store : str or Path, optional
        A results store (SQLite) to write the rows to, marked as analysis rows
        (:mod:`ibbench.information_plane.store`).
    batch_size : int, optional
        Rows per forward pass when capturing (None = all at once).
    verbose : bool, default True
        Print every choice when it is made.

    Returns
    -------
    InfoPlaneResult
        ``.frame`` (tidy DataFrame), ``.plot(path)``, ``.choices``, ``.warnings``.

    Raises
    ------
    ValueError
        X and Y of different lengths, an unknown layer name, epochs not increasing, conflicting or
        invalid options, a layer that is not called in the forward pass.

    Warns
    -----
    InfoPlaneWarning
        A continuous layer injective on the inputs (``I(X;T) = H(X)``: the estimate measures
        estimator bias), estimates near an estimator's ceiling.

    References
    ----------
    S. S. Lorenzen, C. Igel, M. Nielsen, "Information Bottleneck: Exact Analysis of (Quantized) Neural
    Networks", ICLR 2022. A. M. Saxe et al., "On the information bottleneck theory of deep learning",
    ICLR 2018. R. Shwartz-Ziv, N. Tishby, "Opening the black box of deep neural networks via
    information", 2017 (the information plane).
    """
    import pandas as pd

    x_raw, y_raw = _as_numpy("X", X), _as_numpy("Y", Y)
    if len(x_raw) != len(y_raw):
        raise ValueError(f"X has {len(x_raw)} rows but Y has {len(y_raw)}: one label per input is needed")
    if len(x_raw) < 2:
        raise ValueError(f"at least 2 inputs are needed, got {len(x_raw)}")
    _check_options(quantize, noise, repeats, time_budget, uncertainty)
    names = check_layers(model, layers)
    if checkpoints is not None and epochs is not None:
        raise ValueError("give epochs (with train_fn) or checkpoints (their keys are the epochs), not both")
    schedule = capture_epochs(epochs, n_points) if epochs is not None else None
    if train_fn is not None and not callable(train_fn):
        raise ValueError(f"train_fn must be callable as train_fn(model, epoch), got {train_fn!r}")
    n = len(x_raw)
    x_flat = x_raw.reshape(n, -1).astype(np.float64)
    y_flat = y_raw.reshape(n, -1)
    y_est = y_flat.astype(np.float64)
    base = _base_seed(random_state)
    options = {
        "layers": names,
        "epochs": None if schedule is None else schedule.tolist(),
        "checkpoints": None if checkpoints is None else {int(e): _state_digest(c) for e, c in checkpoints.items()},
        "estimator": _estimator_key(estimator),
        "estimator_params": estimator_params,
        "quantize": quantize,
        "noise": noise,
        "repeats": int(repeats),
        "uncertainty": uncertainty,
        "time_budget": time_budget,
        "random_state": base,
        "version": VERSION,
    }
    # the id also hashes what was captured at every epoch (below): the training (train_fn) is part of it
    fingerprint = _fingerprint(model, x_raw, y_raw, options)
    h_x = entropy(x_flat)

    choices: dict[tuple[str, str], Choice] = {}
    rows: list[dict[str, Any]] = []
    injective_at: dict[str, list[int]] = {name: [] for name in names}
    start = time.perf_counter()
    measure_seconds = 0.0
    captured: list[int] = []
    for epoch, acts in snapshots(model, x_raw, names, schedule, train_fn, checkpoints, batch_size):
        t0 = time.perf_counter()
        captured.append(epoch)
        _update_arrays(fingerprint, [(f"{epoch}:{name}", acts[name]) for name in names])
        for li, name in enumerate(names):
            t = acts[name]
            if quantize is not None:
                t = quantize_layer(t.astype(np.float64), int(quantize))
            for side, (a, b) in (("xt", (x_flat, t)), ("ty", (t, y_flat))):
                if (name, side) not in choices:
                    choice = choose(
                        name, side, a, b, estimator, estimator_params, time_budget=time_budget, noisy=noise is not None
                    )
                    choices[name, side] = choice
                    if verbose:
                        print(f"infoplane: {choice}", flush=True)
            exact_xt, exact_ty = choices[name, "xt"].exact, choices[name, "ty"].exact
            if (exact_xt or exact_ty) and not is_codes(t):
                raise ValueError(
                    f"layer {name!r} held integer codes at the first epoch (exact MI chosen) but not at epoch "
                    f"{epoch}; give estimator=... (or quantize=bits) to measure it the same way at every epoch"
                )
            was_injective = None
            if not exact_xt and noise is None and quantize is None:
                was_injective = injective(x_flat, t)
                if was_injective:
                    injective_at[name].append(epoch)
            exact = exact_information(t, y_flat if exact_ty else None) if exact_xt or exact_ty else (None, None)
            noise_seeds, est_seeds = point_seeds(base, li, epoch, int(repeats))
            for si, side in enumerate(("xt", "ty")):
                choice = choices[name, side]
                if choice.exact:
                    value = float(exact[si])  # type: ignore[arg-type]
                    point: dict[str, Any] = {"mi": value, "stderr": 0.0, "ci_low": value, "ci_high": value}
                    point.update(uncertainty="exact", seconds=0.0)
                    point.update(reconstruction_error_x=math.nan, reconstruction_error_y=math.nan)
                else:
                    a, b = (x_flat, t.astype(np.float64)) if side == "xt" else (t.astype(np.float64), y_est)
                    point = estimate(
                        choice,
                        a,
                        b,
                        estimator=estimator,
                        seeds=est_seeds[si],
                        noise=noise,
                        noise_seeds=noise_seeds,
                        resampling=None if uncertainty == "estimator" else uncertainty,
                    )
                ceiling = ceiling_of(choice.estimator, choice.params, n)
                rows.append(
                    {
                        "layer": name,
                        "layer_index": li,
                        "epoch": int(epoch),
                        "side": side,
                        **point,
                        "estimator": choice.estimator,
                        "params": choice.label,
                        "exact": choice.exact,
                        "ceiling": math.nan if ceiling is None else ceiling[0],
                        "near_ceiling": bool(ceiling is not None and point["mi"] >= ceiling[0] - ceiling[1]),
                        "injective": was_injective if side == "xt" else None,
                        "quantize": quantize,
                        "noise": noise,
                        "n": n,
                        "dim_t": int(t.shape[1]),
                    }
                )
        measure_seconds += time.perf_counter() - t0
    total = time.perf_counter() - start
    frame = pd.DataFrame(rows)
    messages = _warnings(frame, choices, injective_at, len(captured), n, h_x)
    for message in messages:
        warnings.warn(message, InfoPlaneWarning, stacklevel=2)
    result = InfoPlaneResult(
        frame=frame,
        choices=list(choices.values()),
        warnings=messages,
        layers=names,
        epochs=np.asarray(captured, dtype=np.int64),
        input_entropy=h_x,
        injective_layers=[name for name, hit in injective_at.items() if hit],
        seconds={"capture": total - measure_seconds, "measure": measure_seconds, "total": total},
        analysis_id=fingerprint.hexdigest(),
    )
    if store is not None:
        from ibbench.information_plane.store import write_result

        result.store_keys = write_result(store, result, options)
    return result


def _warnings(
    frame: Any,
    choices: dict[tuple[str, str], Choice],
    injective_at: dict[str, list[int]],
    total: int,
    n: int,
    h_x: float,
) -> list[str]:
    """The injective-layer warnings and the ceiling flags, one message per layer (and side)."""
    messages = [injective_warning(name, hit, total, n, h_x) for name, hit in injective_at.items() if hit]
    for (name, side), choice in choices.items():
        rows = frame[(frame["layer"] == name) & (frame["side"] == side)]
        near = rows[rows["near_ceiling"]]
        if not len(near):
            continue
        ceiling = ceiling_of(choice.estimator, choice.params, n)
        assert ceiling is not None
        what = "I(X;T)" if side == "xt" else "I(T;Y)"
        at = f"epochs {near['epoch'].tolist()[:5]}{' ...' if len(near) > 5 else ''}"
        if choice.exact:
            messages.append(
                f"layer {name}, {what} = log N = {ceiling[0]:.4g} nats (exact) at {len(near)} of {len(rows)} "
                f"epochs ({at}): the quantized layer is injective on the {n} inputs there"
            )
        else:
            messages.append(
                f"layer {name}, {what}: {len(near)} of {len(rows)} estimates of {choice.label} are within "
                f"{ceiling[1]:g} nats of its ceiling, {ceiling[2]}; the true value may be anywhere above ({at})"
            )
    return messages
