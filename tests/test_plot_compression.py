"""The compression figures (Butakov et al. Figs. 3/4): cells are classified by method and inner
estimator, the ideal-compressor curve is shared by every image size, and the files are written."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

import ibbench
from ibbench.report.plot_compression import classify, compression_points
from ibbench.report.plots import list_plot_kinds, make_plot

PNG = b"\x89PNG\r\n\x1a\n"


@pytest.fixture(scope="module")
def cells(tmp_path_factory, monkeypatch_module):
    store = tmp_path_factory.mktemp("compression") / "c.sqlite"
    pca = (
        "compressed-pca",
        {"estimator": "kl", "estimator_params": {"k": 1}, "n_components_x": 2, "n_components_y": 2},
    )
    images = [("images-bumps", {"size": size, "mi": mi}) for size in (8, 12) for mi in (0.0, 2.0)]
    latents = [("images-bumps-latents", {"mi": mi}) for mi in (0.0, 2.0)]
    ibbench.run(estimators=[pca, ("kl", {"k": 5})], tasks=images, n=300, seeds=2, store=store, backend="inline")
    ibbench.run(estimators=[("kl", {"k": 1})], tasks=latents, n=300, seeds=2, store=store, backend="inline")
    return ibbench.load_results(store, expand_params=False)


@pytest.fixture(scope="module")
def monkeypatch_module(tmp_path_factory):
    mp = pytest.MonkeyPatch()
    mp.setenv("IBBENCH_CACHE", str(tmp_path_factory.mktemp("cache")))
    yield mp
    mp.undo()


def test_cells_are_classified_by_method_and_inner_estimator(cells):
    c = classify(cells)
    assert len(c) == len(cells) == 2 * 2 * 2 * 2 + 2 * 2
    by = c.groupby(["method", "inner"]).size().to_dict()
    assert by == {("PCA", "kl(k=1)"): 8, ("raw pixels", "kl"): 8, ("true latents (ideal)", "kl(k=1)"): 4}
    assert c.loc[c["method"] == "true latents (ideal)", "size"].isna().all()
    assert set(c.loc[c["method"] == "PCA", "size"]) == {8, 12}
    # the wrappers' reconstruction errors (stored in the cells' extra column) come along; others have none
    assert (c.loc[c["method"] == "PCA", "reconstruction_error"] > 0).all()
    assert c.loc[c["method"] != "PCA", "reconstruction_error"].isna().all()


def test_points_are_seed_means_and_the_ideal_curve_serves_every_size(cells):
    pts = compression_points(cells)
    lat = cells[cells["task"] == "images-bumps-latents"]
    for size in (8, 12):
        ideal = pts[(pts["method"] == "true latents (ideal)") & (pts["size"] == size)].set_index("true_mi")
        for mi, g in lat.groupby("true_mi"):
            assert ideal.loc[mi, "estimate"] == pytest.approx(g["estimate"].astype(float).mean())
            assert ideal.loc[mi, "seeds"] == 2
    pca = pts[(pts["method"] == "PCA") & (pts["size"] == 12)].set_index("true_mi")
    direct = cells[(cells["estimator"] == "compressed-pca") & cells["task_params"].str.contains('"size": 12')]
    assert pca.loc[2.0, "estimate"] == pytest.approx(direct[direct["true_mi"] == 2.0]["estimate"].astype(float).mean())
    assert (pts["ci_low"] <= pts["estimate"] + 1e-12).all() and (pts["estimate"] <= pts["ci_high"] + 1e-12).all()
    # the ideal compressor (KL on the 2+2 latents) tracks the truth; raw-pixel KL at MI 0 does not
    assert abs(ideal.loc[2.0, "estimate"] - 2.0) < 0.6
    raw = pts[(pts["method"] == "raw pixels") & (pts["size"] == 12)].set_index("true_mi")
    assert abs(raw.loc[0.0, "estimate"]) > 1.0


def test_plot_writes_one_figure_per_family_and_size_plus_raw_and_tables(cells, tmp_path):
    assert "compression" in list_plot_kinds()
    files = make_plot("compression", store=None, out=tmp_path, cells=cells)
    names = sorted(Path(f).name for f in files)
    assert names == [
        "compression-summary.md",
        "compression_images-bumps_12.png",
        "compression_images-bumps_8.png",
        "compression_images-bumps_raw.png",
    ]
    for f in files:
        if f.suffix == ".png":
            assert f.read_bytes()[:8] == PNG
    text = (tmp_path / "compression-summary.md").read_text()
    assert "## images-bumps, 8x8" in text and "| PCA | kl(k=1) |" in text and "| raw pixels | kl |" in text
    assert "Mean reconstruction error (pixel MAE, pixels in [0, 1]) over all cells: PCA 0." in text
    assert "`s/cell` = median cold-cache seconds" in text
    make_plot("compression", store=None, out=tmp_path / "warm", cells=cells, cost="warm")
    assert (
        "`s/cell` = median `fit` seconds per cell as run" in (tmp_path / "warm" / "compression-summary.md").read_text()
    )


def test_s_per_cell_is_the_cold_cost_by_default(cells):
    cold, warm = compression_points(cells), compression_points(cells, cost="warm")
    assert (cold["seconds"] >= warm["seconds"]).all()
    c = classify(cells[cells["status"] == "ok"])
    g = c[(c["method"] == "PCA") & (c["size"] == 8) & (c["true_mi"] == 2.0)]
    point = cold[(cold["method"] == "PCA") & (cold["size"] == 8) & (cold["true_mi"] == 2.0)]
    assert point["seconds"].item() == pytest.approx(g["cold_seconds"].median(), rel=1e-12)


def test_no_image_cells_is_a_clear_error(tmp_path):
    store = tmp_path / "s.sqlite"
    ibbench.run(
        estimators="gaussian", tasks="gaussian-dense:dim=1;mi=0.5", n=50, seeds=1, store=store, backend="inline"
    )
    with pytest.raises(ValueError, match="no successful image-task cells"):
        make_plot("compression", store=str(store), out=tmp_path)
    assert np.isfinite(ibbench.load_results(store)["estimate"]).all()
