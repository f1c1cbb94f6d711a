"""Reproducible torch sections: a fixed intra-op thread count and deterministic algorithms.

One implementation shared by the neural estimators, the autoencoder compressor
(:mod:`ibbench.estimators.torch_utils`) and the quantized-network training of the QNN tasks
(:mod:`ibbench.tasks.qnn.training`). Importing this module imports torch; callers that must stay
torch-free at import time import it lazily.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import torch

__all__ = ["deterministic_torch"]


@contextmanager
def deterministic_torch(n_threads: int | None = 1) -> Iterator[None]:
    """Run a block with ``n_threads`` intra-op threads and deterministic algorithms, then restore.

    The caller's thread count and deterministic-algorithms setting (including its ``warn_only``
    flag) are restored on exit, also when the block raises. Fixing the thread count makes CPU
    results independent of the machine's or the caller's thread settings.

    Parameters
    ----------
    n_threads : int or None, default 1
        Intra-op threads inside the block; None keeps the current count (results may then depend
        on it).

    Raises
    ------
    ValueError
        ``n_threads`` is not None and below 1 (raised before any setting is changed).
    """
    if n_threads is not None and int(n_threads) < 1:
        raise ValueError(f"n_threads must be a positive int or None, got {n_threads!r}")
    old_threads = torch.get_num_threads()
    old_det = torch.are_deterministic_algorithms_enabled()
    old_warn = torch.is_deterministic_algorithms_warn_only_enabled()
    try:
        if n_threads is not None:
            torch.set_num_threads(int(n_threads))
        torch.use_deterministic_algorithms(True)
        yield
    finally:
        torch.use_deterministic_algorithms(old_det, warn_only=old_warn)
        torch.set_num_threads(old_threads)
