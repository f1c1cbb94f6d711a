"""The ``invariance`` tag and its conformance check (:func:`ibbench.testing.check_mi_estimator`)."""

import numpy as np
import pytest

import ibbench
import ibbench.estimators.knn as knn_module
from ibbench.estimators.binning import Binning
from ibbench.estimators.knn import KL, KSG, WKL
from ibbench.numerics.knn import column_scale
from ibbench.peers import PEER_ESTIMATORS
from ibbench.registry import get_estimator_class
from ibbench.testing import INVARIANCES, check_mi_estimator


def _invariance_result(estimator):
    return next(r for r in check_mi_estimator(estimator, raise_on_failure=False) if r.name == "invariance")


def _old_prepare_knn_input(A, standardize, jitter, rng):
    """The tie-breaking noise before the fix: scaled with mean|x| / std, added to uncentred columns."""
    if standardize:
        A = A / column_scale(A)
    if jitter > 0:
        A = A + jitter * np.maximum(1.0, np.mean(np.abs(A), axis=0)) * rng.standard_normal(A.shape)
    return A


@pytest.mark.parametrize("cls", [KSG, KL, WKL])
def test_the_check_catches_noise_scaled_by_the_offset(cls, monkeypatch):
    assert _invariance_result(cls).passed
    monkeypatch.setattr(knn_module, "prepare_knn_input", _old_prepare_knn_input)
    result = _invariance_result(cls)
    assert not result.passed
    assert "offsets up to 1e12" in result.message and "per-column-affine" in result.message


def test_a_claim_beyond_the_algorithm_fails():
    class PerColumnBinning(Binning):  # the global range is not per-column invariant
        tags = {"invariance": "per-column-affine"}

    result = _invariance_result(PerColumnBinning)
    assert not result.passed and "decimal scales" in result.message


def test_an_unknown_invariance_fails_with_the_known_values():
    class Vague(Binning):
        tags = {"invariance": "affine"}

    result = _invariance_result(Vague)
    assert not result.passed and "'affine'" in result.message and "per-side-scalar-affine" in result.message


def test_the_default_claims_nothing():
    assert ibbench.MIEstimator.get_tags()["invariance"] == "none"


@pytest.mark.parametrize("name", [n for n in ibbench.list_estimators() if n not in PEER_ESTIMATORS])
def test_every_estimator_declares_a_known_invariance(name):
    assert get_estimator_class(name).get_tags()["invariance"] in INVARIANCES
