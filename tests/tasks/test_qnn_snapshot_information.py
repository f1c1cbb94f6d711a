"""The one-sort key routes of the exact per-layer MI: same counts as a dictionary count, same floats as
the symbol route (``np.unique`` / ``np.lexsort`` codes and ``bincount``)."""

import numpy as np
import pytest

from ibbench.numerics.entropy import counts_entropy
from ibbench.tasks.qnn.exact_mi import brute_force_information, layer_information, snapshot_information, symbols


def _symbol_route(codes, labels, bits):
    # the route the packed-word keys must reproduce bit for bit: row symbols numbered in the order
    # of their packed words, (symbol, label) pairs in that order, plug-in terms summed in that order
    t = symbols(codes, bits)
    n_classes = int(labels.max()) + 1
    h_t, h_y = counts_entropy(np.bincount(t)), counts_entropy(np.bincount(labels))
    return h_t, max(h_t + h_y - counts_entropy(np.bincount(t * n_classes + labels)), 0.0)


@pytest.mark.parametrize(
    "bits,width,n_classes,dtype",
    [
        (4, 10, 2, np.uint8),  # one word with the label
        (8, 7, 2, np.uint8),  # 56 + 1 bits: one word with the label
        (8, 8, 2, np.uint8),  # 64 bits: the word's rank, then the label
        (8, 10, 2, np.uint8),  # two words: rank of the first, the second, the label
        (4, 20, 10, np.uint8),  # two words at 4 bits
        (8, 16, 10, np.uint8),  # 128 bits: too wide for one key, symbol route
        (5, 13, 3, np.int64),  # 5 bits, signed input, two words
        (12, 4, 300, np.uint16),  # many classes
    ],
)
def test_keys_match_counting_and_the_symbol_route(bits, width, n_classes, dtype):
    rng = np.random.default_rng(bits * 1000 + width)
    n = 4096
    codes = (rng.integers(0, 3, (n, width)) * ((2**bits - 1) // 2)).astype(dtype)
    codes[: n // 4] = rng.integers(0, 2**bits, (n // 4, width))  # mostly tied rows, some distinct
    labels = rng.integers(0, n_classes, n)
    assert layer_information(codes, labels, bits) == _symbol_route(codes, labels, bits)
    assert np.allclose(layer_information(codes, labels, bits), brute_force_information(codes, labels), atol=1e-12)


def test_a_snapshot_is_its_layers():
    rng = np.random.default_rng(3)
    labels = rng.integers(0, 2, 500)
    layers = [rng.integers(0, 2**8, (500, w)).astype(np.uint8) // 64 for w in (10, 7, 5, 2)]
    plane = snapshot_information(layers, labels, 8)
    assert plane.shape == (4, 2)
    assert [tuple(row) for row in plane] == [layer_information(c, labels, 8) for c in layers]
    with pytest.raises(ValueError, match="rows"):
        snapshot_information([layers[0][:-1]], labels, 8)
