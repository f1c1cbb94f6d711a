"""Turning ``random_state`` arguments into generators, once, at the boundary."""

from __future__ import annotations

from typing import TypeAlias

import numpy as np

#: what a ``random_state`` argument may be (see :func:`as_generator`)
SeedLike: TypeAlias = "int | np.integer | np.random.SeedSequence | np.random.Generator | None"


def as_generator(random_state: SeedLike) -> np.random.Generator:
    """Return a ``numpy.random.Generator`` for ``random_state``.

    Parameters
    ----------
    random_state : None, int, numpy.random.SeedSequence or numpy.random.Generator
        ``None`` gives fresh OS entropy; an int or SeedSequence a reproducible stream; a Generator is
        returned unchanged (so callers can pass one down).
    """
    if isinstance(random_state, np.random.Generator):
        return random_state
    if isinstance(random_state, np.random.RandomState):
        raise TypeError("random_state must be None, an int or a numpy Generator, not RandomState")
    if random_state is not None and not isinstance(random_state, (int, np.integer, np.random.SeedSequence)):
        raise TypeError(f"random_state must be None, an int or a numpy Generator, got {random_state!r}")
    return np.random.default_rng(random_state)


def derive_seed(*entropy: int) -> int:
    """A 32-bit seed derived deterministically from integers (``SeedSequence`` mixing)."""
    return int(np.random.SeedSequence([int(e) for e in entropy]).generate_state(1)[0])
