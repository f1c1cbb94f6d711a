"""Image tasks: shapes/range, the pixel maps of Butakov et al. (ICLR 2024), injectivity (decoders) and latent MI."""

import numpy as np
import pytest
from scipy.special import ndtri

import ibbench
from ibbench.tasks.images import GaussianBumpImages, RectangleImages, rectangle_edges, render_rectangles


@pytest.mark.parametrize("name", ["images-bumps", "images-rectangles"])
@pytest.mark.parametrize("size", [16, 32])
def test_shapes_range_and_latent_consistency(name, size):
    task = ibbench.get_task(name, size=size, mi=3.0)
    X, Y = task.sample(200, random_state=0)
    assert X.shape == Y.shape == (200, size * size) == (200, task.dim_x)
    assert X.min() >= 0.0 and X.max() <= 1.0 and Y.min() >= 0.0 and Y.max() <= 1.0
    U, V = task.sample_latents(200, random_state=0)
    assert U.shape == V.shape == (200, task.latent_dim)
    assert np.all((U > 0) & (U < 1))
    # the same seed gives the images of exactly these latents (the ideal compressor's input)
    assert np.array_equal(task.render(U).reshape(200, -1), X)
    assert np.array_equal(task.render(V).reshape(200, -1), Y)


def test_bump_pixel_map_matches_the_specification():
    # Butakov et al. (ICLR 2024), pixel by pixel: exp(−10((u − μx)² + (v − μy)²)), grid linspace(0,1,W)
    task = GaussianBumpImages(size=16, mi=1.0)
    U, _ = task.sample_latents(3, random_state=1)
    img = task.render(U)
    g = np.linspace(0, 1, 16)
    for k in range(3):
        for i in range(16):
            for j in range(16):
                expected = np.exp(-10 * ((g[i] - U[k, 0]) ** 2 + (g[j] - U[k, 1]) ** 2))
                assert img[k, i, j] == pytest.approx(expected, rel=1e-12)


def _decode_bumps(images, size):
    # log pixel = −10(g_i − μ1)² − 10(g_j − μ2)²: differences of neighbouring rows are linear in μ1
    g = np.linspace(0, 1, size)
    L = np.log(images)
    d_rows = L[:, 1:, :].mean(2) - L[:, :-1, :].mean(2)  # = −10 (g_{i+1}−g_i)(g_{i+1}+g_i−2μ1)
    d_cols = L[:, :, 1:].mean(1) - L[:, :, :-1].mean(1)
    h = g[1] - g[0]
    mu1 = ((d_rows / (10 * h) + (g[1:] + g[:-1])) / 2).mean(1)
    mu2 = ((d_cols / (10 * h) + (g[1:] + g[:-1])) / 2).mean(1)
    return np.column_stack([mu1, mu2])


@pytest.mark.parametrize("size", [16, 32])
def test_bumps_are_injective_decoder_recovers_latents(size):
    task = GaussianBumpImages(size=size, mi=10.0)
    X, Y = task.sample(2000, random_state=3)
    U, V = task.sample_latents(2000, random_state=3)
    for images, latents in ((X, U), (Y, V)):
        decoded = _decode_bumps(images.reshape(-1, size, size), size)
        assert np.max(np.abs(decoded - latents)) < 1e-9  # exact up to round-off of log/exp


def _decode_rectangles(images, size):
    # The rectangle spans ≥ 2 pixels per axis, so some pixel is fully covered on each axis and the
    # per-axis coverage is the max over the other axis; the edges follow from the first/last
    # covered pixel, and (u0, u1) from inverting the edge formulas.
    out = []
    m = 2.0 / size
    for axis in (2, 1):
        cov = images.max(axis=axis)
        first = np.argmax(cov > 0, axis=1)
        last = size - 1 - np.argmax(cov[:, ::-1] > 0, axis=1)
        rows = np.arange(len(cov))
        left = (first + 1 - cov[rows, first]) / size
        right = (last + cov[rows, last]) / size
        u0 = 1 - (1 - left / (1 - m)) ** 2
        u1 = (right - left - m) / (1 - left - m)
        out += [u0, u1]
    return np.column_stack(out)


@pytest.mark.parametrize("size", [16, 32])
def test_rectangles_are_injective_decoder_recovers_latents(size):
    task = RectangleImages(size=size, mi=10.0)
    X, _ = task.sample(2000, random_state=4)
    U, _ = task.sample_latents(2000, random_state=4)
    decoded = _decode_rectangles(X.reshape(-1, size, size), size)
    # Inverting left = (1−m)(1 − sqrt(1−u0)) amplifies round-off where sqrt(1−u0) is small
    # (u0 → 1); 1e-6 is still thousands of times below the spacing of 2000 uniform draws.
    assert np.max(np.abs(decoded - U)) < 1e-6


@pytest.mark.parametrize("cls", [GaussianBumpImages, RectangleImages])
def test_distinct_latents_give_distinct_images(cls):
    from sklearn.neighbors import NearestNeighbors

    task = cls(size=16, mi=5.0)
    X, _ = task.sample(3000, random_state=5)
    U, _ = task.sample_latents(3000, random_state=5)
    dist, idx = NearestNeighbors(n_neighbors=2).fit(X).kneighbors(X)
    assert dist[:, 1].min() > 0  # no two distinct latents share an image
    # nearest-neighbour inversion: a fresh image's nearest bank image has a nearby latent
    Xq, _ = task.sample(200, random_state=6)
    Uq, _ = task.sample_latents(200, random_state=6)
    nn = NearestNeighbors(n_neighbors=1).fit(X).kneighbors(Xq, return_distance=False)[:, 0]
    # typical NN latent spacing for 3000 points in d ∈ {2, 4} is ≲ 0.1 per coordinate
    assert np.median(np.abs(U[nn] - Uq).max(1)) < 0.15


def test_rectangle_edges_respect_minimal_size():
    rng = np.random.default_rng(0)
    u0, u1 = rng.random(10_000), rng.random(10_000)
    left, right = rectangle_edges(u0, u1, 16)
    assert np.all(left >= 0) and np.all(right <= 1 + 1e-12) and np.all(right - left >= 2 / 16 - 1e-12)


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_rectangle_area_rule_matches_oversampled_rasterisation(seed):
    size = 16
    params = np.random.default_rng(seed).random((1, 4))
    img = render_rectangles(params, size)[0]
    l_r, r_r = rectangle_edges(params[:, 0], params[:, 1], size)
    l_c, r_c = rectangle_edges(params[:, 2], params[:, 3], size)
    # 2-D point-in-rectangle test on s×s sample points per pixel (midpoints). Each pixel holds at
    # most one edge per axis (width ≥ 2 pixels), so the midpoint count per axis is off by ≤ 0.5/s
    # and the area fraction by ≤ 1/s = 1e-3 with s = 1000. Built one pixel row at a time (16 MB).
    s = 1000
    fine = (np.arange(size * s) + 0.5) / (size * s)
    in_c = (fine >= l_c[0]) & (fine <= r_c[0])
    raster = np.empty((size, size))
    for i in range(size):
        rows = fine[i * s : (i + 1) * s]
        inside = ((rows >= l_r[0]) & (rows <= r_r[0]))[:, None] & in_c[None, :]
        raster[i] = inside.reshape(s, size, s).sum(axis=(0, 2)) / s**2
    assert np.max(np.abs(raster - img)) <= 1e-3


@pytest.mark.parametrize("cls", [GaussianBumpImages, RectangleImages])
@pytest.mark.parametrize("mi", [0.0, 2.0, 10.0])
def test_latent_mi_equals_closed_form(cls, mi):
    # I(images) = I(latents) by injectivity (tests above); the latents' MI is checked here from
    # Φ⁻¹ of the (0,1) parameters: per coordinate pair −½ log(1 − r²) with r the sample correlation.
    # n = 200000: each −½ log(residual variance) has SE ≈ ½·sqrt(2/n) ≈ 0.0016, so the sum over
    # d ≤ 4 pairs has SE < 0.004; tolerance 0.03 nats is > 7 SE.
    task = cls(size=16, mi=mi)
    U, V = task.sample_latents(200_000, random_state=8)
    xi, eta = ndtri(U), ndtri(V)
    total = 0.0
    for i in range(task.latent_dim):
        b = np.dot(xi[:, i], eta[:, i]) / np.dot(xi[:, i], xi[:, i])
        resid_var = np.var(eta[:, i] - b * xi[:, i]) / np.var(eta[:, i])
        total += -0.5 * np.log(resid_var)
    assert total == pytest.approx(task.true_mi, abs=0.03)
    assert task.true_mi == mi


def test_mixing_keeps_uniform_marginals_and_validation():
    task = RectangleImages(size=16, mi=2.0, mixing_seed=0)
    U, V = task.sample_latents(20_000, random_state=0)
    from scipy import stats

    for col in np.hstack([U, V]).T:
        assert stats.kstest(col, "uniform").pvalue > 1e-3
    for bad in ({"size": 2}, {"mi": -1.0}, {"size": 16.5}):
        with pytest.raises(ValueError):
            GaussianBumpImages(**bad)


@pytest.mark.parametrize(
    "name, image_name, dim",
    [("images-bumps-latents", "images-bumps", 2), ("images-rectangles-latents", "images-rectangles", 4)],
)
def test_latent_tasks_are_the_parameters_of_the_same_draw(name, image_name, dim):
    import ibbench

    task = ibbench.get_task(name, mi=3.0)
    U, V = task.sample(500, random_state=11)
    assert U.shape == V.shape == (500, dim) and task.true_mi == 3.0 and task.dim_x == dim
    assert ((U > 0) & (U < 1)).all() and ((V > 0) & (V < 1)).all()
    for size in (8, 16):  # the same latents serve every image size
        images = ibbench.get_task(image_name, size=size, mi=3.0)
        X, Y = images.sample(500, random_state=11)
        np.testing.assert_array_equal(images.render(U).reshape(500, -1), X)
        np.testing.assert_array_equal(images.render(V).reshape(500, -1), Y)
    with pytest.raises(ValueError):
        ibbench.get_task(name, mi=-1.0)
