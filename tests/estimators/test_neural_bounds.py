"""The JS-trained and plain-DV neural estimators (``dv``, ``smile``, ``js``) and early stopping.

Bounds are checked on a discrete joint distribution whose expectations the bound functions compute
exactly (samples replicated in proportion to their probabilities), against scipy's entropy and
Jensen–Shannon distance; trained estimators against the Gaussian closed form ``true_mi``.
"""

import math

import numpy as np
import pytest
import torch
from scipy.spatial.distance import jensenshannon
from scipy.stats import entropy

import ibbench
from ibbench.estimators.bounds import donsker_varadhan, jensen_shannon, nwj, nwj_shifted, smile_readout
from ibbench.estimators.neural import DV, JS, MINE, NWJ, SMILE, InfoNCE, NeuralEstimator
from ibbench.tasks.gaussian import DenseGaussian

NEW = [DV, SMILE, JS]
FAST = {"hidden": (64, 64), "n_steps": 300, "batch_size": 256, "lr": 2e-3, "random_state": 0}

# a 2 × 3 joint distribution in 20ths whose marginals' product is in 100ths
P = np.array([[7, 2, 1], [1, 2, 7]]) / 20
Q = np.outer(P.sum(1), P.sum(0))
LOG_RATIO = np.log(P / Q)


def _expectation_samples(T: np.ndarray) -> tuple[torch.Tensor, torch.Tensor]:
    """Score vectors whose plain means are exactly ``E_p[T]`` and ``E_q[T]`` (rows repeated by weight)."""
    joint = np.repeat(T.ravel(), np.round(P.ravel() * 20).astype(int))  # P in 20ths
    marginal = np.repeat(T.ravel(), np.round(Q.ravel() * 100).astype(int))  # Q in 100ths
    assert len(joint) == 20 and len(marginal) == 100
    return torch.as_tensor(joint), torch.as_tensor(marginal)


def test_js_objective_is_maximal_at_the_log_ratio_with_value_from_the_jsd():
    mi = entropy(P.ravel(), Q.ravel())  # KL(p || q) = I(X; Y)
    assert mi > 0.2
    best = float(jensen_shannon(*_expectation_samples(LOG_RATIO)))
    # maximum of the f-GAN JS objective: 2 JSD(p, q) − log 4 (scipy returns sqrt(JSD), natural log)
    assert best == pytest.approx(2 * jensenshannon(P.ravel(), Q.ravel()) ** 2 - math.log(4), abs=1e-12)
    rng = np.random.default_rng(0)
    for _ in range(20):
        other = LOG_RATIO + 0.3 * rng.standard_normal(LOG_RATIO.shape)
        assert float(jensen_shannon(*_expectation_samples(other))) < best


def test_readouts_are_exact_at_their_optimal_critics():
    mi = entropy(P.ravel(), Q.ravel())
    joint, marginal = _expectation_samples(LOG_RATIO)
    # the JS critic is the log ratio: NWJ of the critic + 1 is the MI, NWJ of the critic itself is e^-1 low
    assert float(nwj_shifted(joint, marginal)) == pytest.approx(mi, abs=1e-12)
    assert float(nwj(joint, marginal)) == pytest.approx(mi - math.exp(-1), abs=1e-12)
    assert float(donsker_varadhan(joint, marginal)) == pytest.approx(mi, abs=1e-12)
    # SMILE with a threshold above every |log ratio| is DV
    assert np.abs(LOG_RATIO).max() < 2
    assert float(smile_readout(2.0)(joint, marginal)) == pytest.approx(mi, abs=1e-12)


def test_nwj_shifted_is_nwj_of_the_shifted_critic():
    gen = torch.Generator().manual_seed(0)
    a, b = torch.randn(50, generator=gen, dtype=torch.float64), torch.randn(70, generator=gen, dtype=torch.float64)
    assert float(nwj_shifted(a, b)) == pytest.approx(float(nwj(a + 1, b + 1)), abs=1e-12)


def test_smile_clips_only_the_partition_term():
    tau = 0.5
    joint, marginal = _expectation_samples(LOG_RATIO)
    # E_q[clip(r, e^-τ, e^τ)] by hand: every ratio moved into [e^-0.5, e^0.5]
    clipped_ratio = np.clip(P / Q, math.exp(-tau), math.exp(tau))
    expected = float((P * LOG_RATIO).sum()) - math.log(float((Q * clipped_ratio).sum()))
    assert float(smile_readout(tau)(joint, marginal)) == pytest.approx(expected, abs=1e-12)
    assert abs(expected - entropy(P.ravel(), Q.ravel())) > 0.05  # the clipping matters here
    # a joint score far beyond τ is not clipped: E_p[T] = 10, E_q[clip(e^0)] = 1
    assert float(smile_readout(tau)(torch.full((5,), 10.0), torch.zeros(5))) == pytest.approx(10.0)
    with pytest.raises(ValueError, match="clip"):
        smile_readout(0.0)


# ----------------------------------------------------------------------------------- trained estimators
@pytest.mark.parametrize("cls", NEW)
def test_accuracy_on_a_reduced_budget(cls):
    task = DenseGaussian(dim=1, mi=1.0)
    X, Y = task.sample(2000, random_state=0)
    # as for MINE/NWJ/InfoNCE (test_neural.py): 400 held-out rows (SE ~0.05 nats) and 300 steps
    assert cls(**FAST).fit(X, Y).mutual_info_ == pytest.approx(task.true_mi, abs=0.2)
    X0, Y0 = DenseGaussian(dim=1, mi=0.0).sample(2000, random_state=1)
    assert abs(cls(**FAST).estimate(X0, Y0)) < 0.1


@pytest.mark.parametrize("cls", NEW)
def test_same_seed_same_estimate(cls):
    X, Y = DenseGaussian(dim=2, mi=0.5).sample(600, random_state=0)
    params = dict(FAST, n_steps=40)
    a, b = cls(**params).fit(X, Y), cls(**params).fit(X, Y)
    assert a.mutual_info_ == b.mutual_info_ and a.history_ == b.history_
    assert cls(**dict(params, random_state=1)).fit(X, Y).mutual_info_ != a.mutual_info_


class _JSTrainedDV(NeuralEstimator):
    name = "test-js-dv"

    def _fit(self, X, Y, rng):
        self._train(X, Y, rng, objective=jensen_shannon, readout=donsker_varadhan)


def test_smile_and_js_train_the_same_critic_and_differ_only_in_the_readout():
    X, Y = DenseGaussian(dim=1, mi=1.0).sample(800, random_state=0)
    params = dict(FAST, n_steps=30)
    smile, js = SMILE(**params).fit(X, Y), JS(**params).fit(X, Y)
    assert smile.history_["eval_step"] == js.history_["eval_step"]
    assert smile.mutual_info_ != js.mutual_info_
    # with a threshold no score reaches, SMILE is the DV bound of the JS-trained critic, bit for bit
    assert SMILE(**dict(params, clip=1e6)).fit(X, Y).mutual_info_ == _JSTrainedDV(**params).fit(X, Y).mutual_info_
    assert SMILE(**dict(params, clip=0.05)).fit(X, Y).mutual_info_ != smile.mutual_info_
    with pytest.raises(ValueError, match="clip"):
        SMILE(**dict(params, clip=0.0)).fit(X, Y)


def test_registered():
    for name, cls in [("dv", DV), ("smile", SMILE), ("js", JS)]:
        assert type(ibbench.get_estimator(name)) is cls
        assert cls.get_tags()["stochastic"]


# ----------------------------------------------------------------------------------------- early stopping
def _smoothed_by_hand(steps, evals, window_steps):
    """Mean of the evaluations at steps in (s − window, s] for every evaluation step s."""
    steps, evals = np.asarray(steps), np.asarray(evals)
    return [float(evals[(steps > s - window_steps) & (steps <= s)].mean()) for s in steps]


def test_early_stopping_history_window_and_estimate():
    X, Y = DenseGaussian(dim=1, mi=1.0).sample(400, random_state=0)
    params = dict(FAST, n_steps=400, average_last=0.1, early_stopping=True, patience=4, validation_every=7)
    est = NWJ(**params).fit(X, Y)
    h = est.history_
    trained = est.n_steps_
    assert len(h["train"]) == trained <= 400
    # evaluations every 7 steps from step 7 on, plus the last step when training ran to the end
    expected_steps = list(range(7, trained + 1, 7))
    if trained == 400 and expected_steps[-1] != 400:
        expected_steps.append(400)
    assert h["eval_step"] == expected_steps
    smoothed = _smoothed_by_hand(h["eval_step"], h["eval"], window_steps=40)
    assert h["smoothed"] == pytest.approx(smoothed, abs=1e-12)
    best = int(np.argmax(smoothed))
    assert h["stop_step"] == h["eval_step"][best]
    assert est.mutual_info_ == pytest.approx(max(smoothed), abs=1e-12)
    first, last = h["window"]
    assert last == best and est.mutual_info_ == pytest.approx(np.mean(h["eval"][first : last + 1]), abs=1e-12)
    if trained < 400:  # stopped: exactly `patience` evaluations after the best without improvement
        assert len(h["eval"]) - 1 - best == 4


def test_early_stopping_rescues_an_overfitting_infonce_critic():
    """At n = 400 with 64 dims of noise next to the signal the separable critic memorises the
    training pairs: its held-out bound peaks early, then falls far below zero. Early stopping
    reports the peak (the true MI is 1 nat)."""
    rng = np.random.default_rng(0)
    X, Y = DenseGaussian(dim=1, mi=1.0).sample(400, random_state=0)
    X = np.hstack([X, rng.standard_normal((400, 64))])
    params = dict(hidden=(64, 64), n_steps=600, batch_size=128, lr=3e-3, weight_decay=0.0, random_state=0)
    plain = InfoNCE(**params).fit(X, Y)
    stopped = InfoNCE(**params, early_stopping=True).fit(X, Y)
    assert stopped.n_steps_ < 600
    assert plain.mutual_info_ < 0.0
    assert 0.2 < stopped.mutual_info_ < 1.2


def test_early_stopping_off_keeps_the_fixed_budget_protocol():
    X, Y = DenseGaussian(dim=1, mi=0.5).sample(500, random_state=0)
    params = dict(FAST, n_steps=50, average_last=0.2, eval_every=3)
    a = MINE(**params).fit(X, Y)
    b = MINE(**params, patience=1, validation_every=2).fit(X, Y)  # ignored without early stopping
    assert a.history_ == b.history_ and a.mutual_info_ == b.mutual_info_
    assert set(a.history_) == {"train", "eval_step", "eval"}
    assert a.device_ == "cpu"


@pytest.mark.parametrize("bad", [{"patience": 0}, {"validation_every": 0}, {"early_stopping": 1}])
def test_bad_early_stopping_parameters_raise(bad):
    X, Y = DenseGaussian(dim=1, mi=0.5).sample(200, random_state=0)
    with pytest.raises(ValueError, match=next(iter(bad))):
        DV(**{**FAST, "n_steps": 2, **bad}).fit(X, Y)


# ------------------------------------------------------------------------------- full-size study (slow)
@pytest.mark.slow
@pytest.mark.parametrize("name", ["dv", "smile", "js"])
@pytest.mark.parametrize("mi", [0.0, 1.0, 2.0, 4.0])
def test_gaussian_accuracy_at_default_settings(name, mi):
    """n = 5000, 2+2 dims, default settings: within max(0.05 nats, 15%) of the closed form."""
    task = ibbench.get_task("gaussian-dense", dim=2, mi=mi)
    X, Y = task.sample(5000, random_state=100)
    est = ibbench.get_estimator(name, random_state=0).fit(X, Y)
    assert abs(est.mutual_info_ - task.true_mi) <= max(0.05, 0.15 * task.true_mi), est.mutual_info_
