"""Shared input validation and the MIEstimator base (README "Add your own estimator")."""

import numpy as np
import pytest

from ibbench.base import MIEstimator, accepts, validate_pair


def test_validate_pair_shapes_and_dtype():
    X, Y = validate_pair(np.arange(5), np.ones((5, 2), dtype=np.int32))
    assert X.shape == (5, 1) and Y.shape == (5, 2)
    assert X.dtype == Y.dtype == np.float64


@pytest.mark.parametrize(
    "x, y, match",
    [
        (np.array([1.0, np.nan, 2.0]), np.zeros(3), "X contains NaN or inf.*row 1"),
        (np.zeros(3), np.array([1.0, 2.0, np.inf]), "Y contains NaN or inf.*row 2"),
        (np.zeros(1), np.zeros(1), "at least 2 samples"),
        (np.zeros(4), np.zeros(5), "X has 4 rows but Y has 5"),
        (np.zeros((4, 2, 2)), np.zeros(4), "X must be 1-D .* got 3-D"),
        (np.array(["a", "b"]), np.zeros(2), "X must be numeric"),
        (np.zeros((3, 0)), np.zeros(3), "at least one column"),
    ],
)
def test_validate_pair_rejects_bad_input(x, y, match):
    with pytest.raises(ValueError, match=match):
        validate_pair(x, y)


def test_tags_merge_along_the_mro():
    class A(MIEstimator):
        tags = {"stochastic": True}

    class B(A):
        tags = {"accepts_x": "discrete"}

    tags = B.get_tags()
    assert tags["stochastic"] is True and tags["accepts_x"] == "discrete" and tags["accepts_y"] == "any"


def test_accepts_rule():
    assert accepts("continuous", "discrete")  # continuous estimators take discrete-valued data
    assert not accepts("discrete", "continuous")
    assert accepts("any", "continuous")
