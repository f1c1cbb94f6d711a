"""SZT patterns and labels (Lorenzen, Igel & Nielsen, ICLR 2022) and the digits population."""

import hashlib
from itertools import combinations

import numpy as np

from ibbench.tasks.qnn.data import SZT_LABELS_SHA256, icosahedron_distances, load_population, szt_labels, szt_patterns


def test_szt_labels_match_the_published_file():
    y = szt_labels()
    assert hashlib.sha256("".join(map(str, y)).encode()).hexdigest() == SZT_LABELS_SHA256
    assert y.sum() == 2118
    p = y.mean()
    h_bits = -(p * np.log2(p) + (1 - p) * np.log2(1 - p))
    assert abs(h_bits - 0.99916) < 5e-6  # H(Y) of the SZT labels, 0.99916 bits (Lorenzen, Igel & Nielsen, ICLR 2022)


def test_patterns_count_in_binary_with_the_first_column_most_significant():
    x = szt_patterns()
    assert x.shape == (4096, 12) and set(np.unique(x)) == {0, 1}
    assert (x @ (1 << np.arange(11, -1, -1)) == np.arange(4096)).all()
    assert x[1].tolist() == [0] * 11 + [1] and x[2048].tolist() == [1] + [0] * 11


def test_icosahedron_graph():
    d = icosahedron_distances()
    assert (d == d.T).all() and (np.diag(d) == 0).all()
    # each vertex of an icosahedron: 5 neighbours, 5 at distance 2, 1 antipode
    for v in range(12):
        assert [(d[v] == k).sum() for k in (1, 2, 3)] == [5, 5, 1]


def test_label_rule_against_a_pairwise_loop():
    d = icosahedron_distances()
    x = szt_patterns()
    rng = np.random.default_rng(0)
    rows = rng.choice(4096, 200, replace=False)
    y = szt_labels()
    for r in rows:
        active = np.flatnonzero(x[r])
        e = {1: 0, 2: 0, 3: 0}
        for i, j in combinations(active, 2):
            e[d[i, j]] += 1
        assert y[r] == int(23 * len(active) + e[1] - 5 * e[2] - 8 * e[3] >= 99)


def test_digits_population():
    x, y = load_population("digits")
    assert x.shape == (1797, 64) and x.max() == 16 and set(np.unique(y)) == set(range(10))
    assert not x.flags.writeable
