"""ibbench.infoplane: information planes of your own torch model.

The exact path is checked against the QNN tasks' own training and exact-MI code (same seed); the
noise remedy against the closed-form MI of a linear Gaussian channel; the choices against the
recommendation table; plus the injective-layer warning, ceilings, the store, the plot and the CLI.
"""

from __future__ import annotations

import math
import warnings

import numpy as np
import pytest

torch = pytest.importorskip("torch")
from torch import nn  # noqa: E402

from ibbench.estimators.knn import KSG  # noqa: E402
from ibbench.information_plane import CEILINGS, InfoPlaneWarning, infoplane  # noqa: E402
from ibbench.information_plane.measure import ceiling_of  # noqa: E402

# injective layers warn by design; the tests that check a warning catch it with pytest.warns
pytestmark = pytest.mark.filterwarnings("ignore::ibbench.information_plane.api.InfoPlaneWarning")


class Rounded(nn.Module):
    """A layer of integer codes: the rounded output of a linear map."""

    def __init__(self, d_in: int, d_out: int) -> None:
        super().__init__()
        self.lin = nn.Linear(d_in, d_out, dtype=torch.float64)

    def forward(self, x):
        return torch.round(self.lin(x))


def small_net(d_in=3, seed=0):
    torch.manual_seed(seed)
    return nn.Sequential(
        nn.Linear(d_in, 4, dtype=torch.float64),
        nn.Tanh(),
        nn.Linear(4, 1, dtype=torch.float64),
        nn.ReLU(),
    )


def gaussian_data(n=400, d=3, seed=0):
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((n, d))
    y = (x[:, 0] > 0).astype(np.int64)
    return x, y


# -- the exact path: the QNN tasks' network and exact MI -------------------------------------------
@pytest.mark.parametrize("activation", ["tanh", "relu"])
def test_szt_exact_reproduces_qnn_task(activation):
    """Same seed: the infoplane of the SZT network equals the QNN task's exact plane per layer and epoch."""
    from ibbench.information_plane.qnn import qnn_setup
    from ibbench.numerics.torch_determinism import deterministic_torch
    from ibbench.tasks.qnn.exact_mi import information_plane
    from ibbench.tasks.qnn.training import TrainConfig, train

    config = TrainConfig(dataset="szt", activation=activation, bits=4, epochs=12, n_snapshots=5)
    with deterministic_torch(1), warnings.catch_warnings():
        warnings.simplefilter("ignore", InfoPlaneWarning)  # injective quantized layers reach log N
        result = infoplane(random_state=0, verbose=False, **qnn_setup(config, seed=2))
    reference = train(config, 2, cache=False)
    assert all(c.exact for c in result.choices)
    np.testing.assert_array_equal(result.epochs, reference.epochs)
    np.testing.assert_allclose(result.plane(), information_plane(reference), rtol=0, atol=1e-12)
    assert (result.frame["stderr"] == 0).all() and (result.frame["uncertainty"] == "exact").all()


# -- estimator choice -------------------------------------------------------------------------------
def test_auto_chooses_exact_for_codes_and_the_recommendation_otherwise():
    from ibbench.recommend import recommend

    x, y = gaussian_data()
    model = nn.Sequential(small_net(), Rounded(1, 2))
    result = infoplane(model, x, y, ["0.1", "1"], time_budget=0.5, random_state=0, verbose=False)
    by = {(c.layer, c.side): c for c in result.choices}
    assert by["1", "xt"].exact and by["1", "ty"].exact  # integer codes: counted
    # continuous tanh layer (dim 4) on continuous X (dim 3): the table's choice for dim 4, n 400
    assert not by["0.1", "xt"].exact
    expected = recommend(dim=4, n=400, time_budget=0.5, kind="continuous")
    assert (by["0.1", "xt"].estimator, by["0.1", "xt"].params) == (expected.estimator, expected.params)
    # T continuous, Y labels: mixed
    mixed = recommend(dim=4, n=400, time_budget=0.5, kind="mixed")
    assert (by["0.1", "ty"].estimator, by["0.1", "ty"].params) == (mixed.estimator, mixed.params)
    # the exact values are plug-in counts over the 400 inputs
    codes = result.frame[(result.frame["layer"] == "1")]
    t = torch.round(model[1].lin(model[0](torch.from_numpy(x)))).detach().numpy()
    _, counts = np.unique(t, axis=0, return_counts=True)
    p = counts / counts.sum()
    assert codes[codes["side"] == "xt"]["mi"].iloc[0] == pytest.approx(-np.sum(p * np.log(p)), abs=1e-12)


def test_a_named_estimator_and_an_object_are_used_as_given():
    from ibbench.estimators.gaussian import GaussianMI

    x, y = gaussian_data()
    named = infoplane(small_net(), x, y, ["1"], estimator="gaussian", verbose=False)
    given = infoplane(small_net(), x, y, ["1"], estimator=GaussianMI(), verbose=False)
    assert {c.estimator for c in named.choices} == {"gaussian"}
    np.testing.assert_allclose(named.frame["mi"], given.frame["mi"])


def test_compression_wrapper_reports_reconstruction_error():
    x, y = gaussian_data()
    result = infoplane(small_net(), x, y, ["1"], estimator="compressed-pca", random_state=0, verbose=False)
    assert np.isfinite(result.frame["reconstruction_error_x"]).all()
    assert np.isfinite(result.frame["reconstruction_error_y"]).all()


@pytest.mark.parametrize(
    ("options", "source"), [({"repeats": 3}, "repeats"), ({"uncertainty": "jackknife"}, "jackknife")]
)
def test_every_estimate_carries_an_interval(options, source):
    x, y = gaussian_data()
    result = infoplane(
        small_net(), x, y, ["1"], estimator="gaussian", noise=0.3, random_state=0, verbose=False, **options
    )
    frame = result.frame
    assert (frame["uncertainty"] == source).all()
    assert (
        (frame["stderr"] > 0).all() and (frame["ci_low"] < frame["mi"]).all() and (frame["mi"] < frame["ci_high"]).all()
    )


def test_auto_uncertainty_falls_back_to_subsampling_without_an_estimator_stderr():
    from ibbench.estimators.gaussian import GaussianMI

    class NoStderr(GaussianMI):
        def _fit(self, X, Y, rng):
            super()._fit(X, Y, rng)
            self.__dict__.pop("stderr_", None)
            self.__dict__.pop("ci_", None)

    x, y = gaussian_data()
    plain = infoplane(small_net(), x, y, ["1"], estimator=NoStderr(), noise=0.3, random_state=0, verbose=False)
    assert (plain.frame["uncertainty"] == "subsampling").all() and (plain.frame["stderr"] > 0).all()
    bare = infoplane(small_net(), x, y, ["1"], estimator=NoStderr(), noise=0.3, uncertainty="estimator", verbose=False)
    assert (bare.frame["uncertainty"] == "none").all() and bare.frame["stderr"].isna().all()


# -- remedies ---------------------------------------------------------------------------------------
def test_noise_defines_a_finite_reproducible_ixt():
    """T = w·X + N(0, σ²) with Gaussian X: I(X; T) = ½ log(1 + |w|²/σ²) (linear Gaussian channel)."""
    rng = np.random.default_rng(1)
    x = rng.standard_normal((4000, 2))
    y = (x[:, 0] > 0).astype(np.int64)
    torch.manual_seed(0)
    model = nn.Sequential(nn.Linear(2, 1, dtype=torch.float64))
    sigma = 0.5
    run = dict(layers=["0"], estimator="gaussian", noise=sigma, verbose=False)
    first = infoplane(model, x, y, random_state=7, **run)
    again = infoplane(model, x, y, random_state=7, **run)
    other = infoplane(model, x, y, random_state=8, **run)
    w = model[0].weight.detach().numpy().ravel()
    truth = 0.5 * math.log(1 + w @ w / sigma**2)
    ixt = first.frame[first.frame["side"] == "xt"]["mi"].iloc[0]
    assert math.isfinite(ixt) and ixt == pytest.approx(truth, abs=0.05)
    np.testing.assert_array_equal(first.frame["mi"], again.frame["mi"])  # reproducible under the seed
    assert not np.array_equal(first.frame["mi"], other.frame["mi"])  # the noise is drawn from the seed
    assert not first.injective_layers and not first.warnings


def test_quantize_counts_the_binned_layer_exactly():
    x, y = gaussian_data()
    model = small_net()
    result = infoplane(model, x, y, ["1"], quantize=2, verbose=False)
    t = model[1](model[0](torch.from_numpy(x))).detach().numpy()
    codes = np.rint((t - t.min()) / (t.max() - t.min()) * 3)  # 4 levels over the layer's range
    _, counts = np.unique(codes, axis=0, return_counts=True)
    p = counts / counts.sum()
    h = -np.sum(p * np.log(p))
    assert all(c.exact for c in result.choices)
    assert result.frame[result.frame["side"] == "xt"]["mi"].iloc[0] == pytest.approx(h, abs=1e-12)


# -- what is measured: the injective warning and ceilings ------------------------------------------
def test_injective_continuous_layer_is_warned_about():
    x, y = gaussian_data()
    model = small_net()  # layer "1": tanh of a 3 -> 4 linear map, injective; "3": ReLU of 1 unit, not
    with pytest.warns(InfoPlaneWarning, match="injective"):
        result = infoplane(model, x, y, ["1", "3"], estimator="gaussian", verbose=False)
    assert result.injective_layers == ["1"]
    assert any("layer 1: T is a deterministic, injective" in w and "bias" in w for w in result.warnings)
    assert result.input_entropy == pytest.approx(math.log(len(x)))
    xt = result.frame[result.frame["side"] == "xt"].set_index("layer")["injective"]
    assert bool(xt["1"]) and not bool(xt["3"])


@pytest.mark.parametrize(("n_epochs", "n_points"), [(200, 30), (1000, 40), (5, 30), (0, 2)])
def test_log_epochs(n_epochs, n_points):
    from ibbench.information_plane import log_epochs

    epochs = log_epochs(n_epochs, n_points)
    assert epochs[0] == 0 and epochs[-1] == n_epochs and (np.diff(epochs) > 0).all()
    assert min(n_points, n_epochs + 1) <= len(epochs) <= min(n_points, n_epochs + 1) + 1
    later = epochs[epochs >= 10]  # log-spaced: roughly constant ratios once rounding stops merging
    if len(later) > 3:
        ratios = later[1:] / later[:-1]
        assert ratios.max() / ratios.min() < 1.5


def test_ceiling_table():
    n = 1000
    assert ceiling_of("ksg", {}, n)[0] == pytest.approx(math.log(n))
    assert ceiling_of("infonce", {"batch_size": 64}, n)[0] == pytest.approx(math.log(64))
    assert ceiling_of("infonce", {"batch_size": 4096}, n)[0] == pytest.approx(math.log(n))
    assert ceiling_of("compressed-pca", {"estimator": "kl"}, n)[0] == pytest.approx(math.log(n))
    assert ceiling_of("gaussian", {}, n) is None
    from ibbench.estimators.neural import InfoNCE
    from ibbench.information_plane.choose import choose

    x = np.zeros((n, 2))
    given = choose("t", "xt", x, x, InfoNCE(batch_size=32))  # an object's changed parameters reach the table
    assert ceiling_of(given.estimator, given.params, n)[0] == pytest.approx(math.log(32))
    assert all(isinstance(names, tuple) and margin > 0 for names, _, margin, _ in CEILINGS)


def test_an_exact_injective_layer_is_flagged_at_log_n():
    x = np.arange(64).reshape(-1, 1).astype(np.float64)  # 64 distinct integer inputs
    y = (x[:, 0] % 2).astype(np.int64)
    model = nn.Sequential(nn.Identity())
    with pytest.warns(InfoPlaneWarning, match="log N"):
        result = infoplane(model, x, y, ["0"], verbose=False)
    row = result.frame[result.frame["side"] == "xt"].iloc[0]
    assert row["mi"] == pytest.approx(math.log(64)) and row["near_ceiling"]


# -- training, checkpoints, output -----------------------------------------------------------------
def test_train_fn_checkpoints_store_and_plot(tmp_path):
    from ibbench.information_plane.store import read_result

    x, y = gaussian_data(200)
    model = small_net()
    states = {}

    def train_fn(model, epoch):
        with torch.no_grad():
            model[0].weight.mul_(0.5)  # a deterministic "training" step
        states[epoch] = {k: v.clone() for k, v in model.state_dict().items()}

    states[0] = {k: v.clone() for k, v in model.state_dict().items()}
    trained = infoplane(model, x, y, ["1"], epochs=[0, 1, 3], train_fn=train_fn, quantize=3, verbose=False)
    assert trained.epochs.tolist() == [0, 1, 3]
    replay = infoplane(
        small_net(), x, y, ["1"], checkpoints={e: states[e] for e in (0, 1, 3)}, quantize=3, verbose=False
    )
    np.testing.assert_array_equal(trained.plane(), replay.plane())
    store = tmp_path / "results.sqlite"
    stored = infoplane(small_net(), x, y, ["1"], quantize=3, store=store, verbose=False)
    summary, frame = read_result(store, stored.analysis_id)
    np.testing.assert_allclose(frame["mi"], stored.frame["mi"])
    assert summary["choices"][0]["estimator"] == "exact" and len(stored.store_keys) == 2
    png = stored.plot(tmp_path / "plane.png")
    assert png.stat().st_size > 1000


def _sgd(lr):
    """``train_fn`` of one full-batch SGD step on the cross-entropy of the sign label, learning rate ``lr``."""
    x, y = gaussian_data(200)
    inputs, target = torch.as_tensor(x), torch.as_tensor(y, dtype=torch.float64)[:, None]

    def train_fn(model, epoch):
        optimizer = torch.optim.SGD(model.parameters(), lr=lr)
        optimizer.zero_grad()
        nn.functional.binary_cross_entropy_with_logits(model(inputs), target).backward()
        optimizer.step()

    return train_fn


def test_different_training_is_a_different_analysis_in_the_store(tmp_path):
    """Same model, data, options and seed; only train_fn's learning rate differs: two analyses, both stored."""
    from ibbench.information_plane.store import read_result

    x, y = gaussian_data(200)
    store = tmp_path / "results.sqlite"
    common = {"epochs": [0, 3], "quantize": 3, "random_state": 0, "store": store, "verbose": False}
    slow = infoplane(small_net(), x, y, ["1"], train_fn=_sgd(0.01), **common)
    fast = infoplane(small_net(), x, y, ["1"], train_fn=_sgd(5.0), **common)
    assert not np.array_equal(slow.plane(), fast.plane())  # the training did change what was measured
    assert slow.analysis_id != fast.analysis_id
    for result in (slow, fast):
        _summary, frame = read_result(store, result.analysis_id)
        np.testing.assert_array_equal(frame["mi"], result.frame["mi"])
    again = infoplane(small_net(), x, y, ["1"], train_fn=_sgd(0.01), **common)
    assert again.analysis_id == slow.analysis_id and again.store_keys == slow.store_keys  # a rerun replaces


def test_estimator_objects_are_keyed_by_their_identity_not_their_repr():
    from ibbench import MIEstimator
    from ibbench.information_plane.api import _estimator_key

    class Scaled(MIEstimator):
        """Gaussian MI of the first columns, times ``scale``; its repr hides the scale."""

        def __init__(self, scale=1.0):
            self.scale = scale

        def __repr__(self):
            return "Scaled()"

        def _fit(self, X, Y, rng):
            rho = np.corrcoef(X[:, 0], Y[:, 0])[0, 1]
            self.mutual_info_ = -0.5 * self.scale * np.log(1 - rho**2)

    x, y = gaussian_data(200)
    one, two = (
        infoplane(small_net(), x, y, ["1"], estimator=Scaled(scale), random_state=0, verbose=False)
        for scale in (1.0, 2.0)
    )
    np.testing.assert_allclose(two.frame["mi"], 2 * one.frame["mi"])
    assert one.analysis_id != two.analysis_id
    key = _estimator_key(Scaled(2.0))
    assert key["params"] == {"scale": 2.0} and key["code"]["class"].endswith("Scaled")  # edits change it
    assert _estimator_key(KSG(k=5)) == {"name": "ksg", "version": KSG.version, "params": {"k": 5}}


def test_top_level_name_is_callable():
    x, y = gaussian_data(50)
    import ibbench.information_plane.api  # noqa: F401 - importing the package must keep ibbench.infoplane callable

    result = ibbench.infoplane(small_net(), x, y, ["3"], quantize=2, verbose=False)
    assert len(result.frame) == 2


# -- bad input --------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"layers": ["nope"]}, "unknown layer name 'nope'"),
        ({"layers": None}, "layers"),
        ({"Y": np.zeros(10)}, "X has 400 rows but Y has 10"),
        ({"epochs": [0, 5, 5], "train_fn": lambda m, e: None}, "strictly increasing"),
        ({"epochs": [3, 1], "train_fn": lambda m, e: None}, "strictly increasing"),
        ({"quantize": 4, "noise": 0.1}, "not both"),
        ({"noise": -1.0}, "noise"),
        ({"quantize": 0}, "quantize"),
        ({"epochs": [0, 2]}, "train_fn"),
        ({"epochs": 3, "checkpoints": {0: {}}}, "not both"),
        ({"estimator": "no-such-estimator"}, "no-such-estimator"),
        ({"uncertainty": "bootstrap"}, "uncertainty"),
    ],
)
def test_bad_input_is_named(kwargs, match):
    x, y = gaussian_data()
    args = {"model": small_net(), "X": x, "Y": y, "layers": ["1"], "verbose": False, **kwargs}
    with pytest.raises(ValueError, match=match):
        infoplane(**args)


# -- the CLI form -----------------------------------------------------------------------------------
def test_cli_runs_a_file(tmp_path):
    from typer.testing import CliRunner

    from ibbench.cli import app

    script = tmp_path / "net.py"
    script.write_text(
        "import numpy as np, torch\n"
        "from torch import nn\n"
        "torch.manual_seed(0)\n"
        "model = nn.Sequential(nn.Linear(3, 4), nn.Tanh())\n"
        "X = np.random.default_rng(0).standard_normal((100, 3)).astype(np.float32)\n"
        "Y = (X[:, 0] > 0).astype(int)\n"
        "layers = ['1']\n"
    )
    out = tmp_path / "plane.png"
    res = CliRunner().invoke(app, ["infoplane", str(script), "--quantize", "2", "--out", str(out)])
    assert res.exit_code == 0, res.output
    assert "choice: layer 1, I(X;T): exact" in res.output and out.exists()
    bad = CliRunner().invoke(app, ["infoplane", str(script), "--layers", "nope"])
    assert bad.exit_code == 2 and "unknown layer name" in bad.output


@pytest.mark.parametrize("example", ["infoplane_szt.py", "infoplane_digits_mlp.py", "infoplane_bumps_cnn.py"])
def test_worked_examples_run_through_the_cli(example, tmp_path):
    """Each worked example file works with ``ibbench infoplane`` (shortened: 2 epochs, binned layers)."""
    from pathlib import Path

    from typer.testing import CliRunner

    from ibbench.cli import app

    path = Path(__file__).resolve().parents[1] / "examples" / example
    threads, deterministic = torch.get_num_threads(), torch.are_deterministic_algorithms_enabled()
    try:  # the example files set torch's thread count (and determinism) for their own process
        args = ["infoplane", str(path), "--epochs", "2", "--n-points", "2", "--quantize", "2"]
        res = CliRunner().invoke(app, [*args, "--out", str(tmp_path / "plane.png")])
    finally:
        torch.set_num_threads(threads)
        torch.use_deterministic_algorithms(deterministic)
    assert res.exit_code == 0, res.output
    assert "I(X;T): exact" in res.output and (tmp_path / "plane.png").exists()
