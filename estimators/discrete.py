"""Mutual information of discrete data (rows as symbols): plug-in, Chao–Shen and NSB.

Every estimator here treats each row of a side as one symbol and returns
``I = H(X) + H(Y) − H(X, Y)`` with one entropy estimator applied to the symbol counts of X, of Y and
of the pairs: the plug-in (:class:`ExactMI`, optionally Miller–Madow corrected), the
coverage-adjusted Chao–Shen entropy (:class:`ChaoShenMI`) or the Bayesian NSB entropy
(:class:`NSBMI`). Only which rows are equal matters, so the estimates are unchanged by any
injective relabelling of either side's rows (tag ``invariance = "per-side-injective"``).
"""

from __future__ import annotations

from numbers import Integral
from typing import Any

import numpy as np

from ibbench.base import MIEstimator
from ibbench.numerics.entropy import chao_shen_entropy, plugin_mutual_info, row_codes, symbol_counts
from ibbench.numerics.nsb import nsb_entropy
from ibbench.params import Interval, IntSequence, StrOptions
from ibbench.uncertainty import plugin_mi_stderr


class ExactMI(MIEstimator):
    """Plug-in (maximum-likelihood) mutual information treating each row as one symbol.

    ``I = H(X) + H(Y) - H(X, Y)`` with the empirical distribution of the rows. On a finite
    population where every element is listed once (the quantized-network tasks) this *is* the exact
    MI of the uniform distribution over the population (Lorenzen et al. 2022, Sec. 3). On samples it
    is the plug-in estimator, biased upwards by about ``(K_x K_y - K_x - K_y + 1) / (2n)`` nats;
    ``miller_madow=True`` applies the Miller–Madow correction to each entropy.

    Parameters
    ----------
    miller_madow : bool, default False
        Add ``(K - 1) / (2n)`` to each plug-in entropy, ``K`` the number of observed symbols.

    Attributes
    ----------
    mutual_info_ : float
        The estimate in nats.
    entropy_x_, entropy_y_, entropy_xy_ : float
        The plug-in entropies (nats).
    stderr_ : float
        Delta-method standard error: standard deviation of the empirical pointwise MI
        ``log p̂(x,y)/(p̂(x)p̂(y))`` over ``sqrt(n)`` (:func:`ibbench.uncertainty.plugin_mi_stderr`;
        Basharin 1959, Paninski 2003). It measures sampling noise only, not the plug-in bias, and
        is too small near independence. On a finite population listed once (the exact MI of the
        quantized-network tasks) there is no sampling error, and this value does not apply.
    ci_ : tuple of float
        95% normal interval ``mutual_info_ ± 1.96·stderr_``.
    n_samples_ : int

    References
    ----------
    Cover & Thomas, *Elements of Information Theory*, eq. (2.45).
    G. A. Miller, "Note on the bias of information estimates", 1955.
    S. S. Lorenzen, C. Igel, M. Nielsen, "Information Bottleneck: Exact Analysis of (Quantized)
    Neural Networks", ICLR 2022.

    Examples
    --------
    >>> import numpy as np
    >>> x = np.array([0, 0, 1, 1]); y = np.array([0, 0, 1, 1])
    >>> round(ExactMI().estimate(x, y), 4)  # log 2
    0.6931
    """

    name = "exact"
    version = "2"
    # rows are symbols: only which rows are equal matters
    tags = {"accepts_x": "discrete", "accepts_y": "discrete", "invariance": "per-side-injective"}

    _parameter_constraints = {"miller_madow": ["boolean"]}

    def __init__(self, miller_madow: bool = False) -> None:
        self.miller_madow = miller_madow

    def _fit(self, X: np.ndarray, Y: np.ndarray, rng: np.random.Generator) -> None:
        codes_x, codes_y = row_codes(X), row_codes(Y)
        self._set_entropies(*plugin_mutual_info(codes_x, codes_y, self.miller_madow))
        self.stderr_ = plugin_mi_stderr(codes_x, codes_y)


class ChaoShenMI(MIEstimator):
    """Mutual information from Chao–Shen coverage-adjusted entropies, each row one symbol.

    ``I = H(X) + H(Y) − H(X, Y)``, each entropy estimated from the symbol counts by
    :func:`ibbench.numerics.entropy.chao_shen_entropy`: Good–Turing coverage ``C = 1 − f1/n``
    (``f1`` singletons), probabilities ``p_C = C · n_i / n`` and the Horvitz–Thompson estimator
    ``H = −Σ p_C log p_C / (1 − (1 − p_C)^n)`` over the observed symbols (Chao & Shen 2003). The
    coverage accounts for the probability mass of unseen symbols, which removes most of the
    downward bias of the plug-in entropy in the undersampled regime; when every sample is a
    singleton, ``f1 = n − 1`` is used (coverage ``1/n``). No parameters: the alphabet size is not
    needed. A constant side has entropy 0 and gives ``I = 0``.

    Attributes
    ----------
    mutual_info_ : float
        The estimate in nats (not clipped at 0).
    entropy_x_, entropy_y_, entropy_xy_ : float
        The Chao–Shen entropies (nats).
    n_samples_ : int

    References
    ----------
    A. Chao, T.-J. Shen, "Nonparametric estimation of Shannon's index of diversity when there are
    unseen species in sample", Environmental and Ecological Statistics 10, 429–443 (2003).
    J. Hausser, K. Strimmer, "Entropy inference and the James–Stein estimator, with application to
    nonlinear gene association networks", JMLR 10, 1469–1484 (2009) (the ``f1 = n`` fix).

    Examples
    --------
    >>> import numpy as np
    >>> x = np.repeat([0, 1, 2, 3], 50); y = x % 2
    >>> round(ChaoShenMI().estimate(x, y), 4)  # no singletons: the plug-in value log 2, up to 1e-15
    0.6931
    """

    name = "chao-shen"
    version = "1"
    tags = {"accepts_x": "discrete", "accepts_y": "discrete", "invariance": "per-side-injective"}

    def __init__(self) -> None:  # no parameters (scikit-learn's get_params reads this signature)
        pass

    def _fit(self, X: np.ndarray, Y: np.ndarray, rng: np.random.Generator) -> None:
        counts = symbol_counts(row_codes(X), row_codes(Y))
        self._set_entropies(*(chao_shen_entropy(c) for c in counts))


class NSBMI(MIEstimator):
    """Mutual information from Nemenman–Shafee–Bialek (NSB) Bayesian entropies, each row one symbol.

    ``I = H(X) + H(Y) − H(X, Y)``, each entropy the NSB posterior mean
    (:func:`ibbench.numerics.nsb.nsb_entropy`): a mixture of symmetric Dirichlet priors of
    concentration ``β`` over an alphabet of ``K`` symbols, weighted so that the prior is flat in the
    a-priori expected entropy ``ξ(β) = ψ(Kβ + 1) − ψ(β + 1)``,
    ``H_NSB = ∫ dβ ρ(β | n) ⟨H⟩_β / ∫ dβ ρ(β | n)`` with ``ρ(β | n) ∝ dξ/dβ · Γ(κ)/Γ(N + κ) ·
    Π_i Γ(n_i + β)/Γ(β)``, ``κ = Kβ``, and ``⟨H⟩_β`` the posterior-mean entropy under
    ``Dirichlet(n_i + β)`` (Wolpert & Wolf 1995). The integral over ``log β`` is done by adaptive
    tanh-sinh quadrature (relative tolerance 1e-11).

    The alphabet sizes (choice documented here): ``K_x`` and ``K_y`` are the numbers of *observed*
    distinct rows of X and Y (``alphabet_size="observed"``), or given; the joint alphabet is always
    the product ``K_xy = K_x · K_y`` — every pair of marginal symbols is possible a priori — and
    never the number of observed pairs, which would pull ``H(X, Y)`` down and the MI up. A side
    with one symbol has entropy 0 exactly (``K = 1``: no prior), and then ``H(X, Y)`` equals the
    other side's entropy, so ``I = 0``.

    Parameters
    ----------
    alphabet_size : "observed", int or [int, int], default "observed"
        ``K_x`` and ``K_y``: the numbers of distinct rows seen (``"observed"``), one int for both
        sides, or ``[K_x, K_y]``. ``ValueError`` at fit when a side shows more symbols than its
        ``K``. With ``[K_x, K_y]`` and ``K_x ≠ K_y`` swapping X and Y changes the estimate.

    Attributes
    ----------
    mutual_info_ : float
        The estimate in nats (not clipped at 0).
    entropy_x_, entropy_y_, entropy_xy_ : float
        The NSB entropies (nats).
    alphabet_sizes_ : tuple of int
        ``(K_x, K_y, K_xy)`` used.
    n_samples_ : int

    References
    ----------
    I. Nemenman, F. Shafee, W. Bialek, "Entropy and inference, revisited", Advances in Neural
    Information Processing Systems 14 (NIPS 2001, published 2002).
    D. H. Wolpert, D. R. Wolf, "Estimating functions of probability distributions from a finite set
    of samples", Phys. Rev. E 52, 6841 (1995).

    Examples
    --------
    >>> import numpy as np
    >>> x = np.repeat([0, 1], 5000); y = x.copy()
    >>> round(NSBMI().estimate(x, y), 3)  # N >> K: the plug-in value log 2
    0.693
    """

    name = "nsb"
    version = "1"
    tags = {"accepts_x": "discrete", "accepts_y": "discrete", "invariance": "per-side-injective"}
    _parameter_constraints = {
        "alphabet_size": [
            StrOptions({"observed"}),
            Interval(Integral, 1, None, closed="left"),
            IntSequence(min_len=2, max_len=2, min_value=1),
        ]
    }

    def __init__(self, alphabet_size: Any = "observed") -> None:
        self.alphabet_size = alphabet_size

    def _alphabet_sizes(self, observed_x: int, observed_y: int) -> tuple[int, int]:
        if isinstance(self.alphabet_size, str):
            return observed_x, observed_y
        if isinstance(self.alphabet_size, (list, tuple)):
            k_x, k_y = (int(k) for k in self.alphabet_size)
        else:
            k_x = k_y = int(self.alphabet_size)
        for side, k, seen in (("X", k_x, observed_x), ("Y", k_y, observed_y)):
            if seen > k:
                raise ValueError(f"alphabet_size: {side} shows {seen} distinct symbols, more than its K = {k}")
        return k_x, k_y

    def _fit(self, X: np.ndarray, Y: np.ndarray, rng: np.random.Generator) -> None:
        counts_x, counts_y, counts_xy = symbol_counts(row_codes(X), row_codes(Y))
        k_x, k_y = self._alphabet_sizes(len(counts_x), len(counts_y))
        self.alphabet_sizes_ = (k_x, k_y, k_x * k_y)
        self._set_entropies(
            nsb_entropy(counts_x, k_x),
            nsb_entropy(counts_y, k_y),
            nsb_entropy(counts_xy, k_x * k_y),
        )
