"""Peers run from ibbench (ibbench/peers, docs/peers.md).

The default tests need no peer: a *fake* peer environment (a folder with a manifest and a ``python``
wrapper that runs this interpreter with a fake ``bmi`` package on its path) exercises the whole
path — registry, adapter, runner script, file exchange, identity. Tests of the real bmi environment
are marked ``peers`` and skipped unless ``ibbench peers install bmi`` was run (in ``$IBBENCH_PEERS``).
"""

import json
import os
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

import ibbench
from ibbench import registry
from ibbench.cli import app
from ibbench.identity import estimator_identity
from ibbench.peers import PEER_ESTIMATORS, envs
from ibbench.peers.adapters import run_peer

runner = CliRunner()

FAKE_BMI = """
import json, os
import numpy as np


def _gauss_mi(x, y):
    r = np.corrcoef(x[:, 0], y[:, 0])[0, 1]
    return -0.5 * np.log(1 - r * r)


class _Fake:
    def __init__(self, **kwargs):
        self.kwargs = kwargs

    def estimate(self, x, y):
        if os.environ.get("FAKE_BMI_FAIL"):
            raise RuntimeError("fake bmi exploded: " + os.environ["FAKE_BMI_FAIL"])
        with open(os.environ["FAKE_BMI_LOG"], "a") as log:
            kw = {k: list(v) if isinstance(v, tuple) else v for k, v in self.kwargs.items()}
            shapes, unique = [x.shape, y.shape], len(np.unique(x[:, 0]))
            entry = {"cls": type(self).__name__, "kwargs": kw, "shapes": shapes, "unique": unique}
            log.write(json.dumps(entry) + "\\n")
        return _gauss_mi(x, y)


class KSGEnsembleFirstEstimator(_Fake): pass
class CCAMutualInformationEstimator(_Fake): pass
class HistogramEstimator(_Fake): pass
class MINEEstimator(_Fake): pass
class InfoNCEEstimator(_Fake): pass
class NWJEstimator(_Fake): pass
class DonskerVaradhanEstimator(_Fake): pass
"""


def _install_fake_bmi(root: Path, versions: dict[str, str] | None = None) -> Path:
    """A fake installed bmi environment under peers root ``root``; returns the log file the fake writes."""
    fake_site = root / "fake-site"
    (fake_site / "bmi").mkdir(parents=True)
    (fake_site / "bmi" / "__init__.py").write_text("")
    (fake_site / "bmi" / "estimators.py").write_text(textwrap.dedent(FAKE_BMI))
    bindir = root / "bmi" / "bin"
    bindir.mkdir(parents=True)
    python = bindir / "python"
    python.write_text(f'#!/bin/sh\nPYTHONPATH="{fake_site}" exec "{sys.executable}" "$@"\n')
    python.chmod(0o755)
    manifest = {"peer": "bmi", "versions": versions or {"benchmark-mi": "0.1.3", "jax": "0.4.30"}}
    (root / "bmi" / envs.MANIFEST).write_text(json.dumps(manifest))
    return root / "fake.log"


@pytest.fixture
def no_peers(tmp_path, monkeypatch):
    monkeypatch.setenv("IBBENCH_PEERS", str(tmp_path / "peers"))


@pytest.fixture
def fake_bmi(tmp_path, monkeypatch):
    log = _install_fake_bmi(tmp_path / "peers")
    monkeypatch.setenv("IBBENCH_PEERS", str(tmp_path / "peers"))
    monkeypatch.setenv("FAKE_BMI_LOG", str(log))
    return log


def _calls(log: Path) -> list[dict]:
    return [json.loads(line) for line in log.read_text().splitlines()]


def _sample(n=300, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, 2))
    return X, X + rng.normal(size=(n, 2))


# ---- without any peer -----------------------------------------------------------------------------


def test_adapters_are_not_listed_without_their_peer(no_peers):
    names = ibbench.list_estimators()
    assert not set(PEER_ESTIMATORS) & set(names)
    assert not set(PEER_ESTIMATORS) & set(registry.available_estimators())
    assert not set(PEER_ESTIMATORS) & set(registry.BUILTIN_ESTIMATORS)  # golden outputs never see them


def test_an_adapter_without_its_peer_says_how_to_install_it(no_peers):
    with pytest.raises(ValueError, match=r"not installed \(ibbench peers install bmi\)"):
        ibbench.get_estimator("bmi-ksg")
    with pytest.raises(ValueError, match="unknown estimator 'bmi-nope'"):
        ibbench.get_estimator("bmi-nope")


def test_list_estimators_shows_adapters_as_not_installed(no_peers):
    result = runner.invoke(app, ["list", "estimators"], env={"COLUMNS": "200"})
    assert result.exit_code == 0, result.output
    line = next(x for x in result.output.splitlines() if "bmi-ksg" in x)
    assert "not installed (ibbench peers install bmi)" in line
    assert "latentmi" in result.output


def test_peers_list_and_bad_peer_names(no_peers):
    result = runner.invoke(app, ["peers", "list"], env={"COLUMNS": "250"})
    assert result.exit_code == 0, result.output
    assert "not installed" in result.output and "bmi-ksg" in result.output
    bad = runner.invoke(app, ["peers", "install", "nope"])
    assert bad.exit_code == 2 and "unknown peer 'nope'" in bad.output
    with pytest.raises(ValueError, match="known peers: bmi, latentmi, torch-mist"):
        envs.peer_spec("nope")


def test_a_peer_folder_without_manifest_is_not_installed(tmp_path, monkeypatch):
    monkeypatch.setenv("IBBENCH_PEERS", str(tmp_path))
    (tmp_path / "bmi" / "bin").mkdir(parents=True)
    (tmp_path / "bmi" / "bin" / "python").write_text("")  # an interrupted install: no manifest
    assert not envs.is_installed("bmi")
    assert "bmi-ksg" not in ibbench.list_estimators()


def test_peers_root_follows_ibbench_peers(tmp_path, monkeypatch):
    monkeypatch.setenv("IBBENCH_PEERS", str(tmp_path))
    assert envs.env_dir("bmi") == tmp_path / "bmi"
    monkeypatch.delenv("IBBENCH_PEERS")
    assert envs.peers_root() == Path.home() / ".cache" / "ibbench" / "peers"


@pytest.mark.slow  # ~15 s: venv creation with ensurepip
def test_install_creates_a_venv_and_its_manifest(tmp_path, monkeypatch):
    """A peer with nothing to pip install: the venv, the recorded versions, the manifest, is_installed."""
    monkeypatch.setenv("IBBENCH_PEERS", str(tmp_path))
    spec = envs.PeerSpec(name="bmi", summary="", first=(), requirements=(), recorded=("pip", "not-a-dist"))
    monkeypatch.setitem(envs.PEERS, "bmi", spec)
    assert not envs.is_installed("bmi")
    data = envs.install("bmi")
    assert envs.is_installed("bmi") and envs.env_python("bmi").exists()
    assert set(data["versions"]) == {"pip"}  # a missing distribution is left out
    assert envs.installed_versions("bmi") == data["versions"]


# ---- with a fake bmi ------------------------------------------------------------------------------


def test_installed_adapters_join_the_registry(fake_bmi):
    names = ibbench.list_estimators()
    assert {n for n, (peer, _) in PEER_ESTIMATORS.items() if peer == "bmi"} <= set(names)
    assert "latentmi" not in names  # its peer is not installed
    for name in names:
        if name.startswith("bmi-"):
            assert registry.get_estimator_class(name).name == name


def test_adapter_round_trip_through_the_peer_process(fake_bmi):
    X, Y = _sample()
    est = ibbench.get_estimator("bmi-ksg", k=7).fit(X, Y)
    r = np.corrcoef(X[:, 0], Y[:, 0])[0, 1]
    assert est.mutual_info_ == pytest.approx(-0.5 * np.log(1 - r * r), rel=1e-12)
    assert est.peer_seconds_ >= 0
    (call,) = _calls(fake_bmi)
    assert call == {
        "cls": "KSGEnsembleFirstEstimator",
        "kwargs": {"neighborhoods": [7], "standardize": True},
        "shapes": [[300, 2], [300, 2]],
        "unique": 300,
    }


def test_bmi_ksg_breaks_ties_before_the_peer_and_only_then(fake_bmi):
    """bmi's KSG returns inf on tied rows: tied columns are jittered (seeded), continuous ones are not."""
    rng = np.random.default_rng(0)
    X = rng.integers(0, 3, (200, 1)).astype(float)
    Y = (X + rng.integers(0, 2, (200, 1))) % 3
    a = ibbench.get_estimator("bmi-ksg").estimate(X, Y)
    assert np.isfinite(a) and a == ibbench.get_estimator("bmi-ksg").estimate(X, Y)  # same noise each time
    assert [c["unique"] for c in _calls(fake_bmi)] == [200, 200]
    ibbench.get_estimator("bmi-cca").fit(X, Y)  # other adapters hand the data over as they are
    assert _calls(fake_bmi)[-1]["unique"] == 3


def test_adapter_parameters_reach_the_peer_constructor(fake_bmi):
    X, Y = _sample()
    ibbench.get_estimator("bmi-histogram", n_bins=9).fit(X, Y)
    ibbench.get_estimator("bmi-cca").fit(X, Y)
    ibbench.get_estimator("bmi-nwj", hidden_layers=(4, 3), max_n_steps=100, random_state=3).fit(X, Y)
    hist, cca, nwj = _calls(fake_bmi)
    assert (hist["cls"], hist["kwargs"]) == ("HistogramEstimator", {"n_bins_x": 9, "standardize": True})
    assert (cca["cls"], cca["kwargs"]) == ("CCAMutualInformationEstimator", {})
    assert nwj["cls"] == "NWJEstimator"
    kw = nwj["kwargs"]
    assert kw["hidden_layers"] == [4, 3] and kw["max_n_steps"] == 100 and kw["verbose"] is False
    assert kw["test_every_n_steps"] == 100  # capped at max_n_steps: bmi returns NaN without an evaluation
    assert kw["learning_rate"] == 0.1 and kw["batch_size"] == 256 and kw["train_test_split"] == 0.5


def test_peer_seed_comes_from_random_state(fake_bmi):
    X, Y = _sample()
    for seed in (0, 0, 1):
        ibbench.get_estimator("bmi-mine", max_n_steps=10, random_state=seed).fit(X, Y)
    a, b, c = (call["kwargs"]["seed"] for call in _calls(fake_bmi))
    assert a == b != c


def test_peer_versions_are_part_of_the_cell_key(fake_bmi, tmp_path):
    est = ibbench.get_estimator("bmi-ksg")
    before = estimator_identity("bmi-ksg", est)
    assert before["parts"]["peer"] == {"name": "bmi", "versions": {"benchmark-mi": "0.1.3", "jax": "0.4.30"}}
    manifest = Path(os.environ["IBBENCH_PEERS"]) / "bmi" / envs.MANIFEST
    data = json.loads(manifest.read_text())
    data["versions"]["benchmark-mi"] = "0.2.0"
    manifest.write_text(json.dumps(data))
    assert estimator_identity("bmi-ksg", est) != before


def test_peer_failures_carry_the_peer_stderr(fake_bmi, monkeypatch):
    monkeypatch.setenv("FAKE_BMI_FAIL", "badly")
    with pytest.raises(RuntimeError, match="fake bmi exploded: badly"):
        ibbench.get_estimator("bmi-cca").fit(*_sample())


def test_bad_adapter_parameters_are_value_errors(fake_bmi):
    with pytest.raises(ValueError, match="k"):
        ibbench.get_estimator("bmi-ksg", k=0).fit(*_sample())
    with pytest.raises(ValueError, match="train_test_split"):
        ibbench.get_estimator("bmi-dv", train_test_split=1.5).fit(*_sample())


def test_run_peer_refuses_a_missing_environment(no_peers):
    with pytest.raises(RuntimeError, match="ibbench peers install bmi"):
        run_peer("bmi", "ksg", {"k": 3, "standardize": True}, 0, *_sample())


# ---- the real bmi (skipped unless installed) --------------------------------------------------------

needs_bmi = pytest.mark.skipif(
    not envs.is_installed("bmi"), reason="bmi peer not installed (ibbench peers install bmi)"
)


@pytest.mark.peers
@needs_bmi
def test_real_bmi_agrees_with_ibbench_on_a_gaussian():
    task = ibbench.get_task("gaussian-dense", dim=2, mi=1.0)
    X, Y = task.sample(2000, random_state=0)
    cca = ibbench.get_estimator("bmi-cca").fit(X, Y)
    # both are the Gaussian MI of the sample's canonical correlations (closed form)
    assert cca.mutual_info_ == pytest.approx(ibbench.get_estimator("gaussian").estimate(X, Y), abs=1e-3)
    ksg = ibbench.get_estimator("bmi-ksg", k=3).estimate(X, Y)
    assert abs(ksg - task.true_mi) < 0.1
    assert cca.peer_versions_["benchmark-mi"] == "0.1.3"
