"""The registered qnn tasks: population samples, exact truth per repetition, parameters."""

import numpy as np
import pytest

import ibbench
from ibbench.estimators.discrete import ExactMI
from ibbench.tasks.qnn.network import dequantize

PARAMS = {"activation": "tanh", "bits": 4, "layer": 4, "epochs": 3, "n_snapshots": 3}


pytestmark = pytest.mark.usefixtures("qnn_cache")


@pytest.mark.parametrize("name", ["qnn-szt-xt", "qnn-szt-ty", "qnn-digits-xt", "qnn-digits-ty"])
def test_truth_equals_the_plug_in_of_the_codes_over_the_population(name):
    params = dict(PARAMS, activation="relu", layer=3) if "digits" in name else PARAMS
    task = ibbench.get_task(name, **params)
    for seed in (0, 1):
        X, Y = task.sample(None, random_state=seed)
        codes = task.codes(seed)
        # the independent reference: the `exact` estimator on the population, rows of codes as symbols
        if task.side == "xt":
            reference = ExactMI().estimate(X, codes)
            t = Y
        else:
            reference = ExactMI().estimate(codes, Y)
            t = X
        assert task.true_mi_for(seed) == pytest.approx(reference, abs=1e-12)
        lo, hi = task.run(seed).ranges[-1, task.layer - 1]
        assert np.array_equal(t, dequantize(codes.astype(float), lo, hi, task.bits))
    assert task.true_mi == task.true_mi_for(0)
    assert not np.array_equal(task.codes(0), task.codes(1))  # the seed selects the repetition


def test_sample_returns_the_whole_population_and_ignores_n():
    task = ibbench.get_task("qnn-szt-xt", **PARAMS)
    X, T = task.sample(10, random_state=0)
    assert X.shape == (4096, 12) and T.shape == (4096, task.dim_y) == (4096, 4)
    assert np.array_equal(X[:, ::-1] @ (1 << np.arange(12)), np.arange(4096))
    X2, T2 = task.sample(None, random_state=0)
    assert np.array_equal(T, T2)
    Ty, y = ibbench.get_task("qnn-szt-ty", **PARAMS).sample(None, random_state=0)
    assert np.array_equal(Ty, T) and y.shape == (4096, 1) and y.sum() == 2118


def test_epoch_selects_the_snapshot():
    task0 = ibbench.get_task("qnn-szt-xt", **PARAMS, epoch=0)
    task3 = ibbench.get_task("qnn-szt-xt", **PARAMS, epoch=3)
    last = ibbench.get_task("qnn-szt-xt", **PARAMS)
    assert np.array_equal(task3.codes(0), last.codes(0))
    assert not np.array_equal(task0.codes(0), task3.codes(0))


def test_bad_parameters():
    with pytest.raises(ValueError, match="layer"):
        ibbench.get_task("qnn-szt-xt", layer=7)
    with pytest.raises(ValueError, match="snapshot epoch"):
        ibbench.get_task("qnn-szt-xt", epochs=100, epoch=99)
    with pytest.raises(ValueError, match="activation"):
        ibbench.get_task("qnn-szt-ty", activation="sigmoid")
    with pytest.raises(ValueError, match="repetition"):
        ibbench.get_task("qnn-szt-ty", **PARAMS).sample(None, random_state=-1)


def test_runner_scores_each_repetition_against_its_own_truth(tmp_path):
    store = tmp_path / "results.sqlite"
    ibbench.run(estimators="binning", tasks=[("qnn-szt-ty", PARAMS)], seeds=2, store=store, backend="inline")
    df = ibbench.load_results(store)
    task = ibbench.get_task("qnn-szt-ty", **PARAMS)
    assert sorted(df["seed"]) == [0, 1] and (df["status"] == "ok").all() and (df["n"] == 4096).all()
    for row in df.itertuples():
        assert row.true_mi == pytest.approx(task.true_mi_for(row.seed), abs=1e-12)
    assert df["true_mi"].nunique() == 2
