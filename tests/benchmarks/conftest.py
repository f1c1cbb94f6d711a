"""Shared set-up of the pytest-benchmark microbenchmarks in ``tests/benchmarks/``.

Every test collected from this directory is marked ``benchmark`` (even if its file forgot the
mark), so the default ``pytest`` run — configured with ``-m 'not benchmark'`` and
``--benchmark-disable`` in pyproject.toml — never runs a timed test. Run them with::

    pytest tests/benchmarks -m benchmark --benchmark-enable -p no:randomly

Recipes (saving a baseline, ``--benchmark-compare-fail``): docs/performance.md.
"""

from __future__ import annotations

import os
from functools import cache
from pathlib import Path

import numpy as np
import pytest

_HERE = Path(__file__).resolve().parent


@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(config, items):
    """Mark every item of this directory ``benchmark`` before ``-m`` deselection runs."""
    for item in items:
        if _HERE in Path(str(item.fspath)).resolve().parents:
            item.add_marker(pytest.mark.benchmark)


def pytest_benchmark_update_machine_info(config, machine_info):
    """Record what makes timings comparable: cores and BLAS thread settings (stable across runs)."""
    machine_info["cpu_count"] = os.cpu_count()
    for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
        if var in os.environ:
            machine_info[var] = os.environ[var]


def pytest_benchmark_update_json(config, benchmarks, output_json):
    """Save the load average with the results (a shared machine makes timings noisy). Kept out of
    ``machine_info``, which pytest-benchmark compares between runs and would warn about."""
    if hasattr(os, "getloadavg"):
        output_json["loadavg_1_5_15"] = list(os.getloadavg())


@cache
def _gaussian_pair(n: int, dim: int, mi: float = 1.0):
    from ibbench.tasks.gaussian import DenseGaussian

    X, Y = DenseGaussian(dim=dim, mi=mi).sample(n, random_state=0)
    X.flags.writeable = False
    Y.flags.writeable = False
    return X, Y


@pytest.fixture
def gaussian_pair():
    """``gaussian_pair(n, dim, mi=1.0)`` -> read-only ``(X, Y)`` of a dense Gaussian task, seed 0 (cached)."""
    return _gaussian_pair


@cache
def _quantized_activations(n: int, width: int, levels: int):
    rng = np.random.default_rng(0)
    # tanh of a random linear layer, fake-quantized to `levels` values in [-1, 1] (qnn-like rows)
    X = rng.integers(0, 2, size=(n, 12)).astype(np.float64)
    T = np.tanh(X @ rng.normal(size=(12, width)) / np.sqrt(12))
    T = np.round((T + 1) / 2 * (levels - 1)) / (levels - 1) * 2 - 1
    T.flags.writeable = False
    return T


@pytest.fixture
def quantized_activations():
    """``quantized_activations(n, width, levels)`` -> read-only (n, width) quantized tanh layer (cached)."""
    return _quantized_activations
