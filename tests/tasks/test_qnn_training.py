"""Seeded quantization-aware training: determinism, snapshots, the on-disk cache."""

import numpy as np
import pytest

from ibbench.tasks.qnn import training
from ibbench.tasks.qnn.data import load_population
from ibbench.tasks.qnn.network import quantize_codes
from ibbench.tasks.qnn.training import TrainConfig, snapshot_epochs, stratified_split, train

SMALL = TrainConfig(activation="relu", bits=4, epochs=4, n_snapshots=4)


@pytest.fixture
def cache(tmp_path, monkeypatch):
    monkeypatch.setenv("IBBENCH_CACHE", str(tmp_path))
    monkeypatch.setattr(training, "_MEMORY", {})
    return tmp_path / "qnn"


def test_same_seed_same_weights_bit_for_bit():
    a, b = train(SMALL, 3, cache=False), train(SMALL, 3, cache=False)
    assert np.array_equal(a.params, b.params) and np.array_equal(a.relu_max, b.relu_max)
    assert all(np.array_equal(p, q) for p, q in zip(a.codes, b.codes))
    c = train(SMALL, 4, cache=False)
    assert not np.array_equal(a.params[0], c.params[0])
    # training changed the weights between snapshots
    assert not np.array_equal(a.params[0], a.params[-1])


def test_snapshot_epochs_are_log_spaced_and_include_both_ends():
    e = snapshot_epochs(8000, 40)
    assert e[0] == 0 and e[-1] == 8000 and (np.diff(e) > 0).all() and len(e) <= 41
    ratios = e[-10:][1:] / e[-10:][:-1]
    assert np.allclose(ratios, 8000 ** (1 / 38), rtol=0.02)  # geometric spacing at large epochs
    assert snapshot_epochs(0, 10).tolist() == [0]


def test_run_contents_are_consistent(cache):
    run = train(SMALL, 0)
    assert run.epochs.tolist() == snapshot_epochs(4, 4).tolist()
    assert [c.shape for c in run.codes] == [(len(run.epochs), 4096, w) for w in (10, 7, 5, 4, 3, 2)]
    assert all(c.dtype == np.uint8 for c in run.codes)
    # recomputing from the stored parameters and ranges reproduces the stored codes
    s = len(run.epochs) - 1
    floats = run.float_activations(s)
    import torch

    for layer, a in enumerate(floats):
        lo, hi = run.ranges[s, layer]
        again = quantize_codes(torch.from_numpy(a), lo, hi, 4).numpy()
        assert np.array_equal(again, run.codes[layer][s])
        t = run.activations(layer, s)
        assert t.min() >= lo - 1e-12 and t.max() <= hi + 1e-12
    assert np.all((run.train_accuracy >= 0) & (run.train_accuracy <= 1))


def test_cache_is_keyed_by_config_and_never_retrains(cache, monkeypatch):
    run = train(SMALL, 0)
    files = list(cache.glob("*.npz"))
    assert len(files) == 1 and files[0].stem == SMALL.key(0)
    monkeypatch.setattr(training, "_MEMORY", {})
    monkeypatch.setattr(training, "_train", lambda *a: pytest.fail("retrained a cached run"))
    again = train(SMALL, 0)
    assert again.config == run.config and again.train_seconds == run.train_seconds
    assert np.array_equal(again.params, run.params)
    assert all(np.array_equal(p, q) for p, q in zip(again.codes, run.codes))
    assert SMALL.key(0) != SMALL.key(1) != TrainConfig(activation="relu", bits=8, epochs=4, n_snapshots=4).key(1)


def test_stratified_split():
    _, y = load_population("szt")
    train_idx, test_idx = stratified_split(y, 0.2, 0)
    assert len(np.intersect1d(train_idx, test_idx)) == 0 and len(train_idx) + len(test_idx) == 4096
    assert abs(y[test_idx].mean() - y.mean()) < 1 / len(test_idx) + 1e-12


def test_bad_config():
    with pytest.raises(ValueError, match="dataset"):
        TrainConfig(dataset="mnist")
    with pytest.raises(ValueError, match="epochs"):
        TrainConfig(epochs=-1)
