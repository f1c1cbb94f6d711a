"""Scoring metrics and bootstrap CIs against hand-computed values."""

import numpy as np
import pandas as pd
import pytest

from ibbench.scoring import bootstrap_ci, rank_estimators, score_groups


def _cells(rows):
    base = {"estimator": "e", "task": "t", "task_family": "f", "n": 100, "seconds": 1.0, "status": "ok"}
    return pd.DataFrame([{**base, **r} for r in rows])


def test_group_metrics_by_hand():
    df = _cells([
        {"estimator_label": "a", "task_label": "t1", "true_mi": 2.0, "estimate": 2.5},
        {"estimator_label": "a", "task_label": "t1", "true_mi": 2.0, "estimate": 1.9},
        {"estimator_label": "a", "task_label": "t1", "true_mi": 2.0, "estimate": None, "status": "timeout"},
        {"estimator_label": "a", "task_label": "t1", "true_mi": 2.0, "estimate": None, "status": "skipped"},
    ])
    g = score_groups(df).iloc[0]
    assert g["mean_estimate"] == pytest.approx(2.2)
    assert g["bias"] == pytest.approx(0.2)
    assert g["mae"] == pytest.approx(0.3)
    assert g["rmse"] == pytest.approx(np.sqrt((0.25 + 0.01) / 2))
    assert g["rel_error"] == pytest.approx(0.15)  # |err| / max(I, 1) with I = 2
    assert g["within_tol"] == pytest.approx(0.5)  # tolerance max(0.1, 0.2) = 0.2: only 1.9 is within
    assert g["failure_rate"] == pytest.approx(1 / 3)  # skipped cells are not attempts
    assert g["n_seeds"] == 2 and g["n_failed"] == 1


def test_bootstrap_ci_covers_the_mean_and_shrinks_with_n():
    rng = np.random.default_rng(0)
    small = bootstrap_ci(rng.normal(1.0, 1.0, 20))
    large = bootstrap_ci(rng.normal(1.0, 1.0, 2000))
    assert small[0] < 1.0 < small[1] and large[0] < 1.0 < large[1]
    assert (large[1] - large[0]) < (small[1] - small[0]) / 5
    assert np.isnan(bootstrap_ci(np.array([1.0]))[0])


def test_ranking_orders_by_relative_error_and_counts_failures():
    rows = []
    for label, est in (("good", 1.01), ("bad", 1.5)):
        for seed in range(3):
            rows.append({"estimator_label": label, "task_label": "t1", "true_mi": 1.0, "estimate": est, "seed": seed})
    rows.append({"estimator_label": "bad", "task_label": "t2", "true_mi": 1.0, "estimate": None, "status": "error"})
    board = rank_estimators(score_groups(_cells(rows)))
    assert board["estimator_label"].tolist() == ["good", "bad"]
    assert board["rank"].tolist() == [1, 2]
    bad = board.set_index("estimator_label").loc["bad"]
    assert bad["failure_rate"] == pytest.approx(0.25)
    assert bad["rel_error"] == pytest.approx((0.5 + 1.0) / 2)  # the failed group counts as 1
