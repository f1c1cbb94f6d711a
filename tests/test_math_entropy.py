"""Plug-in entropy helpers of ``ibbench.numerics.entropy`` against ``np.unique(axis=0)`` counts."""

import numpy as np
import pytest

from ibbench.numerics.entropy import plugin_mutual_info, row_codes


def _same_partition(codes, A):
    _, ref = np.unique(A, axis=0, return_inverse=True)
    ref = ref.ravel()
    # codes and ref induce the same partition of the rows iff the pairs (code, ref) are a bijection
    pairs = np.unique(np.column_stack([codes, ref]), axis=0)
    return (
        len(pairs) == len(np.unique(codes)) == len(np.unique(ref))
        and codes.min() == 0
        and codes.max() == len(np.unique(codes)) - 1
    )


@pytest.mark.parametrize(
    "dtype,lo,hi,cols",
    [
        (np.int64, -3, 4, 3),  # negative values: shifted by the column minimum
        (np.uint8, 0, 256, 5),  # unsigned, full byte range
        (np.int64, 0, 2**40, 2),  # spans product 2^80: falls back to the byte view
        (np.int32, -(2**31), 2**31 - 1, 2),
    ],
)
def test_row_codes_integer_rows(dtype, lo, hi, cols):
    rng = np.random.default_rng(0)
    A = rng.integers(lo, hi, size=(3000, cols), dtype=np.int64).astype(dtype)
    A[1000:1500] = A[:500]  # guaranteed repeats
    assert _same_partition(row_codes(A), A)


def _ref_mi(cx, cy, miller_madow=False):
    def h(A):
        _, counts = np.unique(A, axis=0, return_counts=True)
        p = counts / counts.sum()
        return -np.sum(p * np.log(p)) + ((len(counts) - 1) / (2 * len(A)) if miller_madow else 0.0)

    return h(cx[:, None]), h(cy[:, None]), h(np.column_stack([cx, cy]))


@pytest.mark.parametrize("kx,ky,n", [(4, 3, 500), (64, 64, 20_000), (10_000, 10_000, 2000)])
@pytest.mark.parametrize("miller_madow", [False, True])
def test_plugin_mutual_info_matches_unique_counts(kx, ky, n, miller_madow):
    # covers the bincount path (small tables) and the numeric-sort path (kx*ky >> n)
    rng = np.random.default_rng(1)
    cx = rng.integers(0, kx, n)
    cy = (cx + rng.integers(0, 3, n)) % ky
    got = plugin_mutual_info(cx, cy, miller_madow)
    np.testing.assert_allclose(got, _ref_mi(cx, cy, miller_madow), rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("lo,hi", [(0, 30), (-5, 5), (0, 10**9)])
def test_row_codes_integer_codes_equal_unique_inverse(lo, hi):
    # dense table-lookup path (small spans) and the sort path give np.unique's inverse exactly
    rng = np.random.default_rng(2)
    A = rng.integers(lo, hi, size=(5000, 2))
    _, ref = np.unique(A[:, 1] * (hi - lo) + A[:, 0], return_inverse=True)  # same order as the packing
    np.testing.assert_array_equal(row_codes(A), ref.ravel())
    _, ref1 = np.unique(A[:, 0], return_inverse=True)
    np.testing.assert_array_equal(row_codes(A[:, 0]), ref1.ravel())
