"""Side-by-side speed of ibbench estimators vs peers and straightforward reference implementations.

Every row times two implementations of the *same* estimator on the *same* sample in one process,
alternating them (A, B, A, B, …) so a change of machine load hits both, and reports the best-of
times, their ratio (peer / ibbench: above 1 means ibbench is faster) and both estimates, which
must agree (same algorithm; differences come only from tie-breaking noise or float32 kernels),
except for bmi's KSG, which measures X and Y distances with the Euclidean norm (ibbench's KSG uses
the max-norm of Kraskov et al. everywhere), so its estimates differ slightly.

Peers
-----
* scikit-learn ``mutual_info_regression`` (KSG algorithm 1 for one continuous feature, k = 3) vs
  ``ksg`` on 1+1-dimensional Gaussians;
* scikit-learn ``mutual_info_score`` (plug-in MI of two label vectors) vs ``exact``;
* bmi (benchmark-mi 0.1.3, ``KSGEnsembleFirstEstimator`` through the ``bmi-ksg`` adapter, run in its
  own environment: ``ibbench peers install bmi``) vs ``ksg`` with k = 5: 5+5-dimensional Gaussians
  (both unstandardised, no jitter), 2+2 dimensions at n = 20 000, and the raw 256 + 256 pixels of
  16×16 bump images (unstandardised). bmi's time is its ``estimate`` call measured inside the peer
  process (``peer_seconds_``: JAX start-up and the file exchange excluded); the rows are left out
  when bmi is not installed;
* reference implementations written here in plain numpy/scipy, the way one would write them
  without care for speed: chunked brute-force KSG (max-norm) and Kozachenko–Leonenko MI, float64
  leave-one-out KDE with ``logsumexp`` at a fixed bandwidth, ``np.unique(axis=0)`` plug-in MI of a
  quantized layer, and ``np.histogramdd`` binning.

Writes ``peers.md`` and ``peers.csv`` into ``--out`` (default ``leaderboards/performance``).

Usage::

    python scripts/peer_comparison.py            # ~4 min on 2 cores
    python scripts/peer_comparison.py --quick    # smaller sizes, ~1 min
"""

from __future__ import annotations

import argparse
import csv
import datetime as _dt
import math
import os
import platform
import shlex
import sys
import time
from pathlib import Path

import numpy as np
from scipy.spatial.distance import cdist
from scipy.special import digamma, gammaln, logsumexp

import ibbench

ROOT = Path(__file__).resolve().parent.parent
BLOCK = 512  # rows per chunk of the brute-force references (block x n distance matrices)


# --------------------------------------------------------------------------------------------------
# straightforward reference implementations (independent of ibbench.numerics)
# --------------------------------------------------------------------------------------------------


def _standardize_jitter(A, rng):
    """Centred, unit variance per column, plus noise of 1e-10 (what ksg/kl do before the searches)."""
    A = A - A.mean(axis=0)
    std = A.std(axis=0)
    A = A / np.where((A.max(axis=0) > A.min(axis=0)) & (std > 0), std, 1.0)
    return A + 1e-10 * rng.standard_normal(A.shape)


def ref_ksg(X, Y, k=3, seed=0):
    """KSG algorithm 1 by chunked brute force: full max-norm distance rows, a sort for ε_i, counts."""
    rng = np.random.default_rng(seed)
    X, Y = _standardize_jitter(X, rng), _standardize_jitter(Y, rng)
    n = len(X)
    nx, ny = np.empty(n), np.empty(n)
    for s in range(0, n, BLOCK):
        e = min(n, s + BLOCK)
        dx, dy = cdist(X[s:e], X, "chebyshev"), cdist(Y[s:e], Y, "chebyshev")
        dz = np.maximum(dx, dy)
        eps = np.sort(dz, axis=1)[:, k]  # column 0 is the point itself (distance 0)
        nx[s:e] = (dx < eps[:, None]).sum(axis=1) - 1
        ny[s:e] = (dy < eps[:, None]).sum(axis=1) - 1
    return float(digamma(k) + digamma(n) - np.mean(digamma(nx + 1) + digamma(ny + 1)))


def _ref_kl_entropy(Z, k):
    n, d = Z.shape
    rho = np.empty(n)
    for s in range(0, n, BLOCK):
        e = min(n, s + BLOCK)
        rho[s:e] = np.sort(cdist(Z[s:e], Z), axis=1)[:, k]
    log_vd = 0.5 * d * np.log(np.pi) - gammaln(0.5 * d + 1)
    return digamma(n) - digamma(k) + log_vd + d * np.mean(np.log(rho))


def ref_kl(X, Y, k=5, seed=0):
    """Kozachenko–Leonenko MI H(X) + H(Y) − H(X,Y), Euclidean k-th neighbour by brute force."""
    rng = np.random.default_rng(seed)
    X, Y = _standardize_jitter(X, rng), _standardize_jitter(Y, rng)
    return float(_ref_kl_entropy(X, k) + _ref_kl_entropy(Y, k) - _ref_kl_entropy(np.column_stack([X, Y]), k))


def _ref_loo_entropy(Z, h):
    n, d = Z.shape
    logf = np.empty(n)
    for s in range(0, n, BLOCK):
        e = min(n, s + BLOCK)
        D = cdist(Z[s:e], Z, "sqeuclidean")
        D[np.arange(e - s), np.arange(s, e)] = np.inf
        logf[s:e] = logsumexp(-D / (2 * h * h), axis=1)
    logf += -np.log(n - 1) - 0.5 * d * np.log(2 * np.pi * h * h)
    return -float(np.mean(logf))


def ref_kde(X, Y, h):
    """Leave-one-out Gaussian-KDE MI at a fixed bandwidth, float64, each side scaled to unit mean variance."""
    sides = [A / (float(np.sqrt(np.mean(A.var(axis=0)))) or 1.0) for A in (X, Y)]
    return _ref_loo_entropy(sides[0], h) + _ref_loo_entropy(sides[1], h) - _ref_loo_entropy(np.column_stack(sides), h)


def _plugin(labels_counts):
    p = labels_counts / labels_counts.sum()
    return -float(np.sum(p * np.log(p)))


def ref_exact(X, Y):
    """Plug-in MI of row symbols via ``np.unique(axis=0)``."""
    hx = _plugin(np.unique(X, axis=0, return_counts=True)[1])
    hy = _plugin(np.unique(Y, axis=0, return_counts=True)[1])
    hxy = _plugin(np.unique(np.column_stack([X, Y]), axis=0, return_counts=True)[1])
    return hx + hy - hxy


def ref_binning(X, Y, n_bins):
    """Uniform binning over each side's global range with ``np.histogramdd``, plug-in MI."""
    edges = [[np.linspace(A.min(), A.max(), n_bins + 1)] * A.shape[1] for A in (X, Y)]
    hx = _plugin(_nonzero(np.histogramdd(X, bins=edges[0])[0]))
    hy = _plugin(_nonzero(np.histogramdd(Y, bins=edges[1])[0]))
    hxy = _plugin(_nonzero(np.histogramdd(np.column_stack([X, Y]), bins=edges[0] + edges[1])[0]))
    return hx + hy - hxy


def _nonzero(counts):
    counts = counts.ravel()
    return counts[counts > 0]


def sklearn_ksg_1d(X, Y, k=3, seed=0):
    from sklearn.feature_selection import mutual_info_regression

    return float(mutual_info_regression(X, Y.ravel(), n_neighbors=k, random_state=seed)[0])


def sklearn_mi_score(X, Y):
    from sklearn.metrics import mutual_info_score

    return float(mutual_info_score(X.ravel(), Y.ravel()))


def bmi_ksg(k, standardize):
    """bmi's KSG through the ``bmi-ksg`` adapter: ``(estimate, seconds of bmi's estimate call)``."""

    def run(X, Y):
        est = ibbench.get_estimator("bmi-ksg", k=k, standardize=standardize).fit(X, Y)
        return float(est.mutual_info_), float(est.peer_seconds_)

    return run


def _bmi_versions() -> str:
    if not bmi_installed():
        return ""
    from ibbench.peers.envs import installed_versions

    return ", bmi environment: " + ", ".join(f"{k} {v}" for k, v in sorted(installed_versions("bmi").items()))


def bmi_installed() -> bool:
    from ibbench.peers import is_installed

    return is_installed("bmi")


# --------------------------------------------------------------------------------------------------
# data and the comparison grid
# --------------------------------------------------------------------------------------------------


def gaussian(n, dim):
    return ibbench.get_task("gaussian-dense", dim=dim, mi=1.0).sample(n, random_state=0)


def categorical(n):
    X, Y = ibbench.get_task("categorical", n_symbols=64, flip=0.3).sample(n, random_state=0)
    return X, Y


def pixels(n):
    """Raw 16×16 Gaussian-bump images (256 + 256 pixel columns), 4 nats."""
    return ibbench.get_task("images-bumps", size=16, mi=4.0).sample(n, random_state=0)


def quantized_layer(n, width=10, levels=16):
    """A qnn-like pair: tanh layer of random 12-bit inputs fake-quantized to ``levels``, and a label."""
    rng = np.random.default_rng(0)
    B = rng.integers(0, 2, size=(n, 12)).astype(np.float64)
    T = np.tanh(B @ rng.normal(size=(12, width)) / np.sqrt(12))
    T = np.round((T + 1) / 2 * (levels - 1))
    y = (B.sum(axis=1) > 6).astype(np.float64)[:, None]
    return T, y


def comparisons(quick: bool):
    """(label, peer, data builder, sizes, ibbench estimator factory, peer function)."""
    big = not quick
    bmi = [
        (
            "ksg k=5 (no standardisation, no jitter) vs bmi KSG",
            "bmi",
            lambda n: gaussian(n, 5),
            [5000],
            lambda: ibbench.get_estimator("ksg", k=5, standardize=False, jitter=0.0, random_state=0),
            bmi_ksg(5, False),
        ),
        (
            "ksg k=5 vs bmi KSG",
            "bmi",
            lambda n: gaussian(n, 2),
            [20_000 if big else 5000],
            lambda: ibbench.get_estimator("ksg", k=5, random_state=0),
            bmi_ksg(5, True),
        ),
        (
            "ksg k=5 on raw pixels (no standardisation) vs bmi KSG",
            "bmi",
            pixels,
            [5000 if big else 1000],
            lambda: ibbench.get_estimator("ksg", k=5, standardize=False, random_state=0),
            bmi_ksg(5, False),
        ),
    ]
    if not bmi_installed():
        print("bmi is not installed (ibbench peers install bmi): its rows are left out", flush=True)
        bmi = []
    return [
        (
            "ksg k=3 vs sklearn mutual_info_regression",
            "scikit-learn",
            lambda n: gaussian(n, 1),
            [1000, 10_000] + ([100_000] if big else []),
            lambda: ibbench.get_estimator("ksg", k=3, random_state=0),
            sklearn_ksg_1d,
        ),
        (
            "ksg k=3 vs brute-force numpy KSG",
            "reference",
            lambda n: gaussian(n, 2),
            [1000, 5000] + ([20_000] if big else []),
            lambda: ibbench.get_estimator("ksg", k=3, random_state=0),
            ref_ksg,
        ),
        (
            "ksg k=3 vs brute-force numpy KSG",
            "reference",
            lambda n: gaussian(n, 10),
            [2000] + ([10_000] if big else []),
            lambda: ibbench.get_estimator("ksg", k=3, random_state=0),
            ref_ksg,
        ),
        (
            "kl k=5 vs brute-force numpy KL",
            "reference",
            lambda n: gaussian(n, 2),
            [1000, 5000] + ([20_000] if big else []),
            lambda: ibbench.get_estimator("kl", k=5, random_state=0),
            lambda X, Y: ref_kl(X, Y, 5),
        ),
        *bmi,
        (
            "kde-ml fixed h=0.3 vs float64 LOO-KDE + logsumexp",
            "reference",
            lambda n: gaussian(n, 2),
            [1000] + ([5000] if big else [2000]),
            lambda: ibbench.get_estimator("kde-ml", bandwidth=0.3, whiten=False),
            lambda X, Y: ref_kde(X, Y, 0.3),
        ),
        (
            "exact vs sklearn mutual_info_score",
            "scikit-learn",
            categorical,
            [100_000] + ([1_000_000] if big else []),
            lambda: ibbench.get_estimator("exact"),
            sklearn_mi_score,
        ),
        (
            "exact vs np.unique(axis=0) plug-in (quantized 10-wide layer; label)",
            "reference",
            quantized_layer,
            [4096] + ([100_000] if big else [20_000]),
            lambda: ibbench.get_estimator("exact"),
            ref_exact,
        ),
        (
            "binning 30 bins vs np.histogramdd",
            "reference",
            lambda n: gaussian(n, 2),
            [10_000] + ([1_000_000] if big else [100_000]),
            lambda: ibbench.get_estimator("binning", n_bins=30),
            lambda X, Y: ref_binning(X, Y, 30),
        ),
    ]


def best_of(fns, repeats: int, slow: float = 10.0):
    """Alternate the callables; best time and last result of each. Fewer rounds when a call is slow.

    After a round longer than ``slow`` seconds only the callables faster than ``slow / 4`` are
    repeated (a fast ibbench fit still gets its best of ``repeats`` next to one slow peer call).
    A callable may return ``(result, seconds)`` to report its own time (a peer process timing its
    estimate call); otherwise the wall-clock time of the call counts.
    """
    best = [math.inf] * len(fns)
    results = [None] * len(fns)
    cheap = [True] * len(fns)
    for _ in range(repeats):
        round_time = 0.0
        for i, fn in enumerate(fns):
            if not cheap[i]:
                continue
            t0 = time.perf_counter()
            results[i] = fn()
            dt = time.perf_counter() - t0
            if isinstance(results[i], tuple):
                results[i], dt = results[i]
            best[i], round_time = min(best[i], dt), round_time + dt
        if round_time > slow:
            cheap = [c and b < slow / 4 for c, b in zip(cheap, best, strict=True)]
            if not any(cheap):
                break
    return best, results


def _fmt(s):
    return f"{s * 1000:.2f} ms" if s < 0.1 else (f"{s * 1000:.0f} ms" if s < 1 else f"{s:.2f} s")


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--quick", action="store_true", help="smaller sizes (about a minute)")
    ap.add_argument("--repeats", type=int, default=5, help="alternating rounds (best-of); slow calls run once")
    ap.add_argument("--out", default=str(ROOT / "leaderboards" / "performance"))
    ap.add_argument("--note", default="", help="free text about the machine's state, written into peers.md")
    args = ap.parse_args(argv)

    load_start = os.getloadavg()
    rows = []
    for label, peer, make, sizes, factory, peer_fn in comparisons(args.quick):
        for n in sizes:
            X, Y = make(n)
            est = factory()
            (t_ib, t_peer), (e_ib, e_peer) = best_of(
                [lambda est=est, X=X, Y=Y: float(est.fit(X, Y).mutual_info_), lambda f=peer_fn, X=X, Y=Y: f(X, Y)],
                args.repeats,
            )
            row = {
                "comparison": label,
                "peer": peer,
                "n": n,
                "dims": f"{X.shape[1]}+{Y.shape[1]}",
                "ibbench_s": t_ib,
                "peer_s": t_peer,
                "ratio": t_peer / t_ib,
                "ibbench_estimate": e_ib,
                "peer_estimate": e_peer,
                "abs_diff": abs(e_ib - e_peer),
            }
            rows.append(row)
            print(
                f"{label:70s} n={n:<8d} ibbench {_fmt(t_ib):>10s}  peer {_fmt(t_peer):>10s}  "
                f"ratio {row['ratio']:7.1f}x  |Δ|={row['abs_diff']:.2e}",
                flush=True,
            )
    load_end = os.getloadavg()

    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    with open(out / "peers.csv", "w", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    import scipy
    import sklearn

    cpu = platform.machine()
    try:
        cpu = next(
            line.split(":", 1)[1].strip()
            for line in Path("/proc/cpuinfo").read_text().splitlines()
            if line.startswith("model name")
        )
    except (OSError, StopIteration):
        pass
    cmd = shlex.join(["python", "scripts/peer_comparison.py", *(sys.argv[1:] if argv is None else argv)])
    lines = [
        "# ibbench vs peers: speed, side by side",
        "",
        f"Generated by `{cmd}` on {_dt.datetime.now():%Y-%m-%d %H:%M}: {os.cpu_count()} cores ({cpu}), "
        f"Python {platform.python_version()}, numpy {np.__version__}, scipy {scipy.__version__}, "
        f"scikit-learn {sklearn.__version__}{_bmi_versions()}. Load average (1/5/15 min) at start "
        f"{', '.join(f'{x:.2f}' for x in load_start)}, at end {', '.join(f'{x:.2f}' for x in load_end)}"
        + (f": {args.note}" if args.note else "."),
        "",
        f"Both implementations run on the same sample in one process, alternating, best of up to "
        f"{args.repeats} rounds (after a round over 10 s only calls under 2.5 s are repeated). "
        "**ratio = peer time / ibbench time** "
        "(above 1: ibbench is faster). Both estimates are shown; they implement the same estimator, so "
        "|Δ| only reflects tie-breaking noise (1e-10 jitter) or float32 kernel sums — except for bmi's KSG, "
        "which uses Euclidean distances in X and Y where ibbench uses the max-norm, so its estimates differ "
        "slightly. bmi's time is that of its `estimate` call inside the peer process (`peer_seconds_` of the "
        "`bmi-ksg` adapter, JAX start-up excluded). ibbench's k-d tree queries and brute-force blocks use both "
        "cores; scikit-learn's `mutual_info_regression` uses one for a single feature; bmi's distances use "
        "scikit-learn's `pairwise_distances`; the references are single-threaded numpy apart from BLAS.",
        "",
        "| comparison | n | dims | ibbench | peer | ratio | ibbench estimate | peer estimate | abs. diff |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for r in rows:
        lines.append(
            f"| {r['comparison']} | {r['n']:,} | {r['dims']} | {_fmt(r['ibbench_s'])} | {_fmt(r['peer_s'])} "
            f"| **{r['ratio']:.1f}x** | {r['ibbench_estimate']:.4f} | {r['peer_estimate']:.4f} "
            f"| {r['abs_diff']:.1e} |"
        )
    lines += ["", "Raw numbers: `peers.csv`. Reference implementations: `scripts/peer_comparison.py`.", ""]
    (out / "peers.md").write_text("\n".join(lines))
    print("wrote", out / "peers.md", out / "peers.csv")
    return 0


if __name__ == "__main__":
    sys.exit(main())
