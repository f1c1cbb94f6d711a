"""Column-wise preprocessing shared by estimators and tasks."""

from __future__ import annotations

import numpy as np


def standardize_columns(A: np.ndarray) -> np.ndarray:
    """Each column minus its mean, divided by its standard deviation (ddof 0; a constant column is
    only centred). MI is unchanged by it; it equals ``sklearn.preprocessing.scale``."""
    std = A.std(axis=0)
    return (A - A.mean(axis=0)) / np.where(std > 0, std, 1.0)
