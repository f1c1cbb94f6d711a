"""Capturing layer activations of a torch model: forward hooks, capture epochs, checkpoints.

:func:`capture` runs the model on all inputs (in eval mode, without gradients, in chunks) with a
forward hook on each chosen module and returns every layer's output flattened to ``(n, d)``.
:func:`capture_epochs` validates the schedule: an int ``E`` means training ``E`` epochs and
capturing at :func:`log_epochs` (0 and log-spaced epochs up to ``E``); a sequence lists the
capture epochs. :func:`snapshots` yields ``(epoch, activations)`` while training with
``train_fn(model, epoch)`` one epoch at a time, or loading a list of checkpoints.
"""

from __future__ import annotations

import numbers
from collections.abc import Callable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np

#: ``train_fn(model, epoch)``: trains ``model`` in place for one epoch (``epoch`` = 1, 2, ...).
TrainFn = Callable[[Any, int], Any]


def log_epochs(n_epochs: int, n_points: int) -> np.ndarray:
    """``n_points`` distinct capture epochs: 0 and log-spaced epochs in ``[1, n_epochs]`` (sorted).

    The schedule of the QNN tasks (:func:`ibbench.tasks.qnn.training.snapshot_epochs`) with as many
    points requested as it takes for ``n_points`` to remain after rounding merges close small epochs
    (one more in rare cases; all ``n_epochs + 1`` epochs when there are fewer). 0 and ``n_epochs``
    are always in.
    """
    from ibbench.tasks.qnn.training import snapshot_epochs

    if isinstance(n_epochs, bool) or not isinstance(n_epochs, numbers.Integral) or n_epochs < 0:
        raise ValueError(f"epochs must be a non-negative int or a list of epochs, got {n_epochs!r}")
    if isinstance(n_points, bool) or not isinstance(n_points, numbers.Integral) or n_points < 2:
        raise ValueError(f"n_points must be an int >= 2, got {n_points!r}")
    target = min(int(n_points), int(n_epochs) + 1)
    requested = int(n_points)
    schedule = snapshot_epochs(int(n_epochs), requested)
    while len(schedule) < target:
        requested += 1
        schedule = snapshot_epochs(int(n_epochs), requested)
    return schedule


def capture_epochs(epochs: int | Sequence[int], n_points: int = 30) -> np.ndarray:
    """The capture epochs of ``epochs``: an int → :func:`log_epochs`; a sequence → checked as strictly increasing.

    Raises
    ------
    ValueError
        A negative, non-integer, empty or not strictly increasing list of epochs.
    """
    if isinstance(epochs, numbers.Integral) and not isinstance(epochs, bool):
        return log_epochs(int(epochs), n_points)
    values: list[Any] = list(epochs)  # type: ignore[arg-type]  # not an int here
    if not values:
        raise ValueError("epochs is empty: give an int (epochs to train) or a list of capture epochs")
    for e in values:
        if isinstance(e, bool) or not isinstance(e, numbers.Integral) or e < 0:
            raise ValueError(f"epochs must be non-negative integers, got {e!r} in {values}")
    steps = np.diff(np.asarray(values, dtype=np.int64))
    if (steps <= 0).any():
        i = int(np.flatnonzero(steps <= 0)[0])
        raise ValueError(
            f"epochs must be strictly increasing: epoch {values[i + 1]} follows {values[i]} (position {i + 1})"
        )
    return np.asarray(values, dtype=np.int64)


def check_layers(model: Any, layers: str | Sequence[str] | None) -> list[str]:
    """The chosen module names, each checked against ``model.named_modules()``.

    Raises
    ------
    ValueError
        No layers given, a repeated name, or a name that is not a module of the model (the message
        lists the model's module names).
    """
    names = dict(model.named_modules())
    known = ", ".join(n for n in names if n) or "(none)"
    if layers is None or (not isinstance(layers, str) and len(layers) == 0):
        raise ValueError(f"layers: give the names of the modules whose outputs are T; the model has: {known}")
    chosen = [layers] if isinstance(layers, str) else [str(name) for name in layers]
    for name in chosen:
        if name not in names or not name:
            raise ValueError(f"unknown layer name {name!r}; the model's modules are: {known}")
    if len(set(chosen)) != len(chosen):
        raise ValueError(f"layers repeat a name: {chosen}")
    return chosen


def _as_array(output: Any) -> np.ndarray:
    """A hooked module's output as a 2-D numpy array ``(n, d)``; quantized tensors as their integer codes."""
    import torch

    if isinstance(output, (tuple, list)):
        output = output[0]
    if not isinstance(output, torch.Tensor):
        raise ValueError(f"a hooked layer returned {type(output).__name__}, not a tensor")
    output = output.detach()
    if output.is_quantized:
        output = output.int_repr()
    return output.cpu().reshape(len(output), -1).numpy()


def model_input(model: Any, X: np.ndarray) -> Any:
    """``X`` as a tensor of the dtype of the model's first floating parameter (float32 without one)."""
    import torch

    dtype = next((p.dtype for p in model.parameters() if p.is_floating_point()), torch.float32)
    return torch.as_tensor(np.asarray(X), dtype=dtype)


def capture(model: Any, X: np.ndarray, layers: Sequence[str], batch_size: int | None = None) -> dict[str, np.ndarray]:
    """Outputs of the modules ``layers`` on all rows of ``X``: ``{name: array of shape (n, d)}``.

    The model runs in eval mode without gradients (its training mode is restored afterwards), in
    chunks of ``batch_size`` rows (None = one pass).
    """
    import torch

    modules = dict(model.named_modules())
    outputs: dict[str, list[np.ndarray]] = {name: [] for name in layers}
    handles = [
        modules[name].register_forward_hook(lambda _m, _i, out, name=name: outputs[name].append(_as_array(out)))
        for name in layers
    ]
    was_training = model.training
    inputs = model_input(model, X)
    step = len(inputs) if batch_size is None else int(batch_size)
    try:
        model.eval()
        with torch.no_grad():
            for start in range(0, len(inputs), max(step, 1)):
                model(inputs[start : start + step])
    finally:
        for handle in handles:
            handle.remove()
        model.train(was_training)
    missing = [name for name, parts in outputs.items() if not parts]
    if missing:
        raise ValueError(f"layer(s) {missing} were not called in the model's forward pass")
    return {name: np.concatenate(parts) for name, parts in outputs.items()}


def _load_checkpoint(model: Any, checkpoint: Any) -> None:
    import torch

    state = torch.load(checkpoint, map_location="cpu") if isinstance(checkpoint, (str, Path)) else checkpoint
    if not isinstance(state, Mapping):
        raise ValueError(f"a checkpoint must be a state_dict or the path of a saved one, got {type(state).__name__}")
    model.load_state_dict(state)


def snapshots(
    model: Any,
    X: np.ndarray,
    layers: Sequence[str],
    epochs: np.ndarray | None,
    train_fn: TrainFn | None = None,
    checkpoints: Mapping[int, Any] | None = None,
    batch_size: int | None = None,
) -> Iterator[tuple[int, dict[str, np.ndarray]]]:
    """``(epoch, {layer: activations})`` at every capture epoch.

    With ``train_fn``, the model is captured at epoch 0 if listed, then trained one epoch at a time
    (``train_fn(model, epoch)``, epoch = 1 … last) and captured after each listed epoch. With
    ``checkpoints`` (``{epoch: state_dict or path}``), each is loaded in epoch order and captured.
    With neither, the model is captured once as it is (epoch ``epochs[0]``, or 0).
    """
    if checkpoints is not None:
        if train_fn is not None:
            raise ValueError("give train_fn or checkpoints, not both")
        ordered = capture_epochs(sorted(int(e) for e in checkpoints))
        for epoch in ordered:
            _load_checkpoint(model, checkpoints[int(epoch)])
            yield int(epoch), capture(model, X, layers, batch_size)
        return
    if train_fn is None:
        if epochs is not None and len(epochs) > 1:
            raise ValueError(f"several epochs {epochs.tolist()} need a train_fn (or checkpoints) to train between them")
        yield int(epochs[0]) if epochs is not None else 0, capture(model, X, layers, batch_size)
        return
    if epochs is None:
        raise ValueError("train_fn needs epochs (an int to train that many, or a list of capture epochs)")
    wanted = {int(e) for e in epochs}
    if 0 in wanted:
        yield 0, capture(model, X, layers, batch_size)
    for epoch in range(1, int(epochs[-1]) + 1):
        train_fn(model, epoch)
        if epoch in wanted:
            yield epoch, capture(model, X, layers, batch_size)
