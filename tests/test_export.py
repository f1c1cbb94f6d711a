"""``ibbench export`` / :func:`ibbench.store.export_results`: CSV and Parquet round trips, and one-line
CLI errors (no traceback, non-zero exit) for bad names, paths, stores and option values."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

import ibbench
from ibbench.cli import app
from ibbench.store import export_results, exportable

#: the columns a user of an export needs (cell identity, result, failure message)
ESSENTIAL = [
    "key",
    "estimator",
    "estimator_label",
    "estimator_params",
    "estimator_version",
    "task",
    "task_label",
    "task_family",
    "task_params",
    "task_version",
    "n",
    "seed",
    "true_mi",
    "estimate",
    "seconds",
    "status",
    "message",
]


@pytest.fixture(scope="module")
def store(tmp_path_factory):
    """A small store with mixed parameter types and a failed cell, run in this process."""
    path = tmp_path_factory.mktemp("export") / "cells.sqlite"
    ibbench.run(
        # ksg:k=100 fails at n=60 (error row with a message); binning's discrete_x mixes "auto" and True;
        # compressed-pca has a dict parameter
        estimators="ksg:k=3,ksg:k=100,gaussian,binning:n_bins=10;discrete_x=auto,binning:n_bins=10;discrete_x=true,"
        'compressed-pca:estimator_params={"k": 3},exact',
        tasks="gaussian-dense:dim=1;mi=0.5,categorical",
        n=60,
        seeds=2,
        store=path,
        backend="inline",
    )
    return path


def _same(a: pd.Series, b: pd.Series) -> bool:
    """Equal values: numbers exactly (NaN equal to NaN), everything else as text (missing equal to missing)."""
    if len(a) != len(b):
        return False
    numeric = pd.api.types.is_numeric_dtype(a) and not pd.api.types.is_bool_dtype(a)
    for x, y in zip(a, b):
        x_missing, y_missing = pd.isna(x), pd.isna(y)
        if x_missing or y_missing:
            if not (x_missing and y_missing):
                return False
        elif numeric:
            if not (float(x) == float(y) or (math.isnan(float(x)) and math.isnan(float(y)))):
                return False
        elif str(x) != str(y):
            return False
    return True


def _read(path, fmt: str, like: pd.DataFrame) -> pd.DataFrame:
    if fmt == "parquet":
        return pd.read_parquet(path)
    # text columns read as text ("1" stays the version string "1", not the integer 1)
    text = {c: str for c in like.columns if not pd.api.types.is_numeric_dtype(like[c])}
    return pd.read_csv(path, dtype=text)


@pytest.mark.parametrize("fmt", ["csv", "parquet"])
def test_export_round_trip_equals_load_results(store, tmp_path, fmt):
    path, written = export_results(store, tmp_path / f"cells.{fmt}", format=fmt)
    loaded = ibbench.load_results(store)
    back = _read(path, fmt, loaded)
    assert list(back.columns) == list(loaded.columns)
    assert len(back) == len(loaded) == 28  # 7 estimator configurations x 2 tasks x 2 seeds
    params = [c for c in loaded.columns if c.startswith(("est.", "task."))]
    assert {"est.k", "est.discrete_x", "est.estimator_params", "task.mi", "task.n_symbols"} <= set(params)
    for column in ESSENTIAL:
        assert _same(back[column], loaded[column]), column
    # parameter columns: the same values; a mixed-type column as text (JSON for non-strings)
    for column in params:
        assert _same(back[column], exportable(loaded)[column]), column
    assert set(back["est.discrete_x"].dropna()) == {"auto", "true"}
    assert set(back["status"]) == {"ok", "error", "skipped"}
    assert back.loc[back["status"] == "error", "message"].str.contains("k=100 neighbours need at least").all()
    assert _same(written["estimate"], back["estimate"])


def test_export_round_trip_through_the_cli(store, tmp_path):
    for fmt in ("csv", "parquet"):
        out = tmp_path / f"cli.{fmt}"
        result = CliRunner().invoke(app, ["export", "--store", str(store), "--format", fmt, "--out", str(out)])
        assert result.exit_code == 0, result.output
        assert "wrote 28 cells" in result.output
    csv, parquet = pd.read_csv(tmp_path / "cli.csv"), pd.read_parquet(tmp_path / "cli.parquet")
    assert _same(csv["key"], parquet["key"]) and _same(csv["estimate"], parquet["estimate"])
    assert _same(csv["est.discrete_x"], parquet["est.discrete_x"])


def test_exportable_leaves_single_type_columns_alone():
    df = pd.DataFrame(
        {
            "a": [1.0, np.nan],
            "b": ["x", None],
            "c": pd.Series([True, None], dtype=object),
            "mixed": pd.Series(["auto", True], dtype=object),
            "nums": pd.Series([3, "x", None], dtype=object).iloc[:2],
        }
    )
    out = exportable(df)
    assert out["c"].tolist() == [True, None] and out["a"].isna().tolist() == [False, True]
    assert out["mixed"].tolist() == ["auto", "true"] and out["nums"].tolist() == ["3", "x"]


# ------------------------------------------------------------------------------------ CLI errors
@pytest.mark.parametrize(
    "args, words",
    [
        (["run", "-e", "nope", "-t", "categorical"], "unknown estimator 'nope'"),
        (["run", "-e", "ksg", "-t", "nope"], "unknown task 'nope'"),
        (["run", "-e", "ksg", "--suite", "nope"], "unknown suite 'nope'"),
        (["run", "-e", "ksg:kk=3", "-t", "categorical", "--n", "50"], "estimator 'ksg': unknown parameter(s) kk"),
        (
            ["run", "-e", "ksg", "-t", "categorical:nope=1", "--n", "50"],
            "task 'categorical': unknown parameter(s) nope",
        ),
        (
            ["run", "-e", "ksg", "-t", "categorical:flip=abc", "--n", "50"],
            "task 'categorical': parameter flip must be a float",
        ),
        (["run", "-e", "ksg:k", "-t", "categorical"], "expected key=value"),
        (["run", "-e", "ksg", "-t", "categorical", "--n", "abc"], "--n expects comma-separated positive integers"),
        (["run", "-e", "ksg", "-t", "categorical", "--n", "100,,200"], "--n expects"),
        (["run", "-e", "ksg", "-t", "categorical", "--n", "0"], "n must be positive integers"),
        (["run", "-e", "ksg", "-t", "categorical", "--n", "-5"], "n must be positive integers"),
        (["run", "-e", "ksg", "-t", "categorical", "--seeds", "0"], "seeds must be a positive number"),
        (["run", "-e", "ksg", "-t", "categorical", "--seeds", "-2"], "seeds must be a positive number"),
        (["run", "-e", "ksg", "-t", "categorical", "--timeout", "-1"], "--timeout must be a number of seconds"),
        (
            ["run", "-e", "ksg", "-t", "categorical", "--config", "missing.toml"],
            "cannot read the run file missing.toml",
        ),
        (
            ["run", "-e", "ksg", "-t", "categorical", "--n", "50", "--store", "adir"],
            "cannot use adir as a results store",
        ),
        (["leaderboard", "--store", "adir", "--out", "lb"], "not a file"),
        (["leaderboard", "--store", "missing.sqlite", "--out", "lb"], "no results store at missing.sqlite"),
        (["export", "--store", "adir"], "not a file"),
        (["export", "--store", "missing.sqlite"], "no results store"),
        (["export", "--store", "garbage.sqlite"], "cannot read the results store garbage.sqlite"),
        (["export", "--store", "STORE", "--format", "xlsx"], "unknown export format 'xlsx'"),
        (["export", "--store", "STORE", "--out", "no/such/dir/cells.csv"], "cannot write no/such/dir/cells.csv"),
        (["plot", "--store", "STORE", "--kind", "nope", "--out", "pl"], "unknown plot kind 'nope'"),
        (["plot", "--store", "STORE", "--option", "foo", "--out", "pl"], "expected key=value"),
        (["list", "nope"], "cannot list 'nope'"),
    ],
)
def test_cli_errors_are_one_clear_line(store, tmp_path, monkeypatch, args, words):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "adir").mkdir()
    (tmp_path / "garbage.sqlite").write_bytes(b"not an sqlite file" * 100)
    args = [str(store) if a == "STORE" else a for a in args]
    result = CliRunner().invoke(app, args)
    lines = [line for line in result.output.splitlines() if line.strip()]
    assert result.exit_code == 2, result.output
    assert "Traceback" not in result.output and isinstance(result.exception, SystemExit), result.output
    assert len(lines) == 1 and lines[0].startswith("error: "), result.output
    assert words in lines[0], result.output


def test_typer_rejects_a_non_integer_seeds_value(tmp_path, monkeypatch):
    """--seeds is typed: typer's usage error (exit 2, no traceback) names the option."""
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(app, ["run", "-e", "ksg", "-t", "categorical", "--seeds", "abc"])
    assert result.exit_code == 2 and "Traceback" not in result.output
    assert "--seeds" in result.output
