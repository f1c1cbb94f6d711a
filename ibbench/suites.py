"""Named, versioned benchmark suites: which tasks, sample sizes, seeds and per-estimator overrides.

Suites name estimators (their own selections and overrides), so they live beside the runner, not
among the tasks: ``ibbench.tasks`` defines tasks only and imports nothing from the registry.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from ibbench.bmi_tasks import BMI_V1_N, BMI_V1_SEEDS, bmi_v1_specs


@dataclass(frozen=True)
class Suite:
    """A named list of ``(task name, task params)`` with default sample sizes and seeds.

    ``estimator_overrides`` maps an estimator name to params applied in this suite (e.g. fewer
    training steps for neural estimators in ``quick``); explicit CLI params win over them.
    ``estimators`` is the suite's own estimator selection, used when the caller names none (a
    paper's estimator configurations); without it the default is every registered estimator.
    ``parts`` makes a composite suite: the union of the named suites' grids, each part with its own
    tasks, estimators, sample sizes and seeds (``tasks`` is then empty).
    """

    name: str
    version: str
    description: str
    tasks: tuple[tuple[str, dict[str, Any]], ...]
    n: tuple[int, ...] = (1000,)
    seeds: int = 3
    estimator_overrides: dict[str, dict[str, Any]] = field(default_factory=dict)
    estimators: tuple[tuple[str, dict[str, Any]], ...] = ()
    parts: tuple[str, ...] = ()


Spec = tuple[str, dict[str, Any]]

#: The MI sweep of the image experiments (Butakov et al. 2024, Fig. 3/4): 0, 1, …, 10 nats.
PAPER_MI_GRID: tuple[float, ...] = tuple(float(i) for i in range(11))

#: Label-noise levels of the digits label-channel sweep: MI from H(L) ≈ log 10 (flip 0) to 0 (flip 0.9).
DIGITS_FLIPS: tuple[float, ...] = (0.0, 0.05, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9)

#: Less training for the neural estimators and the autoencoder compressor where a suite has to
#: stay fast (measured on the quick suite, shared 2-core machine: compressed-ae with its default 60
#: epochs took ~13 s per cell, a third of the whole run).
_QUICK_NEURAL: dict[str, dict[str, Any]] = {
    name: {"n_steps": 200} for name in ("dv", "infonce", "js", "mine", "nwj", "smile")
}
# Compression wrappers: 2 latents per side (the intrinsic dimension of the bump images; capped at a
# side's dimension, so 1-D sides stay 1-D), the AE convolutional on square image sides ("auto").
_QUICK_NEURAL["compressed-ae"] = {
    "n_epochs": 15,
    "n_components_x": 2,
    "n_components_y": 2,
    "image_shape_x": "auto",
    "image_shape_y": "auto",
}
_QUICK_NEURAL["compressed-pca"] = {"n_components_x": 2, "n_components_y": 2}
# Generative estimators at n=1000 (measured with other load on the 2 cores): club 200 steps ~0.3 s,
# flow with one spline transform per side and 60 steps ~0.4 s per cell.
_QUICK_NEURAL["club"] = {"n_steps": 200}
_QUICK_NEURAL["flow"] = {"transforms": 1, "hidden": (32, 32), "n_steps": 60}


def _quick_tasks() -> tuple[Spec, ...]:
    # One or two tasks per family, small dims: every estimator, 2 seeds, n=1000 in ~5 min on 2 cores.
    return (
        ("gaussian-independent", {"dim": 2}),
        ("gaussian-dense", {"dim": 1, "mi": 0.5}),
        ("gaussian-dense", {"dim": 3, "mi": 2.0}),
        ("gaussian-sparse", {"dim": 5, "mi": 1.0, "n_interacting": 2}),
        ("gaussian-dense", {"dim": 2, "mi": 5.0}),
        ("gaussian-halfcube", {"dim": 2, "mi": 1.0}),
        ("gaussian-cdf", {"dim": 2, "mi": 1.0}),
        ("student-t", {"dim": 2, "df": 3.0, "scale_mi": 0.5}),
        ("categorical", {"n_symbols": 4, "flip": 0.2}),
        ("categorical-random", {"n_x": 64, "n_y": 64, "concentration": 0.1}),
        ("mixed-class-gaussian", {"n_classes": 4, "separation": 1.5}),
        ("images-bumps", {"size": 16, "mi": 2.0}),
        ("digits-label", {"flip": 0.2}),
        # a 30-epoch quantized digits net (trained once per seed, then cached): I(T;Y) ≈ 1.7 nats of its
        # 2-unit bottleneck over the 1797 images (the 4096-pattern SZT tasks cost ~3x more per cell)
        ("qnn-digits-ty", {"activation": "relu", "bits": 8, "layer": 4, "epochs": 30, "n_snapshots": 5}),
    )


def _image_sweep(
    families: tuple[str, ...] = ("images-bumps", "images-rectangles"),
    sizes: tuple[int, ...] = (16, 32),
    mis: tuple[float, ...] = PAPER_MI_GRID,
) -> tuple[Spec, ...]:
    return tuple((family, {"size": size, "mi": mi}) for family in families for size in sizes for mi in mis)


def _digits_sweep() -> tuple[Spec, ...]:
    return tuple(("digits-label", {"flip": flip}) for flip in DIGITS_FLIPS)


def _qnn_sweep(datasets: tuple[str, ...] = ("szt", "digits"), epochs: int = 1000) -> tuple[Spec, ...]:
    # Lorenzen et al. (ICLR 2022): every layer of the quantized nets, (X, T) and (T, Y), last epoch
    configs = {"szt": [(a, b) for a in ("tanh", "relu") for b in (4, 8)], "digits": [("relu", 8)]}
    n_layers = {"szt": 6, "digits": 5}
    return tuple(
        (f"qnn-{d}-{side}", {"activation": a, "bits": b, "layer": layer, "epochs": epochs})
        for d in datasets
        for a, b in configs[d]
        for layer in range(1, n_layers[d] + 1)
        for side in ("xt", "ty")
    )


def _mixture_tasks() -> tuple[Spec, ...]:
    return (
        ("mixture-x", {"correlation": 0.5}),
        ("mixture-x", {"correlation": 0.9}),
        ("mixture-ai", {}),
        ("mixture-inliers", {"dim": 2, "correlation": 0.8, "inlier_fraction": 0.2}),
        ("mixture-inliers", {"dim": 2, "correlation": 0.8, "inlier_fraction": 0.5}),
        ("gaussian-mixture", {}),
    )


def _full_tasks() -> tuple[Spec, ...]:
    tasks: list[Spec] = []
    for dim in (1, 2, 5, 10, 20, 50):
        tasks.append(("gaussian-independent", {"dim": dim}))
        for mi in (0.1, 0.5, 1.0, 2.0, 5.0, 10.0):
            tasks.append(("gaussian-dense", {"dim": dim, "mi": mi}))
        if dim >= 2:
            tasks.append(("gaussian-sparse", {"dim": dim, "mi": 1.0, "n_interacting": 1}))
    tasks.append(("gaussian-dense", {"dim": 2, "mi": 20.0}))  # very high MI
    tasks.append(("gaussian-dense", {"dim": 3, "mi": 1.0, "dim_y": 10}))  # unequal sides
    for transform in ("cdf", "halfcube", "asinh", "spiral", "wiggly"):
        for dim in (1, 2, 5) if transform != "spiral" else (2, 5):
            for mi in (0.5, 2.0):
                tasks.append((f"gaussian-{transform}", {"dim": dim, "mi": mi}))
    for dim in (1, 2, 5):
        for df in (1.0, 3.0, 10.0):
            for scale_mi in (0.0, 1.0):
                tasks.append(("student-t", {"dim": dim, "df": df, "scale_mi": scale_mi}))
    for k in (2, 4, 16, 64, 256):
        for flip in (0.0, 0.2, 0.5):
            tasks.append(("categorical", {"n_symbols": k, "flip": flip}))
    for k in (16, 256):
        for concentration in (0.01, 0.1, 1.0):
            tasks.append(("categorical-random", {"n_x": k, "n_y": k, "concentration": concentration}))
    for n_classes in (2, 10):
        for separation in (0.5, 1.5, 4.0):
            tasks.append(("mixed-class-gaussian", {"n_classes": n_classes, "separation": separation}))
    tasks.append(("mixed-class-gaussian", {"n_classes": 10, "separation": 1.5, "dim_y": 5, "mixing_seed": 0}))
    tasks.extend(_image_sweep(sizes=(16,)))
    tasks.extend(_digits_sweep())
    tasks.extend(_qnn_sweep())
    return tuple(tasks)


#: Dimensions per side of the ``highdim`` suite and its two MI levels (nats).
HIGHDIM_DIMS: tuple[int, ...] = (2, 5, 10, 25, 50, 100, 250, 500, 1000)
HIGHDIM_MIS: tuple[float, ...] = (1.0, 5.0)
#: MI levels (nats) and dimensions per side of the ``highmi`` suite.
HIGHMI_MIS: tuple[float, ...] = (0.5, 1.0, 2.0, 4.0, 6.0, 8.0, 10.0, 12.0, 15.0, 20.0)
HIGHMI_DIMS: tuple[int, ...] = (1, 2)


def _highdim_tasks() -> tuple[Spec, ...]:
    # dense: the MI spread over all dim pairs (DCT-mixed); sparse: two interacting pairs among noise dims
    return tuple(
        (f"gaussian-highdim-{kind}", {"dim": dim, "mi": mi})
        for kind in ("dense", "sparse")
        for dim in HIGHDIM_DIMS
        for mi in HIGHDIM_MIS
    )


def _highmi_tasks() -> tuple[Spec, ...]:
    return tuple(("gaussian-highmi", {"dim": dim, "mi": mi}) for dim in HIGHMI_DIMS for mi in HIGHMI_MIS)


#: The ``convergence`` suite: sample sizes (10^2 ... 3·10^4, half a decade apart), tasks and estimators.
CONVERGENCE_N: tuple[int, ...] = (100, 300, 1000, 3000, 10000, 30000)
CONVERGENCE_TASKS: tuple[Spec, ...] = (
    ("gaussian-dense", {"dim": 1, "mi": 0.5}),
    ("gaussian-cdf", {"dim": 2, "mi": 1.0}),
    ("categorical", {"n_symbols": 16, "flip": 0.2}),
)
CONVERGENCE_ESTIMATORS: tuple[Spec, ...] = (
    ("ksg", {}),
    ("kl", {}),
    ("gaussian", {}),
    ("gcmi", {}),
    ("binning", {}),
    ("exact", {}),
    ("exact", {"miller_madow": True}),
)


#: The estimators of Butakov et al.'s image experiments: KDE with the bandwidth
#: by leave-one-out maximum likelihood or least-squares CV, Kozachenko–Leonenko with k=1 (the
#: setting of the paper's reference curve), weighted KL, and MINE (Adam 1e-3, batch 512); beside
#: them two later estimators on the same compressed codes: the normalizing-flow estimator of the
#: same group (Butakov et al., NeurIPS 2024) and SMILE.
PAPER_INNER_ESTIMATORS: tuple[Spec, ...] = (
    ("kde-ml", {}),
    ("kde-lse", {}),
    ("kl", {"k": 1}),
    ("wkl", {}),
    ("mine", {}),
    ("flow", {}),
    ("smile", {}),
)


def _compressed_estimators(latent_dim: int) -> tuple[Spec, ...]:
    # each inner estimator after a per-side autoencoder (convolutional on the W x W images, tanh
    # bottleneck of the intrinsic dimension) and after PCA to the same dimension
    specs: list[Spec] = []
    for compressor, extra in (
        ("compressed-ae", {"image_shape_x": "auto", "image_shape_y": "auto"}),
        ("compressed-pca", {}),
    ):
        for inner, params in PAPER_INNER_ESTIMATORS:
            specs.append(
                (
                    compressor,
                    {
                        "estimator": inner,
                        "estimator_params": dict(params),
                        "n_components_x": latent_dim,
                        "n_components_y": latent_dim,
                        **extra,
                    },
                )
            )
    return tuple(specs)


def _latent_sweep() -> tuple[Spec, ...]:
    return tuple(
        (f"{family}-latents", {"mi": mi}) for family in ("images-bumps", "images-rectangles") for mi in PAPER_MI_GRID
    )


#: The quantized-network suite's estimators: binning of the dequantized layer with 30/100/256 bins
#: (at 4 bits 30 bins already separate the 16 levels) and KSG.
_QNN_ESTIMATORS: tuple[Spec, ...] = (
    ("binning", {"n_bins": 30}),
    ("binning", {"n_bins": 100}),
    ("binning", {"n_bins": 256}),
    ("ksg", {}),
)


SUITES: dict[str, Suite] = {
    "quick": Suite(
        name="quick",
        version="4",
        description="a representative slice of every family (Gaussian, transforms, Student-t, discrete, "
        "mixed, 16x16 images, digits); --estimators all finishes within ~5 minutes on 2 cores",
        tasks=_quick_tasks(),
        n=(1000,),
        seeds=2,
        estimator_overrides=_QUICK_NEURAL,
    ),
    "paper": Suite(
        name="paper",
        version="2",
        description="both seed papers: the Butakov et al. image sweeps (paper-latents, paper-bumps, "
        "paper-rectangles, paper-raw) and the Lorenzen et al. quantized networks (paper-qnn)",
        tasks=(),
        parts=("paper-latents", "paper-qnn", "paper-bumps", "paper-rectangles", "paper-raw"),
    ),
    "paper-latents": Suite(
        name="paper-latents",
        version="2",
        description="Butakov et al. (ICLR 2024) ideal compressor: KDE-ML, KDE-LSE, KL, WKL, MINE (and flow, "
        "SMILE) on the true "
        "(0,1) latents of the bump and rectangle images, MI 0..10 nats, n=5000",
        tasks=_latent_sweep(),
        n=(5000,),
        seeds=3,
        estimators=PAPER_INNER_ESTIMATORS,
    ),
    "paper-bumps": Suite(
        name="paper-bumps",
        version="3",
        description="Butakov et al. (ICLR 2024) Fig. 3: Gaussian-bump images 16x16 and 32x32, MI 0..10 nats, "
        "n=5000; KDE-ML, KDE-LSE, KL, WKL, MINE (and flow, SMILE) after autoencoder and after PCA compression "
        "to 2 dims",
        tasks=_image_sweep(families=("images-bumps",)),
        n=(5000,),
        seeds=3,
        estimators=_compressed_estimators(latent_dim=2),
    ),
    "paper-rectangles": Suite(
        name="paper-rectangles",
        version="3",
        description="Butakov et al. (ICLR 2024) Fig. 4: rectangle images 16x16 and 32x32, MI 0..10 nats, n=5000; "
        "KDE-ML, KDE-LSE, KL, WKL, MINE (and flow, SMILE) after autoencoder and after PCA compression to 4 dims",
        tasks=_image_sweep(families=("images-rectangles",)),
        n=(5000,),
        seeds=3,
        estimators=_compressed_estimators(latent_dim=4),
    ),
    "paper-raw": Suite(
        name="paper-raw",
        version="3",
        description="plain KL (k=5) and KSG on the raw 256 pixels of the 16x16 bump and rectangle images, "
        "MI 0, 2, ..., 10 nats, n=5000, 2 seeds (what happens without compression; a KL cell on 512 "
        "joint dimensions takes up to 90 s)",
        tasks=_image_sweep(sizes=(16,), mis=PAPER_MI_GRID[::2]),
        n=(5000,),
        seeds=2,
        estimators=(("kl", {"k": 5}), ("ksg", {})),
    ),
    "paper-digits": Suite(
        name="paper-digits",
        version="1",
        description="Lee & Rhee (NeurIPS 2024 D&B) label channel on sklearn digits: MI 0..log(10) nats",
        tasks=_digits_sweep(),
        n=(1000, 5000),
        seeds=3,
    ),
    "paper-qnn": Suite(
        name="paper-qnn",
        version="2",
        description="Lorenzen et al. (ICLR 2022) quantized networks: every layer's I(X;T) and I(T;Y) after 1000 "
        "epochs, SZT 12-10-7-5-4-3-2 (tanh/ReLU, 4/8 bits) and the digits 64-16-8-4-2-10 ReLU net; "
        "the seed selects the training repetition",
        tasks=_qnn_sweep(),
        n=(1000,),
        seeds=5,
        estimators=_QNN_ESTIMATORS,
    ),
    "bmi": Suite(
        name="bmi",
        version="1",
        description="the 40 tasks of bmi's benchmark v1 (Czyż et al., Beyond Normal, NeurIPS 2023) with bmi's "
        "n=5000 and 10 seeds, each sample's columns standardised as in bmi's workflow (ids: docs/bmi.md)",
        tasks=bmi_v1_specs(rescale=True),
        n=(BMI_V1_N,),
        seeds=BMI_V1_SEEDS,
    ),
    "mixtures": Suite(
        name="mixtures",
        version="1",
        description="Gaussian mixtures (Czyż et al., AISTATS 2024): the X and AI distributions, a correlated "
        "Gaussian diluted by independent inliers, two separated blobs; true MI by Monte Carlo of the pointwise "
        "MI (10^6 fixed-seed draws, standard error <= 0.01 nats, tolerance widened by 2 standard errors)",
        tasks=_mixture_tasks(),
        n=(1000, 5000),
        seeds=3,
    ),
    "highdim": Suite(
        name="highdim",
        version="1",
        description="family high-dim: Gaussian MI 1 and 5 nats at 2, 5, 10, 25, 50, 100, 250, 500, 1000 dims "
        "per side, dense (spread over all pairs, DCT-mixed) and sparse (2 interacting pairs among noise); "
        "n=5000 (bmi's size: above the 1000-dim sides, 80 MB per cell at 1000+1000 dims), 3 seeds. Estimators "
        "decline by their max_dim tag (dim_x + dim_y): sklearn-mi (2) every task, wkl (16) from 10 dims per "
        "side, flow (32) from 25 dims per side",
        tasks=_highdim_tasks(),
        n=(5000,),
        seeds=3,
    ),
    "highmi": Suite(
        name="highmi",
        version="1",
        description="family high-mi: Gaussian MI 0.5 ... 20 nats at 1+1 and 2+2 dims, n=1000 and 10000 "
        "(nonparametric estimators saturate near log n = 6.9 and 9.2; the O(n^2) KDE estimators already "
        "take ~80 s per cell at n=20000, 10^5 would take ~30 min), 3 seeds",
        tasks=_highmi_tasks(),
        n=(1000, 10000),
        seeds=3,
    ),
    "convergence": Suite(
        name="convergence",
        version="1",
        description="error decomposition and convergence: bias, seed-to-seed sd and RMSE of fast estimators "
        "(ksg, kl, gaussian, gcmi, binning, plug-in exact with and without Miller-Madow) against n = 100 ... "
        "30000 on a Gaussian (1+1 dims, 0.5 nats), its CDF transform (2+2 dims, 1 nat: the Gaussian "
        "estimator is inconsistent there) and a 16-symbol channel (plug-in bias O(1/n)); 10 seeds (the RMSE "
        "over m seeds varies by about 1/sqrt(2m): 22%), ~1.5 min on 2 cores",
        tasks=CONVERGENCE_TASKS,
        n=CONVERGENCE_N,
        seeds=10,
        estimators=CONVERGENCE_ESTIMATORS,
    ),
    "full": Suite(
        name="full",
        version="3",
        description="every task family over dimensions and MI levels",
        tasks=_full_tasks(),
        n=(1000, 5000),
        seeds=5,
    ),
}


def list_suites() -> list[str]:
    """Names of the built-in suites."""
    return sorted(SUITES)


def get_suite(name: str) -> Suite:
    """The suite called ``name`` (``ValueError`` if unknown)."""
    if name not in SUITES:
        raise ValueError(f"unknown suite {name!r}; known: {', '.join(list_suites())}")
    return SUITES[name]
