"""Information planes, the phase table, the info-plane plot and the binning-vs-exact comparison."""

import statistics
from collections import Counter

import numpy as np
import pytest

from ibbench.tasks.qnn.binning_vs_exact import DIFFERENT_VARIABLES, binning_vs_exact, main, markdown_table
from ibbench.tasks.qnn.data import load_population
from ibbench.tasks.qnn.exact_mi import LN2, information_plane
from ibbench.tasks.qnn.planes import estimated_planes, exact_planes, phase_table, trained_seeds
from ibbench.tasks.qnn.training import TrainConfig, train

CONFIG = TrainConfig(activation="tanh", bits=4, epochs=2, n_snapshots=3)


pytestmark = pytest.mark.usefixtures("qnn_cache")


def _entropy_bits(rows):
    counts = np.array(list(Counter(map(tuple, rows)).values()), dtype=float)
    p = counts / counts.sum()
    return float(-(p * np.log2(p)).sum())


def test_exact_and_estimated_planes():
    epochs, planes = exact_planes(CONFIG, [0, 1])
    assert planes.shape == (2, len(epochs), 6, 2)
    assert np.array_equal(planes[1], information_plane(train(CONFIG, 1)))
    # the `exact` estimator on the dequantized activations (rows as symbols) is the exact plane
    _, est = estimated_planes(CONFIG, [0, 1], "exact", snapshots=[len(epochs) - 1])
    assert np.isnan(est[:, 0]).all()
    assert np.allclose(est[:, -1], planes[:, -1], atol=1e-12)
    accuracy = [train(CONFIG, s).train_accuracy[-1] for s in (0, 1)]
    assert trained_seeds(CONFIG, [0, 1]) == [0, 1]
    assert trained_seeds(CONFIG, [0, 1], min(accuracy) + 1e-9) == [int(np.argmax(accuracy))] or accuracy[0] == accuracy[1]
    assert trained_seeds(CONFIG, [0, 1], 1.01) == []
    table = phase_table(epochs, planes, title="t")
    assert table.count("\n| ") == 7 and "compression" in table  # header row + 6 layers


def _cell(table, row, column):
    """The ``(mean, sd)`` in cell ``column`` of the data row ``row`` (0-based) of a markdown table."""
    line = [ln for ln in table.splitlines() if ln.startswith("| ") and ln[2].isdigit()][row]
    mean, sd = line.split(" | ")[column].split(" ± ")
    return float(mean), float(sd.split(" ")[0])


def test_phase_table_reports_the_sample_sd_over_repetitions():
    # 3 repetitions, 2 snapshots, 1 layer; bits chosen so that mean and sd are exact in 3 decimals
    bits = np.zeros((3, 2, 1, 2))
    bits[:, -1, 0, 1] = [1.0, 2.0, 3.0]  # I(T;Y) at the end
    bits[:, 0, 0, 0] = [4.0, 4.0, 10.0]  # I(X;T) at the start
    table = phase_table(np.array([0, 10]), bits * LN2)
    # independent reference: statistics.stdev (n − 1 denominator); the population sd would be 0.816 / 2.828
    assert _cell(table, 0, 3) == (2.0, round(statistics.stdev([1.0, 2.0, 3.0]), 3)) == (2.0, 1.0)
    assert _cell(table, 0, 5) == (6.0, round(statistics.stdev([4.0, 4.0, 10.0]), 3))
    assert "± nan" in phase_table(np.array([0, 10]), bits[:1] * LN2)  # one repetition has no spread


def test_binning_vs_exact_reports_the_sample_sd_over_seeds():
    both = binning_vs_exact(CONFIG, seeds=[0, 1], n_bins=(30, 256))
    single = [binning_vs_exact(CONFIG, seeds=[s], n_bins=(30, 256)) for s in (0, 1)]
    for i, r in enumerate(both):
        for side in ("xt", "ty"):
            errors = [rows[i][f"{side}_error"] for rows in single]
            # independent reference: statistics.stdev; with 2 seeds it is |e0 − e1| / sqrt(2), the
            # population sd |e0 − e1| / 2 would be sqrt(2) times smaller
            assert r[f"{side}_error_sd"] == pytest.approx(statistics.stdev(errors), abs=1e-12)
            assert np.isnan(single[0][i][f"{side}_error_sd"])
    assert any(r["xt_error_sd"] > 1e-3 for r in both)  # the check above is not vacuous


def test_info_plane_error_bars_are_the_sample_sd():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from ibbench.report.plot_info_plane import _draw

    bits = np.zeros((3, 2, 1, 2))
    bits[:, :, 0, 0] = [[1.0, 5.0], [2.0, 6.0], [3.0, 10.0]]  # I(X;T) per repetition and snapshot
    fig, ax = plt.subplots()
    _draw(ax, np.array([0, 10]), bits * LN2, "t")
    (bars,) = ax.containers
    x_segments = bars.lines[2][0].get_segments()  # one [[x − xerr, y], [x + xerr, y]] per snapshot
    half_widths = [(seg[1][0] - seg[0][0]) / 2 for seg in x_segments]
    plt.close(fig)
    assert half_widths == pytest.approx([statistics.stdev([1.0, 2.0, 3.0]), statistics.stdev([5.0, 6.0, 10.0])])


def test_binning_vs_exact_against_an_independent_histogram():
    rows = binning_vs_exact(CONFIG, seeds=[0], n_bins=(30, 256))
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


def test_binning_vs_exact_command_line(tmp_path):
    out = tmp_path / "table.md"
    text = main(["--activation", "relu", "--bits", "4", "--epochs", "2", "--n-snapshots", "3", "--seeds", "1",
                 "--out", str(out)])
    assert out.read_text() == text and "relu, 4-bit" in text and text.count("\n| 6 |") == 3
    assert DIFFERENT_VARIABLES in text  # binned unquantized activations vs the exact quantized layer


def test_info_plane_plot(tmp_path):
    from ibbench.report.plots import make_plot

    files = make_plot("info-plane", store=None, out=tmp_path, activation="tanh", bits=4, epochs=2, n_snapshots=3,
                      seeds=2, estimator="binning", estimator_params='{"n_bins": 30}')
    assert [f.name for f in files] == ["info-plane-szt-tanh-4bit-binning.png"]
    assert files[0].stat().st_size > 10_000


def test_info_plane_reads_the_estimator_plane_from_the_store(tmp_path, monkeypatch):
    import ibbench
    from ibbench.report.plot_info_plane import _store_plane
    from ibbench.tasks.qnn import planes

    params = {"activation": "tanh", "bits": 4, "epochs": 2, "n_snapshots": 3}
    tasks = [(f"qnn-szt-{side}", dict(params, layer=layer)) for side in ("xt", "ty") for layer in (5, 6)]
    store = tmp_path / "r.sqlite"
    ibbench.run(estimators="binning:n_bins=30", tasks=tasks, seeds=1, store=store, backend="inline")
    epochs = train(CONFIG, 0).epochs
    plane = _store_plane(str(store), "szt", "tanh", 4, 2, 3, "binning", {"n_bins": 30}, epochs, 6, [0])
    _, live = estimated_planes(CONFIG, [0], "binning", {"n_bins": 30}, snapshots=[len(epochs) - 1])
    assert np.allclose(plane[0, -1, 4:], live[0, -1, 4:]) and np.isnan(plane[0, -1, :4]).all()
    assert np.isnan(plane[0, :-1]).all()
    assert _store_plane(str(store), "szt", "tanh", 4, 2, 3, "binning", {"n_bins": 100}, epochs, 6, [0]) is None
    # the plot uses the stored cells instead of estimating again
    monkeypatch.setattr(planes, "estimated_planes", lambda *a, **k: pytest.fail("estimated again"))
    from ibbench.report.plot_info_plane import plot_info_plane

    files = plot_info_plane(store=str(store), out=tmp_path / "png", bits=4, activation="tanh", epochs=2,
                            n_snapshots=3, seeds=1, estimator="binning", estimator_params={"n_bins": 30})
    assert len(files) == 1 and files[0].exists()
