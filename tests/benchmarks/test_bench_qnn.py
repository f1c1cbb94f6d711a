"""pytest-benchmark microbenchmarks of the quantized-network tasks (deselected by default).

Run: ``pytest tests/benchmarks/test_bench_qnn.py -m benchmark --benchmark-enable``.
Budget (issue 6): exact MI of all 6 layers of one SZT snapshot (4096 patterns) ≤ 3 ms.
"""

import numpy as np
import pytest

from ibbench.tasks.qnn.data import load_population
from ibbench.tasks.qnn.exact_mi import layer_information
from ibbench.tasks.qnn.training import TrainConfig, train

pytestmark = pytest.mark.benchmark


def _snapshot(bits):
    import torch

    from ibbench.tasks.qnn.network import QuantizedMLP
    from ibbench.tasks.qnn.training import network_inputs

    net = QuantizedMLP((12, 10, 7, 5, 4, 3, 2), "tanh", bits, generator=torch.Generator().manual_seed(0))
    with torch.no_grad():
        _, recorded = net(network_inputs(TrainConfig()), record=True)
    return [c.numpy().astype(np.uint8) for _, c in recorded]


def _reference_information(codes, labels):
    """Exact (I(X;T), I(T;Y)) in nats by counting distinct rows with ``np.unique`` (independent of
    the packed-word sort of ``layer_information``): I(X;T) = H(T) since T is a function of the
    uniformly distributed, distinct inputs X, and I(T;Y) = H(T) + H(Y) − H(T, Y)
    (Lorenzen, Igel & Nielsen, ICLR 2022, Sec. 3)."""

    def h(rows):
        _, counts = np.unique(rows, axis=0, return_counts=True)
        p = counts / counts.sum()
        return float(-np.sum(p * np.log(p)))

    codes = codes.reshape(len(codes), -1).astype(np.int64)
    h_t, h_y = h(codes), h(labels[:, None])
    return h_t, h_t + h_y - h(np.column_stack([codes, labels]))


def _check_layers(result, codes, labels):
    # Both routes sum the same <= 4096 counts; they differ only by float rounding (~1e-14 nats).
    # Moving one of the 4096 rows to another cell changes an entropy by >= ~1e-3 nats, so 1e-9
    # separates a wrong count from rounding.
    for (ixt, ity), c in zip(result, codes):
        ref_ixt, ref_ity = _reference_information(c, labels)
        assert ixt == pytest.approx(ref_ixt, abs=1e-9) and ity == pytest.approx(ref_ity, abs=1e-9)
    # data processing: each layer is a function of the previous one, so neither can grow with depth
    ixt, ity = np.array(result).T
    assert np.all(np.diff(ixt) <= 1e-12) and np.all(np.diff(ity) <= 1e-12)
    assert np.all(ixt <= np.log(len(labels)) + 1e-12) and np.all(ity <= ixt + 1e-12)


@pytest.mark.parametrize("bits", [4, 8])
def test_exact_mi_all_layers_of_one_snapshot(benchmark, bits):
    codes = _snapshot(bits)
    _, labels = load_population("szt")

    def all_layers():
        return [layer_information(c, labels, bits) for c in codes]

    result = benchmark(all_layers)
    assert len(result) == 6
    _check_layers(result, codes, labels)


def test_training_ten_epochs(benchmark):
    config = TrainConfig(activation="tanh", bits=8, epochs=10, n_snapshots=5)
    run = benchmark.pedantic(train, args=(config, 0), kwargs={"cache": False}, rounds=3, iterations=1)
    benchmark.extra_info["epochs_per_second"] = 10 / run.train_seconds
    # training is deterministic on the CPU (one thread, seeded generator): a fresh run is bit-identical
    again = train(config, 0, cache=False)
    assert len(run.codes) == 6 and all(np.array_equal(a, b) for a, b in zip(run.codes, again.codes))
    assert np.array_equal(run.params, again.params)
    _, labels = load_population("szt")
    for s in range(len(run.epochs)):  # exact MI of every snapshot against the counting reference
        _check_layers([layer_information(c[s], labels, 8) for c in run.codes], [c[s] for c in run.codes], labels)
    assert np.all((run.train_accuracy >= 0) & (run.train_accuracy <= 1))
