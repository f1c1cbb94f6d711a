"""Readable console output: short unique estimator labels with a legend, tables that wrap instead of cutting,
no raw Python dicts (``ibbench leaderboard`` / ``ibbench list`` as subprocesses at 80 columns)."""

import json
import os
import subprocess
import sys

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from rich.console import Console

from ibbench.registry import list_estimators
from ibbench.report.labels import (
    MAX_VALUE_LENGTH,
    abbreviate,
    console_table,
    default_params,
    estimator_labels,
    legend,
    short_label,
    unique_labels,
)
from ibbench.runner import params_label

# --- short labels -------------------------------------------------------------------------------------------


def test_parameter_names_are_abbreviated_by_their_words():
    assert abbreviate("n_steps") == "ns"
    assert abbreviate("n_components") == "nc"
    assert abbreviate("image_shape") == "is"
    assert abbreviate("k") == "k"
    assert abbreviate("bins") == "bins"
    assert abbreviate("hidden") == "hid"


def test_a_label_shows_only_the_parameters_that_differ_from_the_defaults():
    defaults = {"k": 3, "algorithm": 1, "n_steps": 1000}
    assert short_label("ksg", {"k": 3, "algorithm": 1, "n_steps": 1000}, defaults) == "ksg"
    assert short_label("ksg", {"k": 10, "algorithm": 1, "n_steps": 1000}, defaults) == "ksg(k=10)"
    assert short_label("ksg", {"k": 10, "algorithm": 2, "n_steps": 200}, defaults) == "ksg(alg=2,k=10,ns=200)"


def test_values_are_compact_and_long_ones_are_cut_with_a_tilde():
    defaults = {"hidden": [64, 64], "lr": 0.001, "path": ""}
    assert short_label("flow", {"hidden": [32, 32], "lr": 0.001, "path": ""}, defaults) == "flow(hid=32x32)"
    assert short_label("flow", {"hidden": [64, 64], "lr": 1e-4, "path": ""}, defaults) == "flow(lr=0.0001)"
    long = "x" * (MAX_VALUE_LENGTH + 5)
    label = short_label("flow", {"hidden": [64, 64], "lr": 0.001, "path": long}, defaults)
    assert label == "flow(path=" + "x" * (MAX_VALUE_LENGTH - 1) + "~)"


def test_names_that_would_abbreviate_alike_stay_whole():
    defaults = {"n_steps": 1, "n_samples": 1, "k": 1}
    label = short_label("est", {"n_steps": 5, "n_samples": 7, "k": 2}, defaults)
    assert label == "est(k=2,n_samples=7,n_steps=5)"


def test_an_equal_x_y_pair_is_shown_once_and_an_unequal_one_per_side():
    defaults = {"n_components_x": None, "n_components_y": None}
    assert short_label("e", {"n_components_x": 2, "n_components_y": 2}, defaults) == "e(nc=2)"
    assert short_label("e", {"n_components_x": 2, "n_components_y": 4}, defaults) == "e(ncx=2,ncy=4)"
    assert short_label("e", {"n_components_x": 2, "n_components_y": None}, defaults) == "e(ncx=2)"


def test_compression_wrappers_read_compression_arrow_inner_estimator():
    pca = default_params("compressed-pca")
    ae = default_params("compressed-ae")
    assert pca is not None and ae is not None
    assert short_label("compressed-pca", {**pca, "estimator": "wkl"}) == "pca→wkl"
    assert short_label("compressed-ae", {**ae, "estimator": "wkl"}) == "ae→wkl"
    inner = {**pca, "estimator": "kl", "estimator_params": {"k": 1}, "n_components_x": 4, "n_components_y": 4}
    assert short_label("compressed-pca", inner) == "pca(nc=4)→kl(k=1)"
    # the inner estimator's parameters are shown as given (explicitly, even at its default k=5)
    assert short_label("compressed-pca", {**pca, "estimator": "kl", "estimator_params": {"k": 5}}) == "pca→kl(k=5)"


def test_every_registered_estimator_with_its_defaults_is_labelled_by_its_bare_name():
    for name in list_estimators():
        defaults = default_params(name)
        if defaults is None:  # peers' adapters without their environment cannot be built here
            continue
        if name.startswith("compressed-"):  # a wrapper names its default inner estimator
            assert short_label(name, defaults) == f"{name.removeprefix('compressed-')}→{defaults['estimator']}"
        else:
            assert short_label(name, defaults) == name


def test_stored_cells_show_the_parameters_named_in_their_full_label_without_loading_the_estimator():
    params = {"k": 3, "alpha": 0.5, "seed": None, "n_steps": 10}
    cells = pd.DataFrame(
        {
            "estimator": ["my-plugin"] * 2,  # not registered: its defaults are unknown here
            "estimator_params": [json.dumps(params), json.dumps({**params, "k": 4})],
            "estimator_label": ["my-plugin(k=3, n_steps=10)", "my-plugin(k=4, n_steps=10)"],
        }
    )
    assert estimator_labels(cells) == {
        "my-plugin(k=3, n_steps=10)": "my-plugin(k=3,ns=10)",
        "my-plugin(k=4, n_steps=10)": "my-plugin(k=4,ns=10)",
    }
    assert list(legend(cells)["parameters"]) == ["k=3, n_steps=10", "k=4, n_steps=10"]
    assert short_label("my-plugin", params) == "my-plugin(alp=0.5,k=3,ns=10)"  # no label, no defaults: all but None


# --- uniqueness ---------------------------------------------------------------------------------------------


def test_colliding_short_labels_are_numbered_in_the_order_of_their_full_labels():
    short = {"b(v=long-1)": "b(v=long~)", "a(v=long-2)": "b(v=long~)", "c": "c"}
    assert unique_labels(short) == {"a(v=long-2)": "b(v=long~)#1", "b(v=long-1)": "b(v=long~)#2", "c": "c"}
    reordered = dict(reversed(list(short.items())))
    assert unique_labels(reordered) == unique_labels(short)  # deterministic, whatever the input order
    # a number already taken by another label is skipped
    assert unique_labels({"x1": "x", "x2": "x", "y": "x#1"}) == {"x1": "x#2", "x2": "x#3", "y": "x#1"}


@settings(deadline=None)  # the CPU is shared: timing is no part of the property
@given(st.dictionaries(st.text(min_size=1, max_size=6), st.sampled_from(["a", "b", "a#1", "a#2", "c"]), max_size=12))
def test_unique_labels_are_always_unique_and_only_change_collisions(short):
    labels = unique_labels(short)
    assert set(labels) == set(short)
    assert len(set(labels.values())) == len(labels)
    counts = pd.Series(list(short.values())).value_counts()
    for full, label in short.items():
        if counts[label] == 1:
            assert labels[full] == label


def _cells(configs):
    """Cells as the store holds them: the full label of ibbench.runner.params_label, params as JSON."""
    rows = []
    for name, params in configs:
        full = {**(default_params(name) or {}), **params}
        label = params_label(name, full, default_params(name) or {})
        rows.append({"estimator": name, "estimator_params": json.dumps(full), "estimator_label": label})
    return pd.DataFrame(rows)


def test_labels_of_stored_cells_are_unique_and_the_legend_spells_out_the_parameters():
    cells = _cells(
        [
            ("ksg", {}),
            ("ksg", {"k": 10}),
            ("kl", {"k": 1}),
            ("compressed-pca", {"estimator": "kl", "estimator_params": {"k": 1}, "n_components_x": 2}),
            ("compressed-ae", {"estimator": "wkl", "n_components_x": 2, "n_components_y": 2}),
            ("flow", {"hidden": [32, 32], "n_steps": 60}),
        ]
    )
    labels = estimator_labels(cells)
    assert labels == {
        "ksg": "ksg",
        "ksg(k=10)": "ksg(k=10)",
        "kl(k=1)": "kl(k=1)",
        "compressed-pca(estimator=kl, estimator_params={'k': 1}, n_components_x=2)": "pca(ncx=2)→kl(k=1)",
        "compressed-ae(estimator=wkl, n_components_x=2, n_components_y=2)": "ae(nc=2)→wkl",
        "flow(hidden=[32, 32], n_steps=60)": "flow(hid=32x32,ns=60)",
    }
    table = legend(cells, labels).set_index("label")
    assert table.loc["pca(ncx=2)→kl(k=1)", "estimator"] == "compressed-pca"
    assert table.loc["pca(ncx=2)→kl(k=1)", "parameters"] == 'estimator=kl, estimator_params={"k": 1}, n_components_x=2'
    assert table.loc["flow(hid=32x32,ns=60)", "parameters"] == "hidden=[32, 32], n_steps=60"
    assert table.loc["ksg", "parameters"] == "defaults"


def test_two_stored_configurations_with_the_same_short_label_are_told_apart():
    # values that differ only beyond the cut of a short label
    paths = ["/data/run-2026/latents-a.npy", "/data/run-2026/latents-b.npy"]
    cells = pd.DataFrame(
        {
            "estimator": ["my-plugin", "my-plugin"],
            "estimator_params": [json.dumps({"path": p}) for p in paths],
            "estimator_label": [f"my-plugin(path={p})" for p in paths],
        }
    )
    short = "my-plugin(path=/data/run-2026/~)"
    labels = estimator_labels(cells)
    assert labels == {f"my-plugin(path={paths[0]})": short + "#1", f"my-plugin(path={paths[1]})": short + "#2"}
    assert list(legend(cells)["parameters"]) == [f"path={p}" for p in paths]  # whole in the legend


# --- console tables -----------------------------------------------------------------------------------------


def _render(table, width):
    console = Console(width=width, record=True, file=open(os.devnull, "w"))  # noqa: SIM115 - closed by the GC
    console.print(table)
    return console.export_text()


@pytest.mark.parametrize("width", [40, 60, 80, 100, 160])
def test_a_console_table_never_cuts_a_cell_and_keeps_to_the_width(width):
    rows = pd.DataFrame(
        {
            "rank": ["1", "2"],
            "label": ["pca(nc=1)→wkl", "flow(hid=32x32,ns=60,tra=1)"],
            "mae": ["0.059", "1.23e-05"],
            "cold": ["0.018", "12.3"],
        }
    )
    columns = {"rank": "rank", "label": "estimator", "mae": "MAE (nats)", "cold": "s/cell cold"}
    text = _render(console_table(rows, columns, width=width, flexible="label", title="t", right=["mae"]), width)
    assert "…" not in text
    assert max(len(line) for line in text.splitlines()) <= width
    squeezed = "".join(text.split())
    for value in rows.to_numpy().ravel():  # every character of every cell is printed, in order
        assert value in squeezed or all(part in squeezed for part in value.split(","))
    if width >= 80:  # room enough: numbers and labels whole on one line
        for value in rows.to_numpy().ravel():
            assert any(value in line for line in text.splitlines())


# --- the CLI at 80 columns ----------------------------------------------------------------------------------


def _ibbench(*args, cwd):
    env = {**os.environ, "COLUMNS": "80", "NO_COLOR": "1"}
    env.pop("FORCE_COLOR", None)
    result = subprocess.run(
        [sys.executable, "-m", "ibbench.cli", *args], cwd=cwd, env=env, capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stdout + result.stderr
    return result.stdout + result.stderr


def test_leaderboard_at_80_columns_shows_whole_short_labels_a_legend_and_no_raw_dicts(tmp_path):
    estimators = "gaussian,ksg:k=10,compressed-pca:estimator=wkl;n_components_x=1;n_components_y=1"
    ran = _ibbench(
        "run", "-e", estimators, "-t", "gaussian-dense:dim=2;mi=0.5", "--n", "200", "--seeds", "1",
        "--store", "s.sqlite", "--inline", cwd=tmp_path,
    )  # fmt: skip
    out = _ibbench(
        "leaderboard", "--store", "s.sqlite", "--no-plots", "--format", "md,csv,json", "--out", "lb", cwd=tmp_path
    )
    for text in (ran, out):
        assert "…" not in text and "{'" not in text and "['" not in text
        assert max(len(line) for line in text.splitlines()) <= 80
    lines = out.splitlines()
    for label in ("gaussian", "ksg(k=10)", "pca(nc=1)→wkl"):
        assert any(label in line.split() for line in lines), label  # whole, as one word of a line
    legend_rows = [line.split(None, 2) for line in lines if line.startswith(("ksg(k=10) ", "pca(nc=1)→wkl "))]
    assert [row[:2] for row in legend_rows] == [["ksg(k=10)", "ksg"], ["pca(nc=1)→wkl", "compressed-pca"]]
    assert legend_rows[1][2].split() == ["estimator=wkl,", "n_components_x=1,", "n_components_y=1"]
    assert "cells: ok 3" in out
    markdown = (tmp_path / "lb" / "leaderboard.md").read_text()
    assert "| pca(nc=1)→wkl | compressed-pca | estimator=wkl, n_components_x=1, n_components_y=1 |" in markdown
    ranked = markdown.split("## Overall", 1)[1].split("\n## ", 1)[0]
    assert "| pca(nc=1)→wkl |" in ranked and "compressed-pca(" not in ranked
    # the stored and machine-readable labels are unchanged: presentation only
    full = "compressed-pca(estimator=wkl, n_components_x=1, n_components_y=1)"
    assert set(pd.read_csv(tmp_path / "lb" / "leaderboard.csv")["estimator_label"]) == {"gaussian", "ksg(k=10)", full}
    payload = json.loads((tmp_path / "lb" / "leaderboard.json").read_text())
    assert {r["label"]: r["estimator_label"] for r in payload["labels"]} == {
        "gaussian": "gaussian",
        "ksg(k=10)": "ksg(k=10)",
        "pca(nc=1)→wkl": full,
    }


def test_list_estimators_at_80_columns_prints_every_name_whole(monkeypatch):
    from typer.testing import CliRunner

    from ibbench import cli

    monkeypatch.setattr(cli, "console", Console(width=80, emoji=False))  # in-process: the subprocess imports torch
    result = CliRunner().invoke(cli.app, ["list", "estimators"])
    assert result.exit_code == 0, result.output
    out = result.output
    assert "…" not in out and max(len(line) for line in out.splitlines()) <= 80
    words = {word for line in out.splitlines() for word in line.replace("│", " ").split()}
    assert set(list_estimators()) <= words
