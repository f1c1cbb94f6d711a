"""Run one peer estimator inside the peer's own virtual environment.

This file is executed as a script by the peer environment's Python, which has no ibbench: it
imports only the standard library, numpy and the peer. Usage::

    <peer venv>/bin/python runner_script.py JOB_DIR

``JOB_DIR/spec.json`` holds ``{"peer", "estimator", "params", "seed"}``; ``JOB_DIR/data.npz`` the
arrays ``X`` and ``Y``. The script writes ``JOB_DIR/result.json`` with ``{"mi", "seconds",
"versions"}``, where ``seconds`` is the wall-clock time of the peer's estimate call alone,
measured inside this process (interpreter start, imports and file exchange excluded). Errors go
to stderr with a non-zero exit status; the caller reports their tail.
"""

from __future__ import annotations

import json
import sys
import time
from collections.abc import Callable
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Any

import numpy as np

#: Distributions whose versions are reported back, per peer.
VERSIONED = {"bmi": ("benchmark-mi", "jax", "jaxlib", "numpy"), "latentmi": ("latentmi", "torch", "numpy")}


def _bmi_estimator(name: str, params: dict[str, Any], seed: int) -> Any:
    """The bmi estimator object for adapter ``name`` (bmi's documented constructors)."""
    import bmi.estimators as be

    if name == "ksg":
        return be.KSGEnsembleFirstEstimator(neighborhoods=(int(params["k"]),), standardize=bool(params["standardize"]))
    if name == "cca":
        return be.CCAMutualInformationEstimator()
    if name == "histogram":
        return be.HistogramEstimator(n_bins_x=int(params["n_bins"]), standardize=bool(params["standardize"]))
    neural = {
        "mine": "MINEEstimator",
        "infonce": "InfoNCEEstimator",
        "nwj": "NWJEstimator",
        "dv": "DonskerVaradhanEstimator",
    }
    if name not in neural:
        raise ValueError(f"bmi has no adapter {name!r}")
    return getattr(be, neural[name])(
        hidden_layers=tuple(int(h) for h in params["hidden_layers"]),
        batch_size=int(params["batch_size"]),
        max_n_steps=int(params["max_n_steps"]),
        learning_rate=float(params["learning_rate"]),
        train_test_split=float(params["train_test_split"]),
        test_every_n_steps=int(params["test_every_n_steps"]),
        standardize=bool(params["standardize"]),
        verbose=False,
        seed=seed,
    )


def run_bmi(name: str, params: dict[str, Any], seed: int, X: np.ndarray, Y: np.ndarray) -> tuple[float, float]:
    """bmi estimate of ``I(X; Y)`` and the seconds of its ``estimate`` call."""
    estimator = _bmi_estimator(name, params, seed)
    start = time.perf_counter()
    mi = float(estimator.estimate(X, Y))
    return mi, time.perf_counter() - start


def run_latentmi(name: str, params: dict[str, Any], seed: int, X: np.ndarray, Y: np.ndarray) -> tuple[float, float]:
    """latentmi's LMI estimate (mean of its pointwise MI over the held-out half) and its seconds."""
    import torch
    from latentmi import lmi

    if name != "lmi":
        raise ValueError(f"latentmi has no adapter {name!r}")
    np.random.seed(seed)  # latentmi draws its train/validation split from numpy's global generator
    torch.manual_seed(seed)
    torch.set_num_threads(1)
    start = time.perf_counter()
    pmis, _, _ = lmi.estimate(
        X,
        Y,
        N_dims=int(params["n_dims"]),
        epochs=int(params["epochs"]),
        batch_size=int(params["batch_size"]),
        quiet=True,
        device="cpu",
    )
    return float(np.nanmean(pmis)), time.perf_counter() - start


RUNNERS: dict[str, Callable[[str, dict[str, Any], int, np.ndarray, np.ndarray], tuple[float, float]]] = {
    "bmi": run_bmi,
    "latentmi": run_latentmi,
}


def _versions(peer: str) -> dict[str, str]:
    out = {}
    for dist in VERSIONED.get(peer, ()):
        try:
            out[dist] = version(dist)
        except PackageNotFoundError:
            continue
    return out


def main(argv: list[str]) -> int:
    """Run the job in ``argv[1]``; 0 on success, 2 on a bad invocation."""
    if len(argv) != 2:
        print("usage: runner_script.py JOB_DIR", file=sys.stderr)
        return 2
    job = Path(argv[1])
    spec = json.loads((job / "spec.json").read_text())
    if spec["peer"] not in RUNNERS:
        print(f"unknown peer {spec['peer']!r}", file=sys.stderr)
        return 2
    with np.load(job / "data.npz") as data:
        X, Y = np.asarray(data["X"], dtype=np.float64), np.asarray(data["Y"], dtype=np.float64)
    mi, seconds = RUNNERS[spec["peer"]](spec["estimator"], spec["params"], int(spec["seed"]), X, Y)
    result = {"mi": mi, "seconds": seconds, "versions": _versions(spec["peer"])}
    (job / "result.json").write_text(json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
