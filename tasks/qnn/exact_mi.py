"""Exact mutual information of quantized layers over a finite population (Lorenzen et al. 2022, Sec. 3).

With X uniform over the population's distinct inputs and ``T = f(X)`` deterministic, the layer's
information is a count: ``I(X;T) = H(T)`` and ``I(T;Y) = H(T) − Σ_y p(y) H(T | Y=y)``
``= H(T) + H(Y) − H(T, Y)``, with plug-in entropies over the whole population. Rows of integer codes
are turned into symbols by packing them into one or two ``uint64`` words (``bits × width ≤ 128``),
which is several times faster than ``np.unique(axis=0)``.
"""

from __future__ import annotations

import numpy as np

from ibbench.numerics.entropy import counts_entropy, row_codes

LN2 = float(np.log(2.0))

#: Bumped whenever the exact MI computed here changes (part of the qnn tasks' cell keys).
EXACT_MI_VERSION = "1"


def _packed_words(codes: np.ndarray, bits: int) -> np.ndarray | None:
    """Rows of ``codes`` (values < 2**bits) packed bitwise into ``(n, words)`` uint64, or None if > 128 bits."""
    n, width = codes.shape
    total = bits * width
    if total > 128:
        return None
    words = np.zeros((n, 1 if total <= 64 else 2), dtype=np.uint64)
    per_word = 64 // bits
    for j in range(width):
        w, slot = divmod(j, per_word)
        words[:, w] |= codes[:, j].astype(np.uint64) << np.uint64(slot * bits)
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
    labels = np.asarray(labels, dtype=np.int64)
    codes = np.asarray(codes)
    if codes.ndim == 1:
        codes = codes[:, None]
    if len(codes) != len(labels):
        raise ValueError(f"codes have {len(codes)} rows but labels {len(labels)}")
    n_classes = int(labels.max()) + 1
    h_y = counts_entropy(np.bincount(labels))
    label_bits = max(int(n_classes - 1).bit_length(), 1)
    words = _packed_words(codes, bits) if bits * codes.shape[1] + label_bits <= 64 else None
    if words is not None:  # fast path: sort one uint64 key per row, for T and for (T, Y)
        key = words[:, 0]
        h_t = counts_entropy(_run_lengths(np.sort(key)))
        h_ty = counts_entropy(_run_lengths(np.sort((key << np.uint64(label_bits)) | labels.astype(np.uint64))))
    else:
        t = symbols(codes, bits)
        h_t = counts_entropy(np.bincount(t))
        h_ty = counts_entropy(np.bincount(t * n_classes + labels))
    return h_t, max(h_t + h_y - h_ty, 0.0)


def _run_lengths(ordered: np.ndarray) -> np.ndarray:
    """Lengths of the runs of equal values in a sorted 1-D array."""
    edges = np.flatnonzero(ordered[1:] != ordered[:-1]) + 1
    return np.diff(np.concatenate(([0], edges, [len(ordered)])))


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
        for layer in range(run.n_layers):
            out[s, layer] = layer_information(run.codes[layer][s], labels, run.config.bits)
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
