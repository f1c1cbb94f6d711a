"""Property-based bad-input tests (hypothesis) over every registered estimator.

Every estimator, built with its ``get_test_params()``, is fed generated input: NaN, inf, n = 0…40,
constant columns and sides, duplicated rows, 1-D and 2-D arrays, scales from 1e-150 to 1e150 (and
beyond), mismatched lengths, object / string / complex / bool / integer / float16 / float32 dtypes,
empty columns and 3-D arrays. The contract (``ibbench/base.py``, README): the outcome is a finite float
``mutual_info_`` or a plain ``ValueError``/``TypeError`` whose message names the problem — never
another exception (a library's ``LinAlgError`` subclass included), a hang or a silent NaN/inf.

Beyond "finite or clear error", valid degenerate input must give the *right* answer where it is
known exactly: 1-D and ``(n, 1)`` input, integer/bool input and the same values as float64, and
data scaled by a power of two (exact in floating point; every estimator is scale invariant) give
the same estimate; a constant column changes nothing; a constant side is independent of everything
(I = 0).

Runtime: examples are small (n ≤ 40) and the slow estimators (neural critics, the autoencoder
wrapper) get fewer examples, so the file runs in well under a minute. Examples are derandomized
(the same inputs every run, so CI is reproducible); ``IBBENCH_HYPOTHESIS=explore`` draws fresh
random inputs and ten times as many.
"""

from __future__ import annotations

import math
import os

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import ibbench
from ibbench.base import MAX_ABS, MIN_SPREAD
from ibbench.peers import PEER_ESTIMATORS
from ibbench.registry import get_estimator_class

#: built-ins and plug-ins; installed peer adapters (a peer process per fit) are left out
NAMES = [name for name in ibbench.list_estimators() if name not in PEER_ESTIMATORS]
#: seconds per fit rather than milliseconds: fewer examples
SLOW = {"mine", "nwj", "infonce", "dv", "js", "smile", "club", "flow", "compressed-ae"}
#: estimators that return exactly 0 when one side is constant (plug-in, Gaussian, KL, KDE policies)
EXACT_ZERO_ON_CONSTANT = {
    "exact",
    "binning",
    "binning-adaptive",
    "gaussian",
    "kl",
    "wkl",
    "kde-ml",
    "kde-lse",
    "chao-shen",
    "nsb",
    "sklearn-mi",
    "gcmi",
}
#: a constant column leaves the estimate unchanged up to rounding (neural critics and the
#: autoencoder get one more input, hence other initial weights: excluded)
CONSTANT_COLUMN_INVARIANT = {
    "exact",
    "binning",
    "binning-adaptive",
    "gaussian",
    "ksg",
    "kl",
    "wkl",
    "kde-ml",
    "kde-lse",
    "compressed-pca",
}
EXPLORE = os.environ.get("IBBENCH_HYPOTHESIS") == "explore"


def _settings(name: str, fast: int, slow: int):
    n = slow if name in SLOW else fast
    return settings(
        max_examples=n * (10 if EXPLORE else 1),
        deadline=None,
        derandomize=not EXPLORE,
        database=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.filter_too_much],
    )


def _fit(name: str, X, Y):
    """Fit a fresh estimator ``name``; return ``(estimate, None)`` or ``(None, exception)``.

    Fails the test on anything but a finite float or a plain ``ValueError``/``TypeError`` with a
    message: a subclass such as ``numpy.linalg.LinAlgError`` means a library error leaked through
    without saying what is wrong with the input.
    """
    cls = get_estimator_class(name)
    est = cls(**cls.get_test_params())
    try:
        est.fit(X, Y)
    except (ValueError, TypeError) as exc:
        assert type(exc) in (ValueError, TypeError), (
            f"{name}: {type(exc).__module__}.{type(exc).__name__} leaked: {exc}"
        )
        assert len(str(exc)) >= 15, f"{name}: uninformative error message {str(exc)!r}"
        return None, exc
    value = est.mutual_info_
    assert isinstance(value, float), f"{name}: mutual_info_ is {type(value).__name__}, not float"
    assert math.isfinite(value), f"{name}: silent non-finite estimate {value}"
    return value, None


def _ok(name: str, X, Y) -> float:
    """The estimate, failing the test if the estimator raised."""
    value, exc = _fit(name, X, Y)
    assert exc is None, f"{name} rejected valid input: {exc}"
    return value


# ------------------------------------------------------------------------------------- strategies
FLOAT_BOUND = st.floats(-MAX_ABS, MAX_ABS, allow_nan=False, allow_infinity=False)
DTYPES = ["float64", "float32", "float16", "int8", "uint8", "int32", "int64", "bool"]


@st.composite
def numeric_pairs(draw):
    """Valid-typed pairs of any shape and content: sizes 0…40, 1-D or 2-D, any numeric dtype,
    elements from tiny to 1e150 (hypothesis picks the nasty ones), plus constant columns,
    duplicated rows and an overall power-of-ten scale."""
    n = draw(st.integers(0, 40))
    pair = []
    for _ in range(2):
        d = draw(st.integers(1, 3))
        dtype = np.dtype(draw(st.sampled_from(DTYPES)))
        if dtype.kind == "f":
            elements = hnp.from_dtype(
                dtype,
                allow_nan=False,
                allow_infinity=False,
                **({"min_value": -MAX_ABS, "max_value": MAX_ABS} if dtype.itemsize == 8 else {}),
            )
        else:
            elements = hnp.from_dtype(dtype)
        A = draw(hnp.arrays(dtype, (n, d), elements=elements))
        if dtype.kind == "f" and n and draw(st.booleans()):  # a whole side at one scale, 1e-150 … 1e150
            A = (A.astype(np.float64) / max(1.0, float(np.abs(A).max()))) * 10.0 ** draw(st.integers(-150, 150))
        if n and draw(st.booleans()):  # a constant column
            A = np.array(A)
            A[:, draw(st.integers(0, d - 1))] = A[0, 0]
        if d == 1 and draw(st.booleans()):
            A = A[:, 0]  # 1-D
        pair.append(A)
    X, Y = pair
    reps = draw(st.integers(1, 3))  # duplicated rows
    if reps > 1:
        X, Y = np.repeat(X, reps, axis=0), np.repeat(Y, reps, axis=0)
    return X, Y


def _gaussian(seed: int, n: int, dx: int = 1, dy: int = 1) -> tuple[np.ndarray, np.ndarray]:
    """A correlated continuous pair, values clipped to [-4, 4] (so scaling stays within bounds)."""
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n, dx))
    Y = 0.8 * X[:, :1] + 0.6 * rng.standard_normal((n, dy))
    return np.clip(X, -4, 4), np.clip(Y, -4, 4)


# ------------------------------------------------------------------------------- the properties
@pytest.mark.parametrize("name", NAMES)
def test_any_numeric_input_gives_a_finite_estimate_or_a_clear_error(name):
    @_settings(name, fast=60, slow=12)
    @given(numeric_pairs())
    def prop(pair):
        _fit(name, *pair)

    prop()


INVALID = [
    "nan",
    "inf",
    "-inf",
    "mismatched",
    "3d",
    "no_columns",
    "object",
    "str",
    "complex",
    "few_samples",
    "too_large",
    "too_small_spread",
    "huge_int",
]
#: words the message must contain, per kind of invalid input
EXPECTED_WORDS = {
    "nan": "NaN",
    "inf": "inf",
    "-inf": "inf",
    "mismatched": "rows",
    "3d": "3-D",
    "no_columns": "column",
    "object": "numeric",
    "str": "numeric",
    "complex": "numeric",
    "few_samples": "samples",
    "too_large": "magnitude",
    "too_small_spread": "varies only",
    "huge_int": "2**53",
}


@st.composite
def invalid_pairs(draw):
    """A valid continuous pair with exactly one defect; returns (kind, X, Y)."""
    kind = draw(st.sampled_from(INVALID))
    n = draw(st.integers(2, 30))
    X, Y = _gaussian(draw(st.integers(0, 2**16)), n, draw(st.integers(1, 3)), draw(st.integers(1, 3)))
    side = draw(st.sampled_from(["X", "Y"]))
    A = X if side == "X" else Y
    i, j = draw(st.integers(0, n - 1)), draw(st.integers(0, A.shape[1] - 1))
    if kind in ("nan", "inf", "-inf"):
        A[i, j] = float(kind)
    elif kind == "mismatched":
        A = A[: draw(st.integers(0, n - 1))]
    elif kind == "3d":
        A = A[:, :, None]
    elif kind == "no_columns":
        A = A[:, :0]
    elif kind == "object":
        A = A.astype(object)
    elif kind == "str":
        A = A.astype(str)
    elif kind == "complex":
        A = A + 1j
    elif kind == "few_samples":
        m = draw(st.integers(0, 1))
        X, Y, A = X[:m], Y[:m], A[:m]
    elif kind == "too_large":
        A[i, j] = draw(st.floats(MAX_ABS * 1.0001, 1.7e308)) * draw(st.sampled_from([-1, 1]))
    elif kind == "too_small_spread":  # a whole column at a scale below 1e-150, down to subnormals
        A[:, j] = A[:, j] * 10.0 ** draw(st.integers(-320, -152))
        if np.ptp(A[:, j]) == 0:
            A[0, j] = MIN_SPREAD / 4
    elif kind == "huge_int":
        A = np.rint(A).astype(np.int64)
        A[i, j] = draw(st.integers(2**53 + 1, 2**63 - 1)) * draw(st.sampled_from([-1, 1]))
    if side == "X":
        X = A
    else:
        Y = A
    return kind, X, Y


@pytest.mark.parametrize("name", NAMES)
def test_invalid_input_is_rejected_with_a_message_naming_the_problem(name):
    # every defect is caught by the shared validation before any work: cheap for all estimators
    @_settings(name, fast=80, slow=40)
    @given(invalid_pairs())
    def prop(case):
        kind, X, Y = case
        value, exc = _fit(name, X, Y)
        assert exc is not None, f"{name} accepted {kind} input and returned {value}"
        assert EXPECTED_WORDS[kind] in str(exc), f"{name}: message for {kind} does not say so: {exc}"

    prop()


@pytest.mark.parametrize("name", NAMES)
def test_one_and_two_dimensional_input_and_integer_dtypes_agree(name):
    """(n,) and (n, 1) are the same data; int/bool arrays are the same values as float64."""

    @_settings(name, fast=25, slow=4)
    @given(seed=st.integers(0, 2**16), n=st.integers(10, 40), dtype=st.sampled_from(["int8", "int64", "uint8", "bool"]))
    def prop(seed, n, dtype):
        X, Y = _gaussian(seed, n)
        assert _ok(name, X[:, 0], Y[:, 0]) == _ok(name, X, Y)
        Xi, Yi = (
            (X > 0, Y > 0)
            if dtype == "bool"
            else (np.rint(3 * X + 10).astype(dtype), np.rint(3 * Y + 10).astype(dtype))
        )
        value, exc = _fit(name, Xi, Yi)
        as_float = _fit(name, Xi.astype(np.float64), Yi.astype(np.float64))
        assert (value, str(exc)) == (as_float[0], str(as_float[1])), (
            f"{dtype} input differs from the same values as float64"
        )

    prop()


@pytest.mark.parametrize("name", NAMES)
def test_power_of_two_scaling_leaves_the_estimate_unchanged(name):
    """MI is invariant when one side is multiplied by a constant; a power of two is exact in
    floating point, so scales from 2^-495 (1.2e-150) to 2^495 (1e149) must give the estimate at
    scale 1 — up to rounding in the standardisation, whitening and SVD steps (1e-6 nats)."""
    dx = 2 if (get_estimator_class(name).get_tags()["max_dim"] or 3) >= 3 else 1  # 1-D-only estimators: 1+1

    @_settings(name, fast=25, slow=4)
    @given(seed=st.integers(0, 2**16), n=st.integers(12, 40), k=st.integers(-495, 495), side=st.sampled_from("XY"))
    def prop(seed, n, k, side):
        X, Y = _gaussian(seed, n, dx, 1)
        ref = _ok(name, X, Y)
        scaled = _ok(name, X * 2.0**k, Y) if side == "X" else _ok(name, X, Y * 2.0**k)
        assert abs(scaled - ref) <= 1e-6, f"scale 2^{k} on {side}: {scaled} vs {ref} at scale 1"

    prop()


@pytest.mark.parametrize("name", NAMES)
def test_constant_columns_and_sides(name):
    """A constant column carries no information (the estimate must not change, where the
    estimator's input layout allows it to stay bit-comparable); a constant side is independent of
    the other: I = 0 (exactly for the plug-in, Gaussian, KL and KDE estimators; within 0.1 nats for
    the k-NN counts and neural critics, which see jitter or a zero input — measured ≤ 3e-3)."""

    @_settings(name, fast=20, slow=4)
    @given(seed=st.integers(0, 2**16), n=st.integers(12, 40), value=st.sampled_from([0.0, -3.5, 1e100, 1e-120]))
    def prop(seed, n, value):
        X, Y = _gaussian(seed, n, 1, 1)
        if name in CONSTANT_COLUMN_INVARIANT:
            # the constant is a value inside X's range, so a global-range binning keeps its bins
            Xc = np.column_stack([X, np.full(n, X[0, 0])])
            assert abs(_ok(name, Xc, Y) - _ok(name, X, Y)) <= 1e-6, "a constant column changed the estimate"
        const = np.full((n, 2), value)
        for pair in ((const, Y), (X, const)):
            v = _ok(name, *pair)
            if name in EXACT_ZERO_ON_CONSTANT:
                assert v == 0.0, f"constant side gave {v}, not 0"
            else:
                assert abs(v) <= 0.1, f"constant side gave {v}"

    prop()


# ------------------------------------------------------- regression tests for the bugs found above
def test_regression_overflowing_scale_is_rejected_not_nan():
    """Before: data at 1e154…1e308 gave NaN (kl, wkl, kde-ml, kde-lse), a wrong 0 (ksg,
    compressed-pca) or LinAlgError (gaussian); data at 1e-200 gave -41.6 (kl) or 0 (ksg, kde)."""
    X, Y = _gaussian(0, 30, 2, 1)
    for name in ("kl", "kde-ml", "ksg", "gaussian"):
        with pytest.raises(ValueError, match="magnitude.*rescale X"):
            ibbench.get_estimator(name).fit(X * 1e200, Y)
        with pytest.raises(ValueError, match="varies only by.*rescale Y"):
            ibbench.get_estimator(name).fit(X, Y * 1e-200)
        # the bounds themselves are fine: 1e150 magnitude, 1e-150 spread
        ok = ibbench.get_estimator(name).fit(X / 4 * 1e150, Y).mutual_info_
        assert math.isfinite(ok)


def test_regression_constant_column_no_longer_biases_kl_and_kde():
    """Before: appending a constant column to X moved KL from 0.42 to -1.69 nats and KDE-LSCV from
    0.30 to -4.65 at n = 500; a constant X gave KL -16 nats instead of 0."""
    X, Y = _gaussian(1, 500)
    for name in ("kl", "wkl", "kde-ml", "kde-lse"):
        est = ibbench.get_estimator(name, **get_estimator_class(name).get_test_params())  # seeded jitter
        plain = est.fit(X, Y).mutual_info_
        assert est.fit(np.column_stack([X, np.full(500, 7.0)]), Y).mutual_info_ == pytest.approx(plain, abs=1e-9)
        const = est.fit(np.full((500, 1), 7.0), Y)
        assert const.mutual_info_ == 0.0 and const.entropy_x_ == -np.inf and const.entropy_xy_ == -np.inf
        assert math.isfinite(const.entropy_y_)  # the other side is still estimated
        # its entropy is that of Y alone: compare with the Gaussian entropy 0.5 log(2 pi e var)
        assert const.entropy_y_ == pytest.approx(0.5 * np.log(2 * np.pi * np.e * Y.var()), abs=0.15)


def test_regression_binning_auto_discrete_ignores_floats_beyond_2_53():
    """Before: continuous data at scale 1e20 are all integer-valued floats, so ``discrete_x="auto"``
    used every row as its own symbol (estimate log n instead of the binned value)."""
    X, Y = _gaussian(2, 300)
    est = ibbench.get_estimator("binning", n_bins=8)
    assert est.fit(X * 2.0**70, Y).mutual_info_ == est.fit(X, Y).mutual_info_
    assert est.binned_ == (True, True)


def test_regression_integers_beyond_2_53_are_rejected():
    """float64 cannot hold every int64: 2**62 and 2**62 + 1 would silently become one symbol."""
    X = np.array([2**62, 2**62 + 1, 0, 1])
    with pytest.raises(ValueError, match="2\\*\\*53"):
        ibbench.get_estimator("exact").fit(X, np.array([0, 1, 0, 1]))


def test_regression_small_sample_messages_say_what_is_needed():
    x, y = np.array([0.1, 0.5, 0.2]), np.array([1.0, 0.3, 0.7])
    with pytest.raises(ValueError, match="k=3 neighbours need at least 4 samples, got n=3"):
        ibbench.get_estimator("ksg", k=3).fit(x, y)
    with pytest.raises(ValueError, match="n=2 samples cannot determine a 2-dimensional covariance"):
        ibbench.get_estimator("gaussian").fit(x[:2], y[:2])
