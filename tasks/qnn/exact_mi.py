"""Exact mutual information of quantized layers over a finite population (Lorenzen et al. 2022, Sec. 3).

With X uniform over the population's distinct inputs and ``T = f(X)`` deterministic, the layer's
information is a count: ``I(X;T) = H(T)`` and ``I(T;Y) = H(T) − Σ_y p(y) H(T | Y=y)``
``= H(T) + H(Y) − H(T, Y)``, with plug-in entropies over the whole population. Rows of integer codes
are turned into symbols by packing them into one or two ``uint64`` words (``bits × width ≤ 128``),
which is several times faster than ``np.unique(axis=0)``; with the label appended to the same key
(the first word's dense rank standing in for it when the row is wider), one sort per layer gives
both ``H(T)`` and ``H(T, Y)``. :func:`snapshot_information` does the label work once for all layers
of a snapshot (all 6 layers of an SZT snapshot in < 1 ms).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from ibbench.numerics.entropy import counts_entropy, row_codes

LN2 = float(np.log(2.0))

#: Bumped whenever the exact MI computed here changes (part of the qnn tasks' cell keys).
EXACT_MI_VERSION = "1"


def _packed_words(codes: np.ndarray, bits: int, shift: int = 0, base: np.ndarray | None = None) -> np.ndarray | None:
    """Rows of ``codes`` (values < 2**bits) packed bitwise into ``(n, words)`` uint64, or None if > 128 bits.

    Column ``j`` occupies bits ``[bits·j, bits·(j+1))`` of the packed row (64 // bits columns per
    word). A one-word packing may be shifted left by ``shift`` bits and OR-ed onto ``base`` (uint64).
    """
    n, width = codes.shape
    total = bits * width
    if total > 128:
        return None
    n_words = 1 if total + shift <= 64 else 2
    if n_words == 2 and (shift or base is not None):
        raise ValueError("shift and base apply to one-word packings only")
    words = np.zeros((n, n_words), dtype=np.uint64)
    if base is not None:
        words[:, 0] = base
    per_word = 64 // bits
    for j in range(width):
        w, slot = divmod(j, per_word)
        column = np.left_shift(codes[:, j], np.uint64(slot * bits + shift), dtype=np.uint64, casting="unsafe")
        np.bitwise_or(words[:, w], column, out=words[:, w])
    return words


def symbols(codes: np.ndarray, bits: int) -> np.ndarray:
    """One integer symbol per row of a 2-D array of quantization codes (equal rows, equal symbols).

    Parameters
    ----------
    codes : ndarray of shape (n, width), non-negative integers below ``2**bits``
    bits : int

    Returns
    -------
    ndarray of shape (n,), int64, values ``0 … k−1`` for ``k`` distinct rows.
    """
    codes = np.asarray(codes)
    if codes.ndim == 1:
        codes = codes[:, None]
    words = _packed_words(codes, bits)
    if words is None:
        return row_codes(codes)
    if words.shape[1] == 1:
        return np.unique(words[:, 0], return_inverse=True)[1].ravel()
    order = np.lexsort((words[:, 1], words[:, 0]))
    ordered = words[order]
    new = np.empty(len(order), dtype=bool)
    new[0] = True
    new[1:] = (ordered[1:] != ordered[:-1]).any(axis=1)
    out = np.empty(len(order), dtype=np.int64)
    out[order] = np.cumsum(new) - 1
    return out


def layer_information(codes: np.ndarray, labels: np.ndarray, bits: int) -> tuple[float, float]:
    """Exact ``(I(X;T), I(T;Y))`` in nats of one layer over the whole population.

    Parameters
    ----------
    codes : ndarray of shape (N, width)
        The layer's integer quantization codes for every population element (listed once each).
    labels : ndarray of shape (N,)
        Integer labels ``0 … C−1``.
    bits : int
        Quantization bits (bounds the code values).

    References
    ----------
    S. S. Lorenzen, C. Igel, M. Nielsen, "Information Bottleneck: Exact Analysis of (Quantized)
    Neural Networks", ICLR 2022, Sec. 3, eqs. (3)–(4): ``I(X;T) = H(T)``,
    ``I(T;Y) = H(T) − Σ_y p(y) H(T|Y=y)``.
    """
    i_xt, i_ty = snapshot_information([codes], labels, bits)[0]
    return float(i_xt), float(i_ty)


def snapshot_information(layer_codes: Sequence[np.ndarray], labels: np.ndarray, bits: int) -> np.ndarray:
    """Exact ``(I(X;T), I(T;Y))`` in nats of several layers (one snapshot) over the whole population.

    The same numbers as :func:`layer_information` per layer, with the label work done once.

    Parameters
    ----------
    layer_codes : sequence of ndarray of shape (N, width_l)
        Each layer's integer quantization codes for every population element.
    labels : ndarray of shape (N,)
        Integer labels ``0 … C−1``.
    bits : int
        Quantization bits (bounds the code values).

    Returns
    -------
    ndarray of shape (len(layer_codes), 2)
        ``[:, 0] = I(X;T)``, ``[:, 1] = I(T;Y)``.
    """
    labels = np.asarray(labels, dtype=np.int64)
    population = _Labels(labels)
    out = np.empty((len(layer_codes), 2))
    for layer, codes in enumerate(layer_codes):
        codes = np.asarray(codes)
        if codes.ndim == 1:
            codes = codes[:, None]
        if len(codes) != len(labels):
            raise ValueError(f"codes have {len(codes)} rows but labels {len(labels)}")
        h_t, h_ty = population.joint_entropies(codes, bits)
        out[layer] = h_t, max(h_t + population.h_y - h_ty, 0.0)
    return out


class _Labels:
    """The label side of a population, prepared once for ``H(T)`` and ``H(T, Y)`` of many layers.

    Rows are ordered as their packed words of :func:`_packed_words` (one word: by its value; two
    words: by the first, then the second), labels last, and the plug-in terms are summed in that
    order on every route, so every route gives the same floats.
    """

    def __init__(self, labels: np.ndarray) -> None:
        self.labels = labels
        self.n_classes = int(labels.max()) + 1
        self.h_y = counts_entropy(np.bincount(labels))
        self.label_bits = max(int(self.n_classes - 1).bit_length(), 1)
        self.label_words = labels.astype(np.uint64)
        self.label_floats = labels.astype(np.float64)
        self.rank_bits = max(int(len(labels) - 1).bit_length(), 1)
        # p log p of every possible count c / n, computed as counts_entropy computes it (c / n, then
        # p * log p), so a lookup gives the same terms in the same order
        p = np.arange(len(labels) + 1) / float(len(labels))
        with np.errstate(divide="ignore", invalid="ignore"):
            self.plogp = p * np.log(p)
        self.plogp[0] = 0.0

    def joint_entropies(self, codes: np.ndarray, bits: int) -> tuple[float, float]:
        """``(H(T), H(T, Y))`` of one layer's codes."""
        keys = self._row_label_keys(codes, bits)
        if keys is None:
            t = symbols(codes, bits)
            return counts_entropy(np.bincount(t)), counts_entropy(np.bincount(t * self.n_classes + self.labels))
        # one sort serves both: (row, label) keys sorted, and their row parts (also sorted)
        ordered = np.sort(keys)
        return self._sorted_entropy(ordered >> np.uint64(self.label_bits)), self._sorted_entropy(ordered)

    def _sorted_entropy(self, ordered: np.ndarray) -> float:
        """Plug-in entropy (nats) of the values of a sorted 1-D array, its terms summed in sorted order.

        The same float as ``counts_entropy(run lengths)``: the same terms (looked up) in the same order.
        """
        n = len(ordered)
        change = np.empty(n + 1, dtype=bool)
        change[0] = change[n] = True
        np.not_equal(ordered[1:], ordered[:-1], out=change[1:n])
        return float(-np.sum(self.plogp[np.diff(np.flatnonzero(change))]))

    def _row_label_keys(self, codes: np.ndarray, bits: int) -> np.ndarray | None:
        """One uint64 per row ordering the rows as their packed words, then the labels; None if it does not fit.

        A row fitting one word with the label is ``word << label_bits | label``; otherwise the
        first word is replaced by its dense rank among the rows (``rank_bits`` bits), which keeps
        the order.
        """
        width = codes.shape[1]
        total = bits * width
        lb = self.label_bits
        if total + lb <= 53:  # the same integers, exact in float64: one matrix-vector product
            weights = np.exp2(np.arange(width) * float(bits) + lb)
            return (codes @ weights + self.label_floats).astype(np.uint64)
        if total + lb <= 64:
            return _packed_words(codes, bits, shift=lb, base=self.label_words)[:, 0]
        per_word = 64 // bits
        second = bits * max(width - per_word, 0)  # bits of the second word (0: one word)
        if total > 128 or self.rank_bits + second + lb > 64:
            return None
        words = _packed_words(codes, bits)
        if words is None:  # pragma: no cover - total <= 128 above
            return None
        keys = _dense_rank(words[:, 0]) << np.uint64(second + lb)
        if second:
            keys |= words[:, 1] << np.uint64(lb)
        return keys | self.label_words


def _dense_rank(values: np.ndarray) -> np.ndarray:
    """Rank ``0 … k−1`` of each value among the ``k`` distinct values, as uint64."""
    order = np.argsort(values)
    ordered = values[order]
    new = np.empty(len(values), dtype=bool)
    new[0] = True
    np.not_equal(ordered[1:], ordered[:-1], out=new[1:])
    rank = np.empty(len(values), dtype=np.uint64)
    rank[order] = np.cumsum(new) - 1
    return rank


def information_plane(run) -> np.ndarray:
    """Exact information plane of a :class:`~ibbench.tasks.qnn.training.QNNRun`, in nats.

    Returns
    -------
    ndarray of shape (n_snapshots, n_layers, 2)
        ``[..., 0] = I(X;T)``, ``[..., 1] = I(T;Y)``.
    """
    from ibbench.tasks.qnn.data import load_population

    _, labels = load_population(run.config.dataset)
    out = np.empty((len(run.epochs), run.n_layers, 2))
    for s in range(len(run.epochs)):
        out[s] = snapshot_information([codes[s] for codes in run.codes], labels, run.config.bits)
    return out


def brute_force_information(codes: np.ndarray, labels: np.ndarray) -> tuple[float, float]:
    """``(I(X;T), I(T;Y))`` in nats by a dictionary count of row tuples (slow reference for tests)."""
    n = len(labels)
    count_t: dict[tuple, int] = {}
    count_ty: dict[tuple, int] = {}
    count_y: dict[int, int] = {}
    for row, y in zip(map(tuple, np.asarray(codes).tolist()), np.asarray(labels).tolist()):
        count_t[row] = count_t.get(row, 0) + 1
        count_ty[row + (y,)] = count_ty.get(row + (y,), 0) + 1
        count_y[y] = count_y.get(y, 0) + 1
    h = {
        name: -sum(c / n * np.log(c / n) for c in table.values())
        for name, table in (("t", count_t), ("ty", count_ty), ("y", count_y))
    }
    return h["t"], h["t"] + h["y"] - h["ty"]
