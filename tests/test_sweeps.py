"""Parameter sweeps (``--estimators "ksg:k=3,ksg:k=10"``) and run files (``--config run.toml``).

Both must expand into distinct estimator/task configurations (distinct cell keys and labels) and
be recorded in the store's ``runs`` table.
"""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

import ibbench
from ibbench.cli import app
from ibbench.runfile import load_run_file
from ibbench.runner import split_specs
from ibbench.store import Store

TASK = "gaussian-dense:dim=1;mi=0.5"


def test_split_specs():
    assert split_specs("ksg:k=3,ksg:k=10") == [("ksg", {"k": 3}), ("ksg", {"k": 10})]
    assert split_specs("ksg:k=3,algorithm=2,gaussian") == [("ksg", {"k": 3, "algorithm": 2}), ("gaussian", {})]
    assert split_specs("gaussian-dense:dim=3;mi=1.0") == [("gaussian-dense", {"dim": 3, "mi": 1.0})]


def test_cli_estimator_sweep_is_two_configurations(tmp_path):
    store = tmp_path / "s.sqlite"
    result = CliRunner().invoke(
        app,
        ["run", "-e", "ksg:k=3,ksg:k=10", "-t", TASK, "--n", "200", "--seeds", "2", "--store", str(store), "--inline"],
    )
    assert result.exit_code == 0, result.output
    df = ibbench.load_results(store)
    assert sorted(df["est.k"].unique()) == [3, 10]
    assert df["key"].nunique() == 4 and set(df["estimator_label"]) == {"ksg", "ksg(k=10)"}  # k=3 is the default
    # different k, different estimates on the same samples
    by_k = df.pivot(index="seed", columns="est.k", values="estimate")
    assert (by_k[3] != by_k[10]).all()
    config = json.loads(Store(store).runs()["config"].iloc[-1])
    assert [spec[1]["k"] for spec in config["estimators"]] == [3, 10]


RUN_FILE = """
n = [150, 300]
seeds = 2

[[tasks]]
name = "categorical"
params = { n_symbols = 4, flip = 0.2 }

[[tasks]]
name = "gaussian-dense"
params = { dim = 1 }
grid = { mi = [0.5, 1.5] }

[[estimators]]
name = "ksg"
grid = { k = [3, 8] }

[[estimators]]
name = "gaussian"
"""


def test_run_file_grids_expand_and_are_recorded(tmp_path):
    path = tmp_path / "run.toml"
    path.write_text(RUN_FILE)
    options = load_run_file(path)
    assert options["estimators"] == [("ksg", {"k": 3}), ("ksg", {"k": 8}), ("gaussian", {})]
    assert options["tasks"] == [
        ("categorical", {"n_symbols": 4, "flip": 0.2}),
        ("gaussian-dense", {"dim": 1, "mi": 0.5}),
        ("gaussian-dense", {"dim": 1, "mi": 1.5}),
    ]
    store = tmp_path / "s.sqlite"
    result = CliRunner().invoke(app, ["run", "--config", str(path), "--store", str(store), "--inline"])
    assert result.exit_code == 0, result.output
    df = ibbench.load_results(store)
    assert len(df) == 3 * 3 * 2 * 2 and df["key"].nunique() == len(df)
    assert set(df["n"]) == {150, 300}
    run = Store(store).runs().iloc[-1]
    config = json.loads(run["config"])
    assert config["run_file"] == str(path) and config["run_file_text"] == RUN_FILE
    assert config["n"] == [150, 300] and config["seeds"] == [0, 1] and len(config["tasks"]) == 3


@pytest.mark.parametrize(
    "text, message",
    [
        ("bogus = 1", "unknown keys"),
        ("[[estimators]]\nparams = {k = 3}", "needs a name"),
        ("[[estimators]]\nname = 'ksg'\ngrid = {k = 3}", "non-empty list"),
        ("[[tasks]]\nname = 'categorical'\ngird = {flip = [0.1]}", "unknown keys"),
        ("n = [", "invalid TOML"),
    ],
)
def test_bad_run_files_are_one_clear_line(tmp_path, text, message):
    path = tmp_path / "run.toml"
    path.write_text(text)
    with pytest.raises(ValueError, match=message):
        load_run_file(path)
    result = CliRunner().invoke(app, ["run", "--config", str(path), "--store", str(tmp_path / "s.sqlite")])
    assert result.exit_code == 2 and message in result.output and "Traceback" not in result.output
