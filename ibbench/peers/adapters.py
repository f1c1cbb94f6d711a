"""Adapter estimators: a peer implementation run in its own virtual environment.

Each adapter is an :class:`~ibbench.base.MIEstimator` whose ``_fit`` writes ``X`` and ``Y`` to an
``.npz`` file in a temporary directory, runs :mod:`ibbench.peers.runner_script` with the peer
environment's Python and reads back ``{"mi", "seconds", "versions"}``. ``peer_seconds_`` is the
time of the peer's own estimate call, measured inside the peer's process; the benchmark's
``seconds`` of a cell also include the interpreter start and the peer's imports (for bmi, about
3 s of JAX start-up), so compare speeds through ``peer_seconds_``.

The adapters implement nothing themselves: what they estimate is what the peer's code does (the
References name the peer and the paper of its algorithm). The peers' versions recorded at install
time are part of every adapter cell's key (:meth:`PeerEstimator.identity_parts`).
"""

from __future__ import annotations

import json
import math
import subprocess
import tempfile
from numbers import Integral, Real
from pathlib import Path
from typing import Any

import numpy as np

from ibbench.base import MIEstimator
from ibbench.params import Interval, IntSequence
from ibbench.peers import envs

#: The script run inside a peer environment.
RUNNER_SCRIPT = Path(__file__).with_name("runner_script.py")

_STDERR_TAIL = 20


def run_peer(
    peer: str,
    estimator: str,
    params: dict[str, Any],
    seed: int,
    X: np.ndarray,
    Y: np.ndarray,
    *,
    python: Path | None = None,
) -> dict[str, Any]:
    """Run peer ``estimator`` on ``(X, Y)`` in peer ``peer``'s environment; its result dict.

    Parameters
    ----------
    peer, estimator : str
        Peer name (:data:`ibbench.peers.envs.PEERS`) and the runner script's name of its estimator.
    params : dict
        JSON-able parameters the runner script maps onto the peer's constructor.
    seed : int
        Seed handed to the peer.
    X, Y : ndarray
        Validated 2-D float64 samples.
    python : Path, optional
        Interpreter to use instead of the peer environment's (tests use a fake peer).

    Returns
    -------
    dict
        ``{"mi": float, "seconds": float, "versions": {...}}``.

    Raises
    ------
    RuntimeError
        The peer environment is missing, or the peer process failed (message: exit status and the
        tail of its stderr), or it wrote no result.
    """
    if python is None:
        if not envs.is_installed(peer):
            raise RuntimeError(f"peer {peer!r} is not installed; run `ibbench peers install {peer}`")
        python = envs.env_python(peer)
    with tempfile.TemporaryDirectory(prefix="ibbench-peer-") as tmp:
        job = Path(tmp)
        np.savez(job / "data.npz", X=X, Y=Y)
        (job / "spec.json").write_text(
            json.dumps({"peer": peer, "estimator": estimator, "params": params, "seed": seed})
        )
        done = subprocess.run([str(python), str(RUNNER_SCRIPT), str(job)], capture_output=True, text=True, check=False)
        if done.returncode != 0:
            tail = "\n".join(done.stderr.strip().splitlines()[-_STDERR_TAIL:])
            raise RuntimeError(f"peer {peer} estimator {estimator!r} failed (exit {done.returncode}):\n{tail}")
        try:
            return dict(json.loads((job / "result.json").read_text()))
        except (OSError, ValueError) as exc:
            raise RuntimeError(f"peer {peer} estimator {estimator!r} wrote no result: {exc}") from exc


class PeerEstimator(MIEstimator):
    """Base of the adapters: runs ``peer_estimator`` of ``peer`` in the peer's environment.

    Subclasses set ``peer``, ``peer_estimator`` and return the runner script's parameters from
    :meth:`peer_params`. Stochastic adapters take ``random_state``; the seed handed to the peer
    is drawn from it, so the same ``random_state`` gives the same peer seed.

    Attributes
    ----------
    mutual_info_ : float
        The peer's estimate (nats).
    peer_seconds_ : float
        Seconds of the peer's estimate call, measured inside the peer's process.
    peer_versions_ : dict
        Versions of the peer's packages reported by the peer process.
    """

    version = "1"
    peer: str = ""
    peer_estimator: str = ""
    tags = {"accepts_x": "continuous", "accepts_y": "continuous"}
    #: the cell key records the peer's package versions (identity_parts), not the interpreter path
    identity_nested_params: tuple[str, ...] = ()

    def peer_params(self) -> dict[str, Any]:
        """The parameters the runner script hands to the peer's constructor."""
        return {}

    def identity_parts(self) -> dict[str, Any]:
        """The peer and its package versions recorded at install time (part of the cell key)."""
        return {"peer": {"name": self.peer, "versions": envs.installed_versions(self.peer)}}

    def _prepare(self, X: np.ndarray, Y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """The arrays handed to the peer (default: unchanged)."""
        return X, Y

    def _fit(self, X: np.ndarray, Y: np.ndarray, rng: np.random.Generator) -> None:
        seed = int(rng.integers(0, 2**31 - 1))
        X, Y = self._prepare(X, Y)
        result = run_peer(self.peer, self.peer_estimator, self.peer_params(), seed, X, Y)
        mi = float(result["mi"])
        if not math.isfinite(mi):
            raise ValueError(f"peer {self.peer} estimator {self.peer_estimator!r} returned a non-finite estimate {mi}")
        self.mutual_info_ = mi
        self.peer_seconds_ = float(result["seconds"])
        self.peer_versions_ = dict(result.get("versions", {}))


class BmiKSG(PeerEstimator):
    """bmi's KSG estimator (``KSGEnsembleFirstEstimator`` with one neighbourhood ``k``), run in its environment.

    bmi implements Kraskov et al.'s first algorithm (eq. 8) with Euclidean distances in each
    marginal space, on standardized data by default. On tied rows bmi returns ``inf`` (a zero
    neighbour distance); as ibbench's ``ksg`` does, a column with repeated values first gets
    Gaussian noise of ``jitter`` times its standard deviation (fixed seed 0). Columns without ties,
    i.e. continuous data, reach bmi unchanged.

    Parameters
    ----------
    k : int, default 3
        Number of neighbours (bmi's ``neighborhoods=(k,)``).
    standardize : bool, default True
        bmi's ``standardize``.
    jitter : float, default 1e-5
        Noise scale (relative to each tied column's standard deviation) that breaks ties; bmi
        computes distances in float32 (JAX), where 1e-10 would vanish (measured: still ``inf``).

    References
    ----------
    Kraskov, Stögbauer & Grassberger, "Estimating mutual information", Phys. Rev. E 69, 066138
    (2004), eq. 8. Czyż et al., "Beyond normal: on the evaluation of mutual information
    estimators", NeurIPS 2023 (benchmark-mi 0.1.3).
    """

    name = "bmi-ksg"
    peer, peer_estimator = "bmi", "ksg"
    _parameter_constraints = {
        "k": [Interval(Integral, 1, None, closed="left")],
        "standardize": ["boolean"],
        "jitter": [Interval(Real, 0, None, closed="neither")],
    }

    def __init__(self, k: int = 3, standardize: bool = True, jitter: float = 1e-5) -> None:
        self.k = k
        self.standardize = standardize
        self.jitter = jitter

    def _min_samples(self) -> int:
        return int(self.k) + 1

    def _prepare(self, X: np.ndarray, Y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        noise = np.random.default_rng(0)
        out = []
        for A in (X, Y):
            A = A.copy()
            for j in range(A.shape[1]):
                if np.unique(A[:, j]).size < len(A):
                    scale = A[:, j].std() or 1.0
                    A[:, j] = A[:, j] - A[:, j].mean() + noise.normal(0.0, self.jitter * scale, len(A))
            out.append(A)
        return out[0], out[1]

    def peer_params(self) -> dict[str, Any]:
        return {"k": int(self.k), "standardize": bool(self.standardize)}


class BmiCCA(PeerEstimator):
    """bmi's CCA estimator (``CCAMutualInformationEstimator``): Gaussian MI of the sample's canonical correlations.

    ``I = −½ Σ_i log(1 − ρ_i²)`` over the canonical correlations (sklearn's iterative CCA in bmi).

    References
    ----------
    Czyż et al., NeurIPS 2023 (benchmark-mi 0.1.3); Kullback, "Information Theory and Statistics"
    (1959) for the Gaussian MI of canonical correlations.
    """

    name = "bmi-cca"
    peer, peer_estimator = "bmi", "cca"
    _parameter_constraints: dict[str, Any] = {}

    def __init__(self) -> None:
        pass


class BmiHistogram(PeerEstimator):
    """bmi's histogram estimator (``HistogramEstimator``): plug-in MI of ``n_bins`` equal-width bins per dimension.

    Parameters
    ----------
    n_bins : int, default 5
        Bins per dimension of X and of Y (bmi's ``n_bins_x``; ``n_bins_y`` follows it).
    standardize : bool, default True
        bmi's ``standardize``.

    References
    ----------
    Czyż et al., NeurIPS 2023 (benchmark-mi 0.1.3).
    """

    name = "bmi-histogram"
    peer, peer_estimator = "bmi", "histogram"
    _parameter_constraints = {"n_bins": [Interval(Integral, 1, None, closed="left")], "standardize": ["boolean"]}

    def __init__(self, n_bins: int = 5, standardize: bool = True) -> None:
        self.n_bins = n_bins
        self.standardize = standardize

    def peer_params(self) -> dict[str, Any]:
        return {"n_bins": int(self.n_bins), "standardize": bool(self.standardize)}


class _BmiNeural(PeerEstimator):
    """Shared parameters of bmi's neural estimators (an MLP critic on concatenated (x, y), Adam)."""

    tags = {"stochastic": True, "symmetric": False}
    _parameter_constraints = {
        "hidden_layers": [IntSequence(min_len=1)],
        "batch_size": [Interval(Integral, 1, None, closed="left")],
        "max_n_steps": [Interval(Integral, 1, None, closed="left")],
        "learning_rate": [Interval(Real, 0, None, closed="neither")],
        "train_test_split": [Interval(Real, 0, 1, closed="neither")],
        "test_every_n_steps": [Interval(Integral, 1, None, closed="left")],
        "standardize": ["boolean"],
        "random_state": ["random_state"],
    }

    def __init__(
        self,
        hidden_layers: tuple[int, ...] = (16, 8),
        batch_size: int = 256,
        max_n_steps: int = 10_000,
        learning_rate: float = 0.1,
        train_test_split: float = 0.5,
        test_every_n_steps: int = 250,
        standardize: bool = True,
        random_state: Any = None,
    ) -> None:
        self.hidden_layers = hidden_layers
        self.batch_size = batch_size
        self.max_n_steps = max_n_steps
        self.learning_rate = learning_rate
        self.train_test_split = train_test_split
        self.test_every_n_steps = test_every_n_steps
        self.standardize = standardize
        self.random_state = random_state

    def peer_params(self) -> dict[str, Any]:
        return {
            "hidden_layers": [int(h) for h in self.hidden_layers],
            "batch_size": int(self.batch_size),
            "max_n_steps": int(self.max_n_steps),
            "learning_rate": float(self.learning_rate),
            "train_test_split": float(self.train_test_split),
            # bmi reports the best held-out bound over its evaluations, NaN when there was none
            "test_every_n_steps": min(int(self.test_every_n_steps), int(self.max_n_steps)),
            "standardize": bool(self.standardize),
        }

    @classmethod
    def get_test_params(cls) -> dict[str, Any]:
        return {"hidden_layers": (8,), "max_n_steps": 50, "batch_size": 64}


_NEURAL_DOC = """bmi's {what} estimator (``{cls}``), run in its environment.

    An MLP critic (``hidden_layers``) on the concatenated pair, trained with Adam for
    ``max_n_steps`` on a ``train_test_split`` share of the sample; the bound is evaluated on the
    rest every ``test_every_n_steps`` (capped at ``max_n_steps``, so that a short run is evaluated
    at least once); bmi reports the best of these held-out values. Defaults are bmi 0.1.3's (its
    seed is drawn from ``random_state``).

    Parameters
    ----------
    hidden_layers : tuple of int, default (16, 8)
    batch_size : int, default 256
    max_n_steps : int, default 10000
    learning_rate : float, default 0.1
    train_test_split : float, default 0.5
    test_every_n_steps : int, default 250
    standardize : bool, default True
    random_state : int, Generator or None

    References
    ----------
    {ref} Czyż et al., NeurIPS 2023 (benchmark-mi 0.1.3).
    """


class BmiMINE(_BmiNeural):
    __doc__ = _NEURAL_DOC.format(
        what="MINE",
        cls="MINEEstimator",
        ref="Belghazi et al., 'Mutual Information Neural Estimation', ICML 2018, eqs. 10-12 (DV bound, EMA gradient).",
    )
    name = "bmi-mine"
    peer, peer_estimator = "bmi", "mine"


class BmiInfoNCE(_BmiNeural):
    __doc__ = _NEURAL_DOC.format(
        what="InfoNCE",
        cls="InfoNCEEstimator",
        ref="van den Oord et al., 'Representation Learning with Contrastive Predictive Coding', 2018, eq. 4; "
        "Poole et al., ICML 2019, eq. 12.",
    )
    name = "bmi-infonce"
    peer, peer_estimator = "bmi", "infonce"


class BmiNWJ(_BmiNeural):
    __doc__ = _NEURAL_DOC.format(
        what="NWJ",
        cls="NWJEstimator",
        ref="Nguyen, Wainwright & Jordan, IEEE Trans. Inf. Theory 56 (2010); Poole et al., ICML 2019, eq. 7.",
    )
    name = "bmi-nwj"
    peer, peer_estimator = "bmi", "nwj"


class BmiDV(_BmiNeural):
    __doc__ = _NEURAL_DOC.format(
        what="Donsker-Varadhan",
        cls="DonskerVaradhanEstimator",
        ref="Donsker & Varadhan (1983); Belghazi et al., ICML 2018, eq. 10.",
    )
    name = "bmi-dv"
    peer, peer_estimator = "bmi", "dv"


class LatentMI(PeerEstimator):
    """latentmi's LMI estimator: KSG on low-dimensional latents learned by a cross-predictive autoencoder.

    The reported estimate is the mean of latentmi's pointwise MI over its held-out half.

    Parameters
    ----------
    n_dims : int, default 8
        Latent dimension of each side (latentmi's ``N_dims``).
    epochs : int, default 300
        Maximum training epochs (early stopping with latentmi's patience 30).
    batch_size : int, default 512
    random_state : int, Generator or None
        Seeds numpy's and torch's global generators inside the peer process.

    References
    ----------
    Gowri, Lun, Klein & Yin, "Approximating mutual information of high-dimensional variables using
    learned representations", NeurIPS 2024 (latentmi 0.1.3).
    """

    name = "latentmi"
    peer, peer_estimator = "latentmi", "lmi"
    tags = {"stochastic": True, "symmetric": False}
    _parameter_constraints = {
        "n_dims": [Interval(Integral, 1, None, closed="left")],
        "epochs": [Interval(Integral, 1, None, closed="left")],
        "batch_size": [Interval(Integral, 1, None, closed="left")],
        "random_state": ["random_state"],
    }

    def __init__(self, n_dims: int = 8, epochs: int = 300, batch_size: int = 512, random_state: Any = None) -> None:
        self.n_dims = n_dims
        self.epochs = epochs
        self.batch_size = batch_size
        self.random_state = random_state

    def peer_params(self) -> dict[str, Any]:
        return {"n_dims": int(self.n_dims), "epochs": int(self.epochs), "batch_size": int(self.batch_size)}

    @classmethod
    def get_test_params(cls) -> dict[str, Any]:
        return {"epochs": 3}
