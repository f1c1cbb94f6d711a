"""Exact per-layer MI against a brute-force dictionary count and closed cases."""

import numpy as np
import pytest

from ibbench.numerics.entropy import row_codes
from ibbench.tasks.qnn.data import load_population, szt_patterns
from ibbench.tasks.qnn.exact_mi import brute_force_information, information_plane, layer_information, symbols
from ibbench.tasks.qnn.training import TrainConfig, train


@pytest.mark.parametrize(
    "bits,width,n_classes", [(8, 2, 2), (4, 10, 2), (8, 7, 2), (8, 10, 2), (8, 16, 10), (8, 20, 3), (3, 5, 10)]
)
def test_matches_the_dictionary_count(bits, width, n_classes):
    # covers the one-word fast path, the two-word path (> 64 bits) and the > 128-bit fallback
    rng = np.random.default_rng(bits * 100 + width)
    codes = rng.integers(0, 3, (3000, width)) * ((2**bits - 1) // 2)
    labels = rng.integers(0, n_classes, 3000)
    assert np.allclose(layer_information(codes, labels, bits), brute_force_information(codes, labels), atol=1e-12)
    # same partition of the rows as the bytes-view codes: the pairs (symbol, code) are a bijection
    s, r = symbols(codes, bits), row_codes(codes)
    assert len(np.unique(s)) == len(np.unique(r)) == len(np.unique(np.column_stack([s, r]), axis=0))


def test_closed_cases():
    x = szt_patterns()
    _, y = load_population("szt")
    i_xt, i_ty = layer_information(x, y, 1)
    assert i_xt == pytest.approx(12 * np.log(2))  # injective layer: I(X;T) = H(X) = 12 bits
    p = y.mean()
    h_y = -(p * np.log(p) + (1 - p) * np.log(1 - p))
    assert i_ty == pytest.approx(h_y)  # injective layer keeps all label information
    assert layer_information(np.zeros((4096, 3), int), y, 4) == (0.0, 0.0)
    assert layer_information(y[:, None], y, 1)[1] == pytest.approx(h_y)


def test_information_plane_of_a_trained_run_matches_brute_force():
    run = train(TrainConfig(activation="tanh", bits=4, epochs=2, n_snapshots=3), 0, cache=False)
    _, y = load_population("szt")
    plane = information_plane(run)
    assert plane.shape == (len(run.epochs), 6, 2)
    for s in range(len(run.epochs)):
        for layer in range(6):
            assert np.allclose(plane[s, layer], brute_force_information(run.codes[layer][s], y), atol=1e-12)
    # data processing inequality along the layers of a snapshot
    assert (np.diff(plane[..., 0], axis=1) <= 1e-12).all() and (np.diff(plane[..., 1], axis=1) <= 1e-12).all()
