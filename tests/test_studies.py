"""Studies (ibbench.studies): info planes and binning vs exact are computed, stored and resumed; plots only read."""

import sqlite3
import statistics
from collections import Counter

import numpy as np
import pytest
from typer.testing import CliRunner

from ibbench.studies import binning_vs_exact as bve
from ibbench.studies import info_planes
from ibbench.studies.binning_vs_exact import DIFFERENT_VARIABLES, markdown_table, run_binning_vs_exact
from ibbench.studies.info_planes import load_info_planes, phase_table, run_info_planes
from ibbench.tasks.qnn import training
from ibbench.tasks.qnn.data import load_population
from ibbench.tasks.qnn.exact_mi import LN2, information_plane
from ibbench.tasks.qnn.training import TrainConfig, train

CONFIG = TrainConfig(activation="tanh", bits=4, epochs=2, n_snapshots=3)


@pytest.fixture(scope="module", autouse=True)
def qnn_cache(tmp_path_factory):
    """A fresh qnn training cache for this module: the tiny runs are trained once and shared by its tests."""
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("IBBENCH_CACHE", str(tmp_path_factory.mktemp("qnn-cache")))
        mp.setattr(training, "_MEMORY", {})
        yield


def _no_compute(monkeypatch):
    """Make every training or estimation fail: what runs afterwards may only read."""

    def fail(*args, **kwargs):
        raise AssertionError("computed while it should only read")

    monkeypatch.setattr(training, "train", fail)
    monkeypatch.setattr(training, "train_or_reuse", fail)
    for module, names in ((info_planes, ("compute_exact", "compute_estimated")), (bve, ("compute_unit",))):
        for name in names:
            monkeypatch.setattr(module, name, fail)


def _study_rows(store):
    with sqlite3.connect(store) as conn:
        return conn.execute("SELECT study, COUNT(*) FROM study_rows GROUP BY study").fetchall()


def _entropy_bits(rows):
    counts = np.array(list(Counter(map(tuple, rows)).values()), dtype=float)
    p = counts / counts.sum()
    return float(-(p * np.log2(p)).sum())


def test_info_planes_are_stored_and_a_rerun_computes_nothing(tmp_path, monkeypatch):
    store = tmp_path / "s.sqlite"
    last = len(training.snapshot_epochs(CONFIG.epochs, CONFIG.n_snapshots)) - 1
    planes = run_info_planes(store, CONFIG, [0, 1], estimator="exact", every=99)
    assert planes.exact.shape == (2, last + 1, 6, 2) and planes.seeds == [0, 1]
    assert np.array_equal(planes.exact[1], information_plane(train(CONFIG, 1)))
    # the `exact` estimator on the dequantized activations (rows as symbols) is the exact plane; every=99
    # estimates only the first and the last snapshot
    assert last == 2 and np.isnan(planes.estimated[:, 1]).all()
    assert np.allclose(planes.estimated[:, [0, -1]], planes.exact[:, [0, -1]], atol=1e-12)
    assert _study_rows(store) == [("info-planes", 2 + 2 * 2)]  # 2 exact units, 2 estimated snapshots per run
    _no_compute(monkeypatch)
    again = run_info_planes(store, CONFIG, [0, 1], estimator="exact", every=99)  # everything stored: skipped
    for a, b in ((again.exact, planes.exact), (again.estimated, planes.estimated)):
        assert np.array_equal(a, b, equal_nan=True)
    accuracy = planes.train_accuracy
    strict = min(accuracy.values()) + 1e-9
    kept = load_info_planes(store, CONFIG, [0, 1], min_accuracy=strict)
    assert kept.seeds == [s for s in (0, 1) if accuracy[s] >= strict] or accuracy[0] == accuracy[1]
    with pytest.raises(ValueError, match="reaches min_accuracy"):
        load_info_planes(store, CONFIG, [0, 1], min_accuracy=1.01)
    table = phase_table(planes.epochs, planes.exact, title="t")
    assert table.count("\n| ") == 7 and "compression" in table  # header row + 6 layers


def test_the_identity_holds_every_version_that_changes_a_result(tmp_path, monkeypatch):
    store = tmp_path / "s.sqlite"
    run_info_planes(store, CONFIG, [0])
    load_info_planes(store, CONFIG, [0])
    monkeypatch.setattr(training, "TRAINING_VERSION", "999")  # other training code: the stored plane is not its
    with pytest.raises(ValueError, match="no stored information planes"):
        load_info_planes(store, CONFIG, [0])
    monkeypatch.undo()
    from ibbench.registry import get_estimator_class

    first = info_planes.estimated_identity(CONFIG, 0, 2, "ksg", {})
    monkeypatch.setattr(get_estimator_class("ksg"), "version", "999")
    assert info_planes.estimated_identity(CONFIG, 0, 2, "ksg", {}) != first


def test_same_seed_same_numbers_and_the_runner_s_seeding(tmp_path):
    """KSG's tie-breaking jitter is seeded: the study seeds it as the runner seeds the qnn cell of that repetition."""
    import ibbench

    a = run_info_planes(tmp_path / "a.sqlite", CONFIG, [1], estimator="ksg", every=99)
    b = run_info_planes(tmp_path / "b.sqlite", CONFIG, [1], estimator="ksg", every=99)
    assert np.array_equal(a.estimated, b.estimated, equal_nan=True)
    params = {"activation": "tanh", "bits": 4, "epochs": 2, "n_snapshots": 3}
    tasks = [(f"qnn-szt-{side}", dict(params, layer=6)) for side in ("xt", "ty")]
    store = tmp_path / "cells.sqlite"
    ibbench.run(estimators="ksg", tasks=tasks, seeds=[1], store=store, backend="inline")
    df = ibbench.load_results(store)
    cells = [df.loc[df["task"] == f"qnn-szt-{side}", "estimate"].item() for side in ("xt", "ty")]
    assert a.estimated[0, -1, 5].tolist() == cells


def test_the_plot_reads_stored_planes_and_never_computes(tmp_path, monkeypatch):
    from ibbench.report.plots import make_plot

    store = tmp_path / "s.sqlite"
    run_info_planes(store, CONFIG, [0, 1], estimator="binning", estimator_params={"n_bins": 30})
    _no_compute(monkeypatch)
    files = make_plot(
        "info-plane",
        store=str(store),
        out=tmp_path / "png",
        activation="tanh",
        bits=4,
        epochs=2,
        n_snapshots=3,
        seeds=2,
        estimator="binning",
        estimator_params='{"n_bins": 30}',
    )
    assert [f.name for f in files] == ["info-plane-szt-tanh-4bit-binning.png"]
    assert files[0].stat().st_size > 10_000
    # missing results: a clear error naming the command that computes them, and no file written
    for options, missing in (
        ({"activation": "relu"}, "--activation relu"),
        ({"activation": "tanh", "estimator": "ksg"}, "--estimator ksg"),
    ):
        with pytest.raises(ValueError, match="ibbench study info-planes") as info:
            make_plot(
                "info-plane",
                store=str(store),
                out=tmp_path / "none",
                bits=4,
                epochs=2,
                n_snapshots=3,
                seeds=2,
                **options,
            )
        assert missing in str(info.value) and f"--store {store}" in str(info.value)
        assert not list((tmp_path / "none").glob("*.png"))
    with pytest.raises(ValueError, match="ibbench study info-planes"):
        make_plot("info-plane", store=str(tmp_path / "empty.sqlite"), out=tmp_path / "none", bits=4, epochs=2)


def test_the_plot_reads_the_estimator_plane_from_the_benchmark_cells(tmp_path, monkeypatch):
    import ibbench
    from ibbench.report.plot_info_plane import plot_info_plane

    params = {"activation": "tanh", "bits": 4, "epochs": 2, "n_snapshots": 3}
    tasks = [(f"qnn-szt-{side}", dict(params, layer=layer)) for side in ("xt", "ty") for layer in (5, 6)]
    store = tmp_path / "r.sqlite"
    ibbench.run(estimators="binning:n_bins=30", tasks=tasks, seeds=1, store=store, backend="inline")
    run_info_planes(store, CONFIG, [0])  # exact planes only
    live = run_info_planes(None, CONFIG, [0], estimator="binning", estimator_params={"n_bins": 30}, every=99)
    planes = load_info_planes(store, CONFIG, [0], estimator="binning", estimator_params={"n_bins": 30})
    assert np.allclose(planes.estimated[0, -1, 4:], live.estimated[0, -1, 4:])
    assert np.isnan(planes.estimated[0, -1, :4]).all() and np.isnan(planes.estimated[0, :-1]).all()
    with pytest.raises(ValueError, match="--estimator binning"):  # other params: no cells, no study rows
        load_info_planes(store, CONFIG, [0], estimator="binning", estimator_params={"n_bins": 100})
    _no_compute(monkeypatch)
    files = plot_info_plane(
        store=str(store),
        out=tmp_path / "png",
        bits=4,
        activation="tanh",
        epochs=2,
        n_snapshots=3,
        seeds=1,
        estimator="binning",
        estimator_params={"n_bins": 30},
    )
    assert len(files) == 1 and files[0].exists()


def test_phase_table_reports_the_sample_sd_over_repetitions():
    # 3 repetitions, 2 snapshots, 1 layer; bits chosen so that mean and sd are exact in 3 decimals
    bits = np.zeros((3, 2, 1, 2))
    bits[:, -1, 0, 1] = [1.0, 2.0, 3.0]  # I(T;Y) at the end
    bits[:, 0, 0, 0] = [4.0, 4.0, 10.0]  # I(X;T) at the start
    table = phase_table(np.array([0, 10]), bits * LN2)

    def cell(row, column):
        line = [ln for ln in table.splitlines() if ln.startswith("| ") and ln[2].isdigit()][row]
        mean, sd = line.split(" | ")[column].split(" ± ")
        return float(mean), float(sd.split(" ")[0])

    # independent reference: statistics.stdev (n − 1 denominator); the population sd would be 0.816 / 2.828
    assert cell(0, 3) == (2.0, round(statistics.stdev([1.0, 2.0, 3.0]), 3)) == (2.0, 1.0)
    assert cell(0, 5) == (6.0, round(statistics.stdev([4.0, 4.0, 10.0]), 3))
    assert "± nan" in phase_table(np.array([0, 10]), bits[:1] * LN2)  # one repetition has no spread


def test_info_plane_error_bars_are_the_sample_sd():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from ibbench.report import plot_info_plane

    bits = np.zeros((3, 2, 1, 2))
    bits[:, :, 0, 0] = [[1.0, 5.0], [2.0, 6.0], [3.0, 10.0]]  # I(X;T) per repetition and snapshot
    fig, ax = plt.subplots()
    plot_info_plane._draw(ax, np.array([0, 10]), bits * LN2, "t")
    (bars,) = ax.containers
    x_segments = bars.lines[2][0].get_segments()  # one [[x − xerr, y], [x + xerr, y]] per snapshot
    half_widths = [(seg[1][0] - seg[0][0]) / 2 for seg in x_segments]
    plt.close(fig)
    assert half_widths == pytest.approx([statistics.stdev([1.0, 2.0, 3.0]), statistics.stdev([5.0, 6.0, 10.0])])


def test_binning_vs_exact_is_stored_resumed_and_reports_the_sample_sd_over_seeds(tmp_path, monkeypatch):
    store = tmp_path / "s.sqlite"
    both, kept, dropped = run_binning_vs_exact(store, CONFIG, seeds=[0, 1], n_bins=(30, 256))
    assert kept == [0, 1] and dropped == []
    assert _study_rows(store) == [("binning-vs-exact", 4)]
    single = [run_binning_vs_exact(store, CONFIG, seeds=[s], n_bins=(30, 256))[0] for s in (0, 1)]
    for i, r in enumerate(both):
        for side in ("xt", "ty"):
            errors = [rows[i][f"{side}_error"] for rows in single]
            # independent reference: statistics.stdev; with 2 seeds it is |e0 − e1| / sqrt(2), the
            # population sd |e0 − e1| / 2 would be sqrt(2) times smaller
            assert r[f"{side}_error_sd"] == pytest.approx(statistics.stdev(errors), abs=1e-12)
            assert np.isnan(single[0][i][f"{side}_error_sd"])
    assert any(r["xt_error_sd"] > 1e-3 for r in both)  # the check above is not vacuous
    _no_compute(monkeypatch)
    assert bve.load_binning_vs_exact(store, CONFIG, seeds=[0, 1], n_bins=(30, 256))[0] == both
    assert run_binning_vs_exact(store, CONFIG, seeds=[0, 1], n_bins=(30, 256))[0] == both
    with pytest.raises(ValueError, match="ibbench study binning-vs-exact .*--n-bins 100"):
        bve.load_binning_vs_exact(store, CONFIG, seeds=[0], n_bins=(100,))


def test_binning_vs_exact_against_an_independent_histogram():
    rows, _, _ = run_binning_vs_exact(None, CONFIG, seeds=[0], n_bins=(30, 256))
    assert len(rows) == 12 and {r["n_bins"] for r in rows} == {30, 256}
    run = train(CONFIG, 0)
    exact = information_plane(run)[-1] / LN2
    floats = run.float_activations(len(run.epochs) - 1)
    _, y = load_population("szt")
    for r in rows:
        a = floats[r["layer"] - 1]
        assert r["xt_exact"] == pytest.approx(exact[r["layer"] - 1, 0])
        # uniform bins over the layer's global range, the maximum in the last bin
        k = r["n_bins"]
        lo, hi = a.min(), a.max()
        codes = np.clip(np.floor((a - lo) / (hi - lo) * k), 0, k - 1).astype(int)
        h_t = _entropy_bits(codes)
        h_ty = _entropy_bits(np.column_stack([codes, y]))
        h_y = _entropy_bits(y[:, None])
        assert r["xt_binned"] == pytest.approx(h_t, abs=1e-9)
        assert r["ty_binned"] == pytest.approx(h_t + h_y - h_ty, abs=1e-9)
        assert r["xt_error"] == pytest.approx(r["xt_binned"] - r["xt_exact"])
    assert markdown_table(rows).count("\n| ") == 12


def test_study_commands(tmp_path):
    from ibbench.cli import app

    runner = CliRunner()
    store, out = tmp_path / "s.sqlite", tmp_path / "table.md"
    args = [
        "study",
        "binning-vs-exact",
        "--store",
        str(store),
        "--activation",
        "relu",
        "--bits",
        "4",
        "--epochs",
        "2",
        "--n-snapshots",
        "3",
        "--seeds",
        "1",
        "--out",
        str(out),
    ]
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output
    text = out.read_text()
    assert "relu, 4-bit" in text and text.count("\n| 6 |") == 3 and DIFFERENT_VARIABLES in text
    assert "Regenerate: `ibbench study binning-vs-exact --dataset szt --activation relu --bits 4" in text
    again = runner.invoke(app, args)
    assert again.exit_code == 0 and "already stored (skipped)" in again.output and out.read_text() == text
    args = [
        "study",
        "info-planes",
        "--store",
        str(store),
        "--activation",
        "tanh",
        "--bits",
        "4",
        "--epochs",
        "2",
        "--n-snapshots",
        "3",
        "--seeds",
        "2",
        "--estimator",
        "binning",
        "--estimator-params",
        '{"n_bins": 30}',
        "--every",
        "2",
    ]
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output
    assert "tanh, 4-bit, runs [0, 1]" in result.output and "compression" in result.output
    plot = runner.invoke(
        app,
        [
            "plot",
            "--kind",
            "info-plane",
            "--store",
            str(store),
            "--out",
            str(tmp_path / "png"),
            "--option",
            "activation=tanh",
            "--option",
            "bits=4",
            "--option",
            "epochs=2",
            "--option",
            "n_snapshots=3",
            "--option",
            "seeds=2",
            "--option",
            "estimator=binning",
            "--option",
            'estimator_params={"n_bins": 30}',
        ],
    )
    assert plot.exit_code == 0, plot.output
    missing = runner.invoke(
        app,
        [
            "plot",
            "--kind",
            "info-plane",
            "--store",
            str(store),
            "--out",
            str(tmp_path / "png"),
            "--option",
            "dataset=digits",
            "--option",
            "epochs=2",
        ],
    )
    assert missing.exit_code == 2 and "ibbench study info-planes" in missing.output
    bad = runner.invoke(app, ["study", "info-planes", "--store", str(store), "--estimator-params", "{nope"])
    assert bad.exit_code == 2 and "JSON" in bad.output
