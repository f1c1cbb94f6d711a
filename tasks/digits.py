"""Real images with exact MI: the label-channel construction on scikit-learn's digits.

X is an 8×8 handwritten-digit image drawn uniformly from ``sklearn.datasets.load_digits`` (1797
images, bundled with scikit-learn); Y is its class label ``L`` passed through a known noisy
channel. Because ``L = g(X)`` is a function of the image and ``Y`` depends on X only through ``L``
(``X → L → Y`` is a Markov chain and ``L`` is a function of X), ``I(X; Y) = I(L; Y)``, which is a
finite sum over the 10 × 10 table ``p(l) p(y | l)`` (Lee & Rhee 2024).
"""

from __future__ import annotations

from functools import lru_cache
from numbers import Real

import numpy as np

from ibbench.params import Interval, StrOptions
from ibbench.task import Task


@lru_cache(maxsize=1)
def digits_population() -> tuple[np.ndarray, np.ndarray]:
    """The digits images ``(N, 64)`` (integer intensities 0…16, as float) and labels ``(N,)``.

    Images that occur more than once with *different* labels would break "the label is a function
    of the image"; any such images are dropped (there are none in scikit-learn's copy: all 1797
    images are distinct, checked in the tests).
    """
    from sklearn.datasets import load_digits

    from ibbench.numerics.entropy import row_codes

    data = load_digits()
    X = np.asarray(data.data, dtype=np.float64)
    y = np.asarray(data.target, dtype=np.int64)
    codes = row_codes(X)
    labels_per_image = np.zeros((codes.max() + 1, 10), dtype=bool)
    labels_per_image[codes, y] = True
    ambiguous = labels_per_image.sum(1) > 1
    keep = ~ambiguous[codes]
    X, y = X[keep], y[keep]
    X.setflags(write=False)
    y.setflags(write=False)
    return X, y


def symmetric_channel(n_labels: int, flip: float) -> np.ndarray:
    """Transition matrix ``p(y | l)``: keep the label w.p. ``1 − flip``, else uniform over the others."""
    m = np.full((n_labels, n_labels), flip / (n_labels - 1))
    np.fill_diagonal(m, 1.0 - flip)
    return m


def channel_mi(p_label: np.ndarray, channel: np.ndarray) -> float:
    """``I(L; Y)`` in nats for the input distribution ``p_label`` and channel ``p(y | l)``."""
    joint = p_label[:, None] * channel
    py = joint.sum(0, keepdims=True)
    ref = p_label[:, None] * py
    nz = joint > 0
    return max(0.0, float(np.sum(joint[nz] * np.log(joint[nz] / ref[nz]))))


class DigitsLabelChannel(Task):
    """X = a digits image, Y = its label through a symmetric noisy channel; exact MI.

    With probability ``1 − flip`` Y is the true label, otherwise one of the 9 other labels
    uniformly. ``true_mi = I(L; Y)`` with ``p(l)`` the class frequencies of the population (close to
    uniform, so the MI spans 0 at ``flip = 0.9`` up to ``H(L) ≈ log 10`` at ``flip = 0``). Y is the
    integer label (``encoding="label"``, dim 1) or its one-hot code (``encoding="onehot"``, dim 10);
    both are bijections of each other, so the MI is the same.

    X holds the raw integer intensities 0…16 (``x_kind = "discrete"``: a finite population of 64-dim
    points). ``sample`` draws images uniformly with replacement from the population.

    Parameters
    ----------
    flip : float, default 0.2
        Label-noise probability in ``[0, 1]``.
    encoding : {"label", "onehot"}, default "label"
        How Y is encoded.

    References
    ----------
    Lee & Rhee, "A benchmark suite for evaluating neural mutual information estimators on
    unstructured datasets", NeurIPS 2024 Datasets and Benchmarks (label-channel construction);
    Alpaydin & Kaynak, UCI optical recognition of handwritten digits (``load_digits``).
    """

    name = "digits-label"
    family = "digits"
    x_kind = "discrete"
    y_kind = "discrete"
    dim_x = 64

    _parameter_constraints = {
        "flip": [Interval(Real, 0, 1, closed="both")],
        "encoding": [StrOptions({"label", "onehot"})],
    }

    def __init__(self, flip=0.2, encoding="label"):
        if not (isinstance(flip, (int, float, np.number)) and 0.0 <= flip <= 1.0):
            raise ValueError(f"flip must be a probability in [0, 1], got {flip!r}")
        if encoding not in ("label", "onehot"):
            raise ValueError(f"encoding must be 'label' or 'onehot', got {encoding!r}")
        self.flip = float(flip)
        self.encoding = encoding
        self.dim_y = 1 if encoding == "label" else 10

    def label_distribution(self) -> np.ndarray:
        """Class frequencies ``p(l)`` of the population."""
        _, y = digits_population()
        return np.bincount(y, minlength=10) / len(y)

    def _true_mi(self) -> float:
        return channel_mi(self.label_distribution(), symmetric_channel(10, self.flip))

    def _sample(self, n, rng):
        X, labels = digits_population()
        idx = rng.integers(0, len(X), n)
        lab = labels[idx]
        flipped = rng.random(n) < self.flip
        y = np.where(flipped, (lab + rng.integers(1, 10, n)) % 10, lab)
        if self.encoding == "onehot":
            return X[idx], np.eye(10)[y]
        return X[idx], y[:, None]

    @classmethod
    def get_test_params(cls):
        return {"flip": 0.3}
