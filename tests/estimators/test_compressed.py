"""Compression wrappers (compressed-pca, compressed-ae): invariance, data processing, images, errors.

Independent references: the closed-form Gaussian MI (invariant under invertible linear maps, so PCA
of a linearly embedded latent must reproduce the estimate on the latent itself) and the known MI of
the synthetic image tasks.
"""

import math

import numpy as np
import pytest

import ibbench
from ibbench.estimators.compressed import Compressed, CompressedAE, CompressedPCA
from ibbench.estimators.gaussian import GaussianMI


def _latent_pair(n, rho, d, seed):
    rng = np.random.default_rng(seed)
    Z = rng.standard_normal((n, d))
    Y = rho * Z + math.sqrt(1 - rho**2) * rng.standard_normal((n, d))
    return Z, Y, rng


def test_pca_of_a_linear_embedding_is_lossless_for_the_gaussian_estimator():
    Z, Y, rng = _latent_pair(2000, 0.7, 2, 0)
    X = Z @ rng.standard_normal((2, 10))  # rank-2 data in 10 dimensions
    est = CompressedPCA(estimator="gaussian", n_components_x=2).fit(X, Y)
    # PCA scores are an invertible affine map of Z; the Gaussian estimate is affine-invariant, so
    # the two must agree to rounding.
    assert est.mutual_info_ == pytest.approx(GaussianMI().estimate(Z, Y), abs=1e-8)
    assert est.reconstruction_error_x_ < 1e-10
    assert est.n_components_x_ == 2 and est.n_components_y_ == 2  # None keeps Y's dimension


def test_pca_dropping_an_informative_direction_loses_information():
    Z, Y, rng = _latent_pair(2000, 0.7, 2, 1)
    X = Z @ np.diag([3.0, 1.0])  # both directions informative, the first has more variance
    full = CompressedPCA(estimator="gaussian", n_components_x=2).estimate(X, Y)
    one = CompressedPCA(estimator="gaussian", n_components_x=1).fit(X, Y)
    truth = -math.log(1 - 0.7**2)  # 2 pairs of 0.337 nats
    # data processing: the 1-component code keeps one of two equally informative pairs
    assert one.mutual_info_ == pytest.approx(truth / 2, abs=0.08)
    assert full == pytest.approx(truth, abs=0.08)  # sample SE at n=2000 is ~0.03 nats
    assert one.reconstruction_error_x_ > 0.3  # the dropped unit-variance column: E|N(0,1)|/2 = 0.40


def test_inner_estimator_params_and_derived_seed():
    Z, Y, _ = _latent_pair(500, 0.5, 1, 2)
    est = CompressedPCA(estimator="ksg", estimator_params={"k": 7}, random_state=3).fit(Z, Y)
    assert est.estimator_.k == 7
    assert isinstance(est.estimator_.random_state, int)  # derived from the wrapper's seed
    again = CompressedPCA(estimator="ksg", estimator_params={"k": 7}, random_state=3).fit(Z, Y)
    assert again.mutual_info_ == est.mutual_info_
    pinned = CompressedPCA(estimator="ksg", estimator_params={"k": 7, "random_state": 11}).fit(Z, Y)
    assert pinned.estimator_.random_state == 11


def test_n_components_is_capped_at_the_dimension():
    Z, Y, _ = _latent_pair(300, 0.5, 2, 3)
    est = CompressedPCA(n_components_x=5, n_components_y=1).fit(Z, Y)
    assert (est.n_components_x_, est.n_components_y_) == (2, 1)


def test_autoencoder_recovers_a_curved_one_dimensional_latent():
    rng = np.random.default_rng(4)
    u = rng.standard_normal(3000)
    rho = 0.8
    y = rho * u + math.sqrt(1 - rho**2) * rng.standard_normal(3000)
    X = np.column_stack([np.sin(1.2 * u), np.cos(1.2 * u), 0.3 * u])  # an injective helix in 3-D
    truth = -0.5 * math.log(1 - rho**2)  # 0.51 nats
    est = CompressedAE(n_components_x=1, hidden=64, n_epochs=30, random_state=0).fit(X, y)
    # a 1-unit tanh code of an injective curve keeps all information when the AE has learned the
    # curve (reconstruction MAE well below the 0.5 spread of the coordinates); KSG's own error at
    # n = 3000 is ~0.03 nats, the AE's imperfection adds a little: 0.1 nats is a loose bound.
    assert est.reconstruction_error_x_ < 0.1
    assert est.mutual_info_ == pytest.approx(truth, abs=0.1)
    assert len(est.history_["x"]) == 30 and est.history_["x"][-1] < est.history_["x"][0]


def test_convolutional_autoencoder_is_deterministic():
    X, Y = ibbench.get_task("images-bumps", size=8, mi=2.0).sample(300, random_state=0)
    params = dict(
        n_components_x=2,
        n_components_y=2,
        image_shape_x=(8, 8),
        image_shape_y=[1, 8, 8],
        hidden=16,
        n_epochs=2,
        random_state=0,
    )
    a, b = CompressedAE(**params).fit(X, Y), CompressedAE(**params).fit(X, Y)
    assert a.mutual_info_ == b.mutual_info_
    assert a.history_ == b.history_
    assert CompressedAE(**dict(params, random_state=1)).fit(X, Y).history_ != a.history_


def test_convolutional_autoencoder_on_small_images_approaches_the_ideal_compressor():
    task = ibbench.get_task("images-bumps", size=8, mi=2.0)
    X, Y = task.sample(1000, random_state=0)
    U, V = task.sample_latents(1000, random_state=0)
    ideal = ibbench.get_estimator("ksg", random_state=0).estimate(U, V)  # KSG on the true latents
    est = CompressedAE(
        n_components_x=2,
        n_components_y=2,
        image_shape_x="auto",
        image_shape_y=(8, 8),
        hidden=64,
        n_epochs=25,
        batch_size=64,
        random_state=0,
    ).fit(X, Y)
    # pixels lie in [0, 1] (mean ~0.3 for 8x8 bumps): after 25 short epochs the reconstruction MAE
    # is ~0.05 (0.007 with the defaults at 16x16, n = 5000, see the slow study); the codes then keep
    # most of the information: measured 1.65 vs 1.82 nats on the latents, so 0.4 nats is loose but
    # fails for a broken encoder (codes independent of the images give ~0).
    assert est.reconstruction_error_x_ < 0.08 and est.reconstruction_error_y_ < 0.08
    assert est.mutual_info_ == pytest.approx(ideal, abs=0.4)
    assert est.mutual_info_ <= ideal + 0.1  # compression cannot add information (up to estimator noise)


def test_auto_image_shape():
    from ibbench.estimators.compressed import _image_shape

    assert _image_shape("auto", 256, "x") == (1, 16, 16)
    assert _image_shape("auto", 5, "x") is None  # not a square image: MLP autoencoder
    assert _image_shape("auto", 16, "x") is None  # 4x4 is too small to call an image
    with pytest.raises(ValueError, match="auto"):
        _image_shape("square", 256, "x")


@pytest.mark.parametrize(
    "params, match",
    [
        ({"n_components_x": 0}, "n_components_x"),
        ({"image_shape_x": (3, 3)}, "pixels"),
        ({"image_shape_x": (2, 2, 2, 2)}, "image_shape_x"),
        ({"estimator": "no-such-estimator"}, "unknown estimator"),
        ({"estimator_params": [1]}, "estimator_params"),
        ({"n_epochs": 0}, "n_epochs"),
    ],
)
def test_bad_parameters_raise(params, match):
    Z, Y, _ = _latent_pair(100, 0.5, 4, 5)
    with pytest.raises(ValueError, match=match):
        CompressedAE(**dict({"n_epochs": 1, "hidden": 8}, **params)).fit(Z, Y)


def test_generic_wrapper_checks_the_compressor_name():
    Z, Y, _ = _latent_pair(100, 0.5, 1, 6)
    with pytest.raises(ValueError, match="compressor"):
        Compressed(compressor="svd").fit(Z, Y)
    assert Compressed(compressor="pca", estimator="gaussian").estimate(Z, Y) == pytest.approx(
        GaussianMI().estimate(Z, Y), abs=1e-10
    )


def test_registered_params_are_json_serialisable():
    import json

    for name in ("compressed-pca", "compressed-ae"):
        est = ibbench.get_estimator(name, estimator="kl", estimator_params={"k": 3})
        json.dumps(est.get_params())
        assert not hasattr(est, "mutual_info_")


# ------------------------------------------------------------------------- image compression study (slow)
@pytest.mark.slow
def test_butakov_trends_on_16x16_bumps():
    """Butakov et al. (ICLR 2024): at n = 5000, KL after AE compression is close to KL on the true latents,
    PCA-compressed falls further below at high MI."""
    errors = {"ideal": [], "ae": [], "pca": []}
    for mi in (2.0, 6.0):
        task = ibbench.get_task("images-bumps", size=16, mi=mi)
        X, Y = task.sample(5000, random_state=0)
        U, V = task.sample_latents(5000, random_state=0)
        kl = {"k": 1}
        ideal = ibbench.get_estimator("kl", **kl, random_state=0).estimate(U, V)
        ae = CompressedAE(
            estimator="kl",
            estimator_params=kl,
            n_components_x=2,
            n_components_y=2,
            image_shape_x=(16, 16),
            image_shape_y=(16, 16),
            random_state=0,
        ).estimate(X, Y)
        pca = CompressedPCA(
            estimator="kl", estimator_params=kl, n_components_x=2, n_components_y=2, random_state=0
        ).estimate(X, Y)
        for key, v in (("ideal", ideal), ("ae", ae), ("pca", pca)):
            errors[key].append(v - mi)
    # AE within 0.5 nats of the ideal compressor; PCA clearly worse at 6 nats
    assert all(abs(a - i) < 0.5 for a, i in zip(errors["ae"], errors["ideal"])), errors
    assert errors["pca"][1] < errors["ae"][1] - 0.3, errors


def test_codes_cache_trains_each_autoencoder_once_and_changes_nothing(tmp_path, monkeypatch):
    import ibbench.estimators.torch_utils as torch_helpers

    calls = []
    real = torch_helpers.fit_autoencoder

    def counting(*args, **kwargs):
        calls.append(kwargs.get("seed"))
        return real(*args, **kwargs)

    monkeypatch.setattr(torch_helpers, "fit_autoencoder", counting)
    X, Y = ibbench.get_task("images-bumps", size=8, mi=2.0).sample(300, random_state=0)
    params = dict(
        n_components_x=2,
        n_components_y=2,
        image_shape_x="auto",
        image_shape_y="auto",
        hidden=16,
        n_epochs=3,
        random_state=5,
    )
    monkeypatch.setenv("IBBENCH_CACHE", "off")
    fresh = CompressedAE(estimator="kl", **params).fit(X, Y)
    assert len(calls) == 2
    monkeypatch.setenv("IBBENCH_CACHE", str(tmp_path))
    first = CompressedAE(estimator="kl", **params).fit(X, Y)
    other_inner = CompressedAE(estimator="ksg", **params).fit(X, Y)  # same sample, same AE: cache hit
    assert len(calls) == 4 and len(list((tmp_path / "compression").glob("*.npz"))) == 2
    assert first.mutual_info_ == fresh.mutual_info_
    assert first.reconstruction_error_x_ == fresh.reconstruction_error_x_ == other_inner.reconstruction_error_x_
    assert first.history_ == fresh.history_
    # a different sample, epoch count or seed is a different entry
    CompressedAE(estimator="kl", **{**params, "n_epochs": 2}).fit(X, Y)
    CompressedAE(estimator="kl", **params).fit(X[:-1], Y[:-1])
    assert len(calls) == 8 and len(list((tmp_path / "compression").glob("*.npz"))) == 6
    # PCA codes are cached too: a hit equals a fresh computation
    pca = dict(estimator="kl", n_components_x=2, n_components_y=2, random_state=1)
    a = CompressedPCA(**pca).fit(X, Y)
    assert len(list((tmp_path / "compression").glob("*.npz"))) == 8
    hit = CompressedPCA(**pca).fit(X, Y)
    monkeypatch.setenv("IBBENCH_CACHE", "off")
    b = CompressedPCA(**pca).fit(X, Y)
    assert a.mutual_info_ == hit.mutual_info_ == b.mutual_info_
    assert a.reconstruction_error_x_ == hit.reconstruction_error_x_ == b.reconstruction_error_x_


def test_unwritable_cache_directory_falls_back_to_computing(tmp_path, monkeypatch):
    blocker = tmp_path / "not-a-directory"
    blocker.write_text("x")  # the cache root is a file: every cache write fails with an OSError
    monkeypatch.setenv("IBBENCH_CACHE", str(blocker))
    X, Y = ibbench.get_task("images-bumps", size=8, mi=1.0).sample(200, random_state=0)
    est = CompressedPCA(estimator="kl", n_components_x=2, n_components_y=2, random_state=0).fit(X, Y)
    monkeypatch.setenv("IBBENCH_CACHE", "off")
    ref = CompressedPCA(estimator="kl", n_components_x=2, n_components_y=2, random_state=0).fit(X, Y)
    assert est.mutual_info_ == ref.mutual_info_


def test_cache_entries_record_their_cost_and_entries_without_one_are_recomputed(tmp_path, monkeypatch):
    monkeypatch.setenv("IBBENCH_CACHE", str(tmp_path))
    X, Y = ibbench.get_task("images-bumps", size=8, mi=1.0).sample(200, random_state=0)
    params = dict(estimator="kl", n_components_x=2, n_components_y=2, random_state=0)
    cold = CompressedPCA(**params).fit(X, Y)
    assert cold.cache_hit_ is False and cold.cached_seconds_ == 0.0
    assert cold.compression_seconds_x_ > 0 and cold.compression_seconds_y_ > 0
    warm = CompressedPCA(**params).fit(X, Y)
    assert warm.cache_hit_ is True
    # the hit returns the cost measured by the cold fit, for both sides
    assert (warm.compression_seconds_x_, warm.compression_seconds_y_) == (
        cold.compression_seconds_x_,
        cold.compression_seconds_y_,
    )
    assert warm.cached_seconds_ == cold.compression_seconds_x_ + cold.compression_seconds_y_
    # an entry written before costs were recorded counts as unusable: recomputed and rewritten in place
    entries = sorted((tmp_path / "compression").glob("*.npz"))
    assert len(entries) == 2
    for path in entries:
        with np.load(path) as z:
            old = {k: z[k] for k in z.files if k != "seconds"}
        np.savez_compressed(path, **old)
    again = CompressedPCA(**params).fit(X, Y)
    assert again.cache_hit_ is False and again.cached_seconds_ == 0.0
    assert again.mutual_info_ == cold.mutual_info_
    assert sorted((tmp_path / "compression").glob("*.npz")) == entries
    for path in entries:
        with np.load(path) as z:
            assert float(z["seconds"]) > 0
    monkeypatch.setenv("IBBENCH_CACHE", "off")
    off = CompressedPCA(**params).fit(X, Y)
    assert off.cache_hit_ is False and off.cached_seconds_ == 0.0 and off.mutual_info_ == cold.mutual_info_


# ------------------------------------------------------------------------- inner estimator as an object
def test_inner_estimator_object_behaves_like_a_scikit_learn_meta_estimator():
    from sklearn.base import clone

    from ibbench.estimators.knn import KSG

    Z, Y, _ = _latent_pair(500, 0.5, 2, 7)
    inner = KSG(k=7)
    wrapper = CompressedPCA(estimator=inner, n_components_x=1, random_state=3)
    deep = wrapper.get_params(deep=True)
    assert deep["estimator__k"] == 7 and deep["estimator"] is inner
    copy = clone(wrapper)
    assert copy.estimator is not inner and copy.estimator.get_params() == inner.get_params()
    before = inner.get_params()
    wrapper.fit(Z, Y)
    # the object is cloned before fitting: unchanged, unfitted; the fitted clone is estimator_
    assert inner.get_params() == before and not hasattr(inner, "mutual_info_")
    assert wrapper.estimator_ is not inner and wrapper.estimator_.k == 7
    # the same estimate as the registry form, derived seed included
    by_name = CompressedPCA(estimator="ksg", estimator_params={"k": 7}, n_components_x=1, random_state=3).fit(Z, Y)
    assert wrapper.mutual_info_ == by_name.mutual_info_
    assert wrapper.estimator_.random_state == by_name.estimator_.random_state is not None
    # nested parameters can be set through the wrapper
    wrapper.set_params(estimator__k=3)
    assert inner.k == 3 and wrapper.fit(Z, Y).estimator_.k == 3
    # a random_state set on the object is kept, as one given in estimator_params
    pinned = CompressedPCA(estimator=KSG(k=7, random_state=11), random_state=3).fit(Z, Y)
    assert pinned.estimator_.random_state == 11


def test_inner_estimator_object_is_keyed_by_its_identity():
    from ibbench.estimators.knn import KSG
    from ibbench.identity import estimator_identity

    def ident(**params):
        return estimator_identity("compressed-pca", CompressedPCA(**params))

    # an object and the registry form with the same parameters are one cell (7.0 cast like 7)
    assert ident(estimator=KSG(k=7)) == ident(estimator="ksg", estimator_params={"k": 7})
    assert ident(estimator=KSG(k=7.0)) == ident(estimator="ksg", estimator_params={"k": 7})
    assert ident(estimator=KSG()) == ident()
    assert ident(estimator=KSG(k=5)) != ident(estimator=KSG(k=7))
    parts = ident(estimator=KSG(k=5))["parts"]["estimator"]
    assert parts == {"name": "ksg", "version": KSG.version, "params": {"k": 5}}
    assert "estimator" not in ident(estimator=KSG(k=5))["params"]


def test_inner_estimator_object_is_validated():
    from ibbench.estimators.knn import KSG

    Z, Y, _ = _latent_pair(100, 0.5, 1, 8)
    with pytest.raises(ValueError, match="inner estimator: estimator 'ksg': parameter k"):
        CompressedPCA(estimator=KSG(k=0)).fit(Z, Y)
    with pytest.raises(ValueError, match="estimator_params must be None"):
        CompressedPCA(estimator=KSG(), estimator_params={"k": 3}).fit(Z, Y)
    with pytest.raises(ValueError, match="parameter estimator must be"):
        CompressedPCA(estimator=3).fit(Z, Y)


def test_inner_neural_estimator_object_in_the_autoencoder_wrapper():
    from ibbench.estimators.neural import NWJ

    Z, Y, _ = _latent_pair(400, 0.8, 1, 9)
    inner = NWJ(hidden=(8,), n_steps=20, batch_size=64)
    params = dict(n_components_x=1, hidden=8, n_epochs=2, random_state=0)
    a = CompressedAE(estimator=inner, **params).fit(Z, Y)
    b = CompressedAE(estimator="nwj", estimator_params={"hidden": (8,), "n_steps": 20, "batch_size": 64}, **params).fit(
        Z, Y
    )
    assert a.mutual_info_ == b.mutual_info_ and inner.random_state is None
